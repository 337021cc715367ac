/**
 * `npm run seed:local`: loads the real Hugging Face Daily Papers lists of 2026 kept in
 * data/hf-daily-papers-2026/ into the LOCAL D1 that `npm start` uses, so the product can be
 * tried offline with papers whose every link leads to the right paper. The lists go through
 * the ingest's own parser and upsert (src/ingest/demo.ts, src/db/papers.ts) against the
 * local database through wrangler's platform proxy; ingestion times are re-dated relative
 * to now (newest list now, older lists whole days before), so a digest can be planned right
 * away and holds the last few lists, as after a live ingest. Seeding again re-dates them.
 * `--persist-to DIR` seeds the database of `npm start -- --persist-to DIR`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getPlatformProxy } from 'wrangler';
import { setPapersIngestedAt, upsertPapers } from '../src/db/papers';
import { type DemoList, demoListDate, demoPapers } from '../src/ingest/demo';

const root = fileURLToPath(new URL('..', import.meta.url));
const wrangler = path.join(root, 'node_modules/wrangler/bin/wrangler.js');
const dataDir = path.join(root, 'data/hf-daily-papers-2026');

const args = process.argv.slice(2);
const persistIndex = args.findIndex((arg) => arg === '--persist-to' || arg.startsWith('--persist-to='));
const persistTo =
  persistIndex === -1
    ? null
    : args[persistIndex]!.includes('=')
      ? args[persistIndex]!.split('=')[1]!
      : args[persistIndex + 1];
if (persistIndex !== -1 && !persistTo) {
  console.error('seed:local: --persist-to needs a directory');
  process.exit(2);
}

// The same migrations `npm start` applies, so seeding a fresh checkout works too.
const migrate = spawnSync(
  process.execPath,
  [wrangler, 'd1', 'migrations', 'apply', 'DB', '--local', ...(persistTo ? ['--persist-to', persistTo] : [])],
  {
    cwd: root,
    stdio: 'inherit',
    // Non-interactive, as in CI: no "are you sure?" prompt, no telemetry.
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
  },
);
if (migrate.status !== 0) {
  console.error('\nseed:local: could not apply the local D1 migrations (see above).');
  process.exit(migrate.status ?? 1);
}

const lists: DemoList[] = readdirSync(dataDir).flatMap((file) => {
  const date = demoListDate(file);
  return date ? [{ date, body: JSON.parse(readFileSync(path.join(dataDir, file), 'utf8')) }] : [];
});
const { papers, skipped } = demoPapers(lists, new Date());
if (skipped.length > 0)
  console.warn(`seed:local: skipped ${skipped.length} items:\n  ${skipped.join('\n  ')}`);

const byTime = new Map<string, typeof papers>();
for (const item of papers) byTime.set(item.ingestedAt, [...(byTime.get(item.ingestedAt) ?? []), item]);

// wrangler dev keeps its state in <persist-to>/v3; the proxy takes that inner directory.
const proxy = await getPlatformProxy<{ DB: D1Database }>({
  configPath: path.join(root, 'wrangler.toml'),
  persist: {
    path: path.join(persistTo ? path.resolve(persistTo) : path.join(root, '.wrangler/state'), 'v3'),
  },
});
let inserted = 0;
try {
  for (const [ingestedAt, group] of byTime) {
    const result = await upsertPapers(
      proxy.env.DB,
      group.map((item) => item.paper),
      ingestedAt,
    );
    inserted += result.inserted.length;
    // A paper seeded before keeps its first ingestion time in the upsert: move it too.
    await setPapersIngestedAt(
      proxy.env.DB,
      group.map((item) => item.paper.id),
      ingestedAt,
    );
  }
} finally {
  await proxy.dispose();
}
const times = [...byTime.keys()].sort();
console.log(
  `\nseed:local: ${papers.length} real papers (${inserted} new) from ${lists.length} Hugging Face daily lists` +
    ` in the local D1, ingested_at re-dated ${times[0]} .. ${times[times.length - 1]}. A running \`npm start\` serves them at once, no restart needed; otherwise start it.`,
);
