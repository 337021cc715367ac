#!/usr/bin/env node
/**
 * A local stand-in for the two upstreams, shaped exactly like the real APIs, so the
 * end-to-end test (and anyone trying the product offline) can ingest without network:
 *   GET /api/daily_papers?date=YYYY-MM-DD[&limit=&p=]  Hugging Face Daily Papers (bare JSON array)
 *   GET /api/query?search_query=...&start=&max_results= arXiv export API (Atom XML)
 * It serves the ingest's real-shaped fixtures from test/fixtures, with their dates moved to
 * "today" at request time, so ingest windows and "new since the last digest" behave as in
 * production: today's HF list is full, yesterday's is in the older response shape, older
 * days are empty (like a weekend), and arXiv lists yesterday's announcements, paged.
 *
 * Standalone: `node scripts/e2e/fake-upstream.mjs [--port 9000]`, then
 * `npm start -- --var HF_API_URL:http://127.0.0.1:9000 --var ARXIV_API_URL:http://127.0.0.1:9000`.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

/** The ingest's own real-shaped fixtures (see test/fixtures/README.md), with their list day. */
const fixture = (name) =>
  readFileSync(fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url)), 'utf8');
const HF_TODAY = { text: fixture('hf/daily-papers-2025-03-11.json'), day: '2025-03-11' }; // current shape
const HF_YESTERDAY = { text: fixture('hf/daily-papers-2023-06-15.json'), day: '2023-06-15' }; // older shape
const ARXIV = { text: fixture('arxiv/atom-cs-2025-03-10.xml'), day: '2025-03-10' }; // announced "yesterday"

const utcDate = (at) => at.toISOString().slice(0, 10);
const addDays = (date, days) => {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return utcDate(day);
};
const daysBetween = (from, to) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/**
 * Moves every calendar date in a payload by the same number of days, so a fixture captured
 * on `fromDay` reads as if it were published on `toDay` (times of day and ids untouched).
 */
function shiftDates(text, fromDay, toDay) {
  const offset = daysBetween(fromDay, toDay);
  return text.replace(/(?<!\d)(?:19|20)\d\d-\d\d-\d\d(?!\d)/g, (date) => addDays(date, offset));
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
      // Today's list is full, yesterday's is in the older response shape, other days are empty.
      const source = date === today ? HF_TODAY : date === addDays(today, -1) ? HF_YESTERDAY : null;
      const items = source ? JSON.parse(shiftDates(source.text, source.day, date)) : [];
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(items.slice(page * limit, page * limit + limit)));
      return;
    }
    if (url.pathname === '/api/query') {
      const start = Number(url.searchParams.get('start') ?? '0') || 0;
      const maxResults = Number(url.searchParams.get('max_results') ?? '10') || 10;
      const xml = shiftDates(ARXIV.text, ARXIV.day, addDays(today, -1));
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
