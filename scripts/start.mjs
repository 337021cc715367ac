#!/usr/bin/env node
/**
 * `npm start`: applies the D1 migrations to the local database, then runs `wrangler dev`
 * with the cron test endpoint enabled (`/__scheduled?cron=...`). Arguments after `--` go
 * to `wrangler dev` (e.g. `npm start -- --port 8790 --var HF_API_URL:http://127.0.0.1:9000`);
 * a `--persist-to DIR` among them is passed to the migration step too, so both use the
 * same local database, and a `--port` sets PUBLIC_URL to match unless PUBLIC_URL is given.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const wrangler = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url));
const args = process.argv.slice(2);

const persistIndex = args.findIndex((arg) => arg === '--persist-to' || arg.startsWith('--persist-to='));
const persistArgs =
  persistIndex === -1
    ? []
    : args[persistIndex].includes('=')
      ? [args[persistIndex]]
      : args.slice(persistIndex, persistIndex + 2);

const migrate = spawnSync(
  process.execPath,
  [wrangler, 'd1', 'migrations', 'apply', 'DB', '--local', ...persistArgs],
  {
    cwd: root,
    stdio: 'inherit',
    // Non-interactive: apply without the "are you sure?" prompt, as CI would.
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
  },
);
if (migrate.status !== 0) {
  console.error('\nCould not apply the local D1 migrations (see above).');
  process.exit(migrate.status ?? 1);
}

// Links in emails use PUBLIC_URL; on another port the default (:8787) would point nowhere,
// so follow --port unless the caller set PUBLIC_URL themselves.
const portIndex = args.findIndex((arg) => arg === '--port' || arg.startsWith('--port='));
const port =
  portIndex === -1
    ? null
    : args[portIndex].includes('=')
      ? args[portIndex].split('=')[1]
      : args[portIndex + 1];
const publicUrlArgs =
  port && !args.some((arg) => arg.startsWith('PUBLIC_URL:') || arg.startsWith('--var=PUBLIC_URL:'))
    ? ['--var', `PUBLIC_URL:http://localhost:${port}`]
    : [];

const dev = spawn(process.execPath, [wrangler, 'dev', '--test-scheduled', ...publicUrlArgs, ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { WRANGLER_SEND_METRICS: 'false', ...process.env },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal));
dev.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
