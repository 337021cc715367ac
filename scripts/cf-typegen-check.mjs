#!/usr/bin/env node
/**
 * `npm run cf-typegen:check` (part of `npm test`): fails when worker-configuration.d.ts is
 * not what `npm run cf-typegen` would generate from wrangler.toml and .dev.vars.example
 * now, so the Env type cannot drift from the config. `wrangler types --check` is not used
 * because it re-reads secrets from a developer's own .dev.vars (ignoring --env-file), which
 * would make the answer depend on the machine. Runs offline: `wrangler types` only reads
 * local files. The committed file is restored whatever the outcome.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const output = 'worker-configuration.d.ts';
const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const args = scripts['cf-typegen'].split(/\s+/).slice(1);
const path = new URL(`../${output}`, import.meta.url);

let committed = null;
try {
  committed = readFileSync(path, 'utf8');
} catch {
  console.error(`${output} is missing: run \`npm run cf-typegen\` and commit it.`);
  process.exit(1);
}

const wrangler = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url));
const run = spawnSync(process.execPath, [wrangler, ...args], {
  cwd: root,
  encoding: 'utf8',
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' },
});
const generated = run.status === 0 ? readFileSync(path, 'utf8') : null;
writeFileSync(path, committed);

if (generated === null) {
  console.error(`\`wrangler ${args.join(' ')}\` failed:\n${run.stdout}\n${run.stderr}`);
  process.exit(1);
}
if (generated !== committed) {
  console.error(
    `${output} is out of date with wrangler.toml / .dev.vars.example: run \`npm run cf-typegen\` and commit it.`,
  );
  process.exit(1);
}
console.log(`${output} is up to date.`);
