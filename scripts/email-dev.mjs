#!/usr/bin/env node
/**
 * `npm run email:dev`: the React Email preview server for the templates in emails/ (on port
 * 3001 unless `-- --port N` says otherwise). Its web UI, @react-email/ui, is a Next.js app
 * of about 400 MB that nothing else needs, so it is not a devDependency: every `npm ci`
 * (CI included) stays lean, and the first preview installs it, at exactly the version of
 * the pinned react-email CLI (the CLI refuses any other), without touching package.json or
 * the lockfile. A later `npm ci` removes it again; the next preview reinstalls it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const versionOf = (name) => {
  const file = path.join(root, 'node_modules', name, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : null;
};

const cliVersion = versionOf('react-email');
if (!cliVersion) {
  console.error('email:dev: the react-email CLI is missing; run `npm ci` first.');
  process.exit(1);
}
if (versionOf('@react-email/ui') !== cliVersion) {
  const spec = `@react-email/ui@${cliVersion}`;
  console.log(`email:dev: installing the preview server once (${spec}, about 400 MB of Next.js; not saved)…`);
  const install = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', spec], {
    cwd: root,
    stdio: 'inherit',
  });
  if (install.status !== 0) {
    console.error(`email:dev: \`npm install --no-save ${spec}\` failed (see above).`);
    process.exit(install.status ?? 1);
  }
}

const args = process.argv.slice(2);
const portArgs = args.some((arg) => arg === '--port' || arg === '-p' || arg.startsWith('--port='))
  ? []
  : ['--port', '3001'];
const cli = path.join(root, 'node_modules/react-email/dist/cli/index.mjs');
const server = spawn(process.execPath, [cli, 'dev', '--dir', 'emails', ...portArgs, ...args], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
