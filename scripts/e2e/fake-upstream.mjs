#!/usr/bin/env node
/**
 * A local stand-in for the two upstreams, shaped exactly like the real APIs, so the
 * end-to-end test (and anyone trying the product offline) can ingest without network:
 *   GET /api/daily_papers?date=YYYY-MM-DD[&limit=&p=]  Hugging Face Daily Papers (bare JSON array)
 *   GET /api/query?search_query=...&start=&max_results= arXiv export API (Atom XML)
 * It serves real data only, moved in time so ingest windows and "new since the last digest"
 * behave as in production. Hugging Face: the real 2026 daily lists of data/hf-daily-papers-2026
 * (exactly as the archive kept them: no comment counts, code links, stars or AI keywords),
 * with the newest list served as today's and every other list the same number of days
 * earlier; days without a list are empty, like weekends. arXiv: the real export API response
 * in test/fixtures/arxiv/atom-query-sample.xml, every entry announced yesterday. Ids,
 * titles, abstracts, authors and upvotes are never changed; only dates move.
 *
 * Standalone: `node scripts/e2e/fake-upstream.mjs [--port 9000]`, then
 * `npm start -- --var HF_API_URL:http://127.0.0.1:9000 --var ARXIV_API_URL:http://127.0.0.1:9000`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const HF_DIR = fileURLToPath(new URL('../../data/hf-daily-papers-2026/', import.meta.url));
const ARXIV_FILE = fileURLToPath(new URL('../../test/fixtures/arxiv/atom-query-sample.xml', import.meta.url));

/** The real daily lists by their day. */
const HF_LISTS = new Map(
  readdirSync(HF_DIR)
    .map((file) => [/^daily-papers-(\d{4}-\d{2}-\d{2})\.json$/.exec(file)?.[1], file])
    .filter(([day]) => day)
    .map(([day, file]) => [day, readFileSync(`${HF_DIR}${file}`, 'utf8')]),
);
/** The day of the newest real list: it is served as "today". */
export const NEWEST_LIST_DAY = [...HF_LISTS.keys()].sort().at(-1);

const utcDate = (at) => at.toISOString().slice(0, 10);
const addDays = (date, days) => {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return utcDate(day);
};
const daysBetween = (from, to) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
/** The same instant of day `days` days later; anything that is not a timestamp is left alone. */
const moveTimestamp = (value, days) =>
  typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)
    ? `${addDays(value.slice(0, 10), days)}${value.slice(10)}`
    : value;

/**
 * The items served for `date` when it is `today`: the real list that many days before the
 * newest one, with its timestamps (publishedAt, submittedOnDailyAt) moved to `date`.
 */
export function hfListFor(date, today) {
  const realDay = addDays(date, daysBetween(today, NEWEST_LIST_DAY));
  const text = HF_LISTS.get(realDay);
  if (!text) return [];
  const days = daysBetween(realDay, date);
  return JSON.parse(text).map((item) => {
    const moved = { ...item, paper: { ...item.paper } };
    for (const target of [moved, moved.paper]) {
      for (const field of ['publishedAt', 'submittedOnDailyAt']) {
        if (field in target) target[field] = moveTimestamp(target[field], days);
      }
    }
    return moved;
  });
}

/**
 * The real arXiv response with every entry published on `day` (at its own time of day) and
 * not updated since, newest first as `sortBy=submittedDate&sortOrder=descending` answers.
 */
function arxivAnnouncedOn(xml, day) {
  const entries = (xml.match(/<entry>[\s\S]*?<\/entry>/g) ?? []).map((entry) => {
    const published = /<published>([^<]+)<\/published>/.exec(entry)?.[1] ?? `${day}T00:00:00Z`;
    const moved = `${day}${published.slice(10)}`;
    return {
      published: moved,
      entry: entry
        .replace(/<published>[^<]+<\/published>/, `<published>${moved}</published>`)
        .replace(/<updated>[^<]+<\/updated>/, `<updated>${moved}</updated>`),
    };
  });
  entries.sort((a, b) => (a.published < b.published ? 1 : -1));
  const head = xml
    .slice(0, xml.indexOf('<entry>'))
    .replace(/<updated>[^<]+<\/updated>/, `<updated>${addDays(day, 1)}T00:00:00-05:00</updated>`);
  return `${head}${entries.map(({ entry }) => entry).join('\n  ')}\n</feed>\n`;
}

/** The Atom feed with only entries [start, start + max) kept and the paging fields set to match. */
function atomPage(xml, start, maxResults) {
  const entries = xml.match(/<entry>[\s\S]*?<\/entry>/g) ?? [];
  const head = xml.slice(0, xml.indexOf('<entry>') === -1 ? xml.indexOf('</feed>') : xml.indexOf('<entry>'));
  const page = entries.slice(start, start + maxResults);
  return `${head
    .replace(/(<opensearch:totalResults[^>]*>)\d+/, `$1${entries.length}`)
    .replace(/(<opensearch:startIndex[^>]*>)\d+/, `$1${start}`)
    .replace(/(<opensearch:itemsPerPage[^>]*>)\d+/, `$1${maxResults}`)}${page.join('\n  ')}\n</feed>\n`;
}

/**
 * Starts the server on 127.0.0.1 and resolves with `{ port, url, requests, close }`;
 * `requests` records every request path so tests can assert the upstream was used.
 */
export function startFakeUpstream({ port = 0, now = () => new Date() } = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const today = utcDate(now());
    if (url.pathname === '/api/daily_papers') {
      const date = url.searchParams.get('date') ?? today;
      const page = Number(url.searchParams.get('p') ?? '0') || 0;
      const limit = Math.min(Number(url.searchParams.get('limit') ?? '50') || 50, 100);
      const items = hfListFor(date, today);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(items.slice(page * limit, page * limit + limit)));
      return;
    }
    if (url.pathname === '/api/query') {
      const start = Number(url.searchParams.get('start') ?? '0') || 0;
      const maxResults = Number(url.searchParams.get('max_results') ?? '10') || 10;
      const xml = arxivAnnouncedOn(readFileSync(ARXIV_FILE, 'utf8'), addDays(today, -1));
      res.writeHead(200, { 'content-type': 'application/atom+xml; charset=utf-8' });
      res.end(atomPage(xml, start, maxResults));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'Not Found' }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: address.port,
        url: `http://127.0.0.1:${address.port}`,
        requests,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const portIndex = process.argv.indexOf('--port');
  const port = portIndex === -1 ? 9000 : Number(process.argv[portIndex + 1]);
  const upstream = await startFakeUpstream({ port });
  console.log(`Fake Hugging Face + arXiv upstream on ${upstream.url}`);
  console.log(
    `npm start -- --var HF_API_URL:${upstream.url} --var ARXIV_API_URL:${upstream.url}  # then POST /admin/ingest`,
  );
}
