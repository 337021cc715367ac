#!/usr/bin/env node
/**
 * A local stand-in for the two upstreams, shaped exactly like the real APIs, so the
 * end-to-end test (and anyone trying the product offline) can ingest without network:
 *   GET /api/daily_papers?date=YYYY-MM-DD[&limit=&p=]  Hugging Face Daily Papers (bare JSON array)
 *   GET /api/query?search_query=...&start=&max_results= arXiv export API (Atom XML)
 * The papers are real-shaped fixtures whose dates are moved to "today" at request time,
 * so ingest windows and "new since the last digest" behave as they would in production:
 * today's HF list is full, yesterday's is shorter, older days are empty (like a weekend).
 *
 * Standalone: `node scripts/e2e/fake-upstream.mjs [--port 9000]`, then
 * `npm start -- --var HF_API_URL:http://127.0.0.1:9000 --var ARXIV_API_URL:http://127.0.0.1:9000`.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const fixturePath = fileURLToPath(new URL('./fixtures/hf-daily-papers.json', import.meta.url));

const utcDate = (at) => at.toISOString().slice(0, 10);
const addDays = (date, days) => {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return utcDate(day);
};

/** The HF fixture with its date placeholders replaced for the list of `date`. */
function dailyPapersFor(template, date) {
  const published = `${addDays(date, -1)}T17:59:59.000Z`;
  const submitted = `${date}T06:12:00.000Z`;
  return JSON.parse(
    JSON.stringify(template).replaceAll('__PUBLISHED__', published).replaceAll('__SUBMITTED__', submitted),
  );
}

const xmlEscape = (text) =>
  String(text).replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[char],
  );

/** Wraps `summary` at ~80 columns like arXiv does, with the leading spaces arXiv emits. */
const wrap = (text) => `  ${text.replace(/(.{1,78})(\s+|$)/g, '$1\n').trim()}\n`;

function atomEntry(item, published, categories) {
  const id = item.paper.id;
  const authors = item.paper.authors.map(
    (a) => `    <author>\n      <name>${xmlEscape(a.name)}</name>\n    </author>`,
  );
  const [primary, ...others] = categories;
  return `  <entry>
    <id>http://arxiv.org/abs/${id}v1</id>
    <updated>${published}</updated>
    <published>${published}</published>
    <title>${xmlEscape(item.title)}</title>
    <summary>${xmlEscape(wrap(item.summary))}</summary>
${authors.join('\n')}
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">12 pages, 4 figures</arxiv:comment>
    <link href="http://arxiv.org/abs/${id}v1" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/${id}v1" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="${primary}" scheme="http://arxiv.org/schemas/atom"/>
${[primary, ...others].map((term) => `    <category term="${term}" scheme="http://arxiv.org/schemas/atom"/>`).join('\n')}
  </entry>`;
}

function atomFeed(entries, query, start, maxResults, total) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query?${xmlEscape(query)}" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: ${xmlEscape(query)}</title>
  <id>http://arxiv.org/api/e2eFakeUpstreamFeedId0000000</id>
  <updated>${new Date().toISOString().slice(0, 10)}T00:00:00-04:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">${total}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">${start}</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">${maxResults}</opensearch:itemsPerPage>
${entries.join('\n')}
</feed>
`;
}

const CATEGORY_SETS = [['cs.CL', 'cs.LG'], ['cs.CL'], ['cs.CR', 'cs.CL', 'cs.AI'], ['cs.LG', 'cs.CL']];

/**
 * Starts the server on 127.0.0.1 and resolves with `{ port, url, requests, close }`;
 * `requests` records every request path so tests can assert the upstream was used.
 */
export function startFakeUpstream({ port = 0, now = () => new Date() } = {}) {
  const template = JSON.parse(readFileSync(fixturePath, 'utf8'));
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const today = utcDate(now());
    if (url.pathname === '/api/daily_papers') {
      const date = url.searchParams.get('date') ?? today;
      const page = Number(url.searchParams.get('p') ?? '0');
      const limit = Math.min(Number(url.searchParams.get('limit') ?? '50') || 50, 100);
      let items = [];
      if (date === today) items = template.slice(0, 8);
      else if (date === addDays(today, -1)) items = template.slice(8);
      items = dailyPapersFor(items, date).slice(page * limit, page * limit + limit);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(items));
      return;
    }
    if (url.pathname === '/api/query') {
      const start = Number(url.searchParams.get('start') ?? '0') || 0;
      const maxResults = Number(url.searchParams.get('max_results') ?? '10') || 10;
      // arXiv lists yesterday's announcements: the first six HF papers plus two arXiv-only ones.
      const published = `${addDays(today, -1)}T17:59:59Z`;
      const all = template
        .slice(0, 6)
        .concat(template.slice(10, 12))
        .map((item, index) => atomEntry(item, published, CATEGORY_SETS[index % CATEGORY_SETS.length]));
      const entries = all.slice(start, start + maxResults);
      res.writeHead(200, { 'content-type': 'application/atom+xml; charset=utf-8' });
      res.end(atomFeed(entries, url.search.slice(1), start, maxResults, all.length));
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
