/**
 * `npm run seed:local`: loads the bundled, real-shaped fixtures (test/fixtures: Hugging
 * Face daily lists in the current and the older shape, and an arXiv `cs` listing) into the
 * LOCAL D1 that `npm start` uses, so the product can be tried offline. The fixtures go
 * through the real parsers and the real merge SQL of the ingest; the seeded papers get
 * ingested_at = now, so a digest can be planned right away. Arguments are passed to
 * wrangler (e.g. `npm run seed:local -- --persist-to .wrangler/other`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAPER_UPSERT_SQL, paperToRow } from '../src/db/papers';
import type { IncomingPaper } from '../src/domain';
import { parseArxivFeed } from '../src/ingest/arxiv';
import { parseHfDailyPapers } from '../src/ingest/hf';

const root = fileURLToPath(new URL('..', import.meta.url));
const wrangler = path.join(root, 'node_modules/wrangler/bin/wrangler.js');
const fixtures = path.join(root, 'test/fixtures');
const wranglerArgs = process.argv.slice(2);

function runWrangler(args: string[]): void {
  const result = spawnSync(process.execPath, [wrangler, ...args, ...wranglerArgs], {
    cwd: root,
    stdio: 'inherit',
    // Non-interactive, as in CI: no "are you sure?" prompt, no telemetry.
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
  });
  if (result.status !== 0) {
    console.error(`\nseed:local: \`wrangler ${args.join(' ')}\` failed (see above).`);
    process.exit(result.status ?? 1);
  }
}

const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`;

function loadPapers(): IncomingPaper[] {
  const papers: IncomingPaper[] = [];
  for (const [file, date] of [
    ['hf/daily-papers-2025-03-12.json', '2025-03-12'],
    ['hf/daily-papers-2025-03-11.json', '2025-03-11'],
    ['hf/daily-papers-2023-06-15.json', '2023-06-15'],
  ] as const) {
    const parsed = parseHfDailyPapers(JSON.parse(readFileSync(path.join(fixtures, file), 'utf8')), { date });
    papers.push(...parsed.papers);
  }
  papers.push(
    ...parseArxivFeed(readFileSync(path.join(fixtures, 'arxiv/atom-cs-2025-03-10.xml'), 'utf8')).papers,
  );
  return papers;
}

const papers = loadPapers();
const now = new Date().toISOString();
const ids = [...new Set(papers.map((paper) => paper.id))];

/**
 * Local D1 rejects more than 100 KB of SQL per execution (SQLITE_TOOBIG), and here the rows
 * are inlined: statements stay well below that and are packed into several files.
 */
const MAX_STATEMENT_BYTES = 40_000;
const MAX_FILE_BYTES = 90_000;

function upsertStatements(group: IncomingPaper[]): string[] {
  const statements: string[] = [];
  let rows: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (rows.length === 0) return;
    const literal = sqlString(`[${rows.join(',')}]`);
    statements.push(
      `${PAPER_UPSERT_SQL.replace('json_each(?)', () => `json_each(${literal})`).replace(/\s+RETURNING \*\s*$/, '')};`,
    );
    rows = [];
    bytes = 0;
  };
  for (const paper of group) {
    const row = JSON.stringify(paperToRow(paper, now));
    const size = Buffer.byteLength(sqlString(row));
    if (bytes + size > MAX_STATEMENT_BYTES) flush();
    rows.push(row);
    bytes += size;
  }
  flush();
  return statements;
}

// HF rows go first so arXiv then merges into them exactly as a live ingest would.
const statements = [
  ...upsertStatements(papers.filter((paper) => paper.sources.includes('hf'))),
  ...upsertStatements(papers.filter((paper) => paper.sources.includes('arxiv'))),
  // Seeded papers count as new now, also when seeding again, so a digest can be planned.
  `UPDATE papers SET ingested_at = ${sqlString(now)} WHERE id IN (${ids.map(sqlString).join(', ')});`,
];

const files: string[][] = [[]];
for (const statement of statements) {
  const current = files[files.length - 1]!;
  const size = current.reduce((total, sql) => total + Buffer.byteLength(sql) + 1, 0);
  if (current.length > 0 && size + Buffer.byteLength(statement) > MAX_FILE_BYTES) files.push([statement]);
  else current.push(statement);
}

const directory = mkdtempSync(path.join(tmpdir(), 'papers-digest-seed-'));
try {
  runWrangler(['d1', 'migrations', 'apply', 'DB', '--local']);
  files.forEach((file, index) => {
    const sqlFile = path.join(directory, `seed-${index}.sql`);
    writeFileSync(sqlFile, `${file.join('\n')}\n`, 'utf8');
    runWrangler(['d1', 'execute', 'DB', '--local', '--file', sqlFile]);
  });
} finally {
  rmSync(directory, { recursive: true, force: true });
}
console.log(
  `\nseed:local: ${ids.length} papers loaded into the local D1 (ingested_at ${now}). Start with \`npm start\`.`,
);
