#!/usr/bin/env node
/**
 * `npm run bench:delivery`: N subscribers (default 2,000) through the real path, planner →
 * local Queue → consumer → Resend batch API, timed against the physical floor. The Worker
 * runs under `wrangler dev` with a fresh local D1; "Resend" is a fake HTTP server on
 * 127.0.0.1 that enforces R requests per second over a sliding one-second window (429
 * `rate_limit_exceeded` with retry-after beyond it), answers `{data:[{id}]}`, and replays
 * idempotency keys like Resend. The floor is N / (100 · R) seconds: with 100 emails per
 * request nothing can be faster. Prints wall time, ratio to the floor, requests, 429s and
 * duplicate deliveries (must be 0).
 *
 * Like Resend, every answer carries `ratelimit-limit`, `ratelimit-remaining` and
 * `ratelimit-reset` (seconds until the window frees a request), and a 429 also `retry-after`.
 *
 * Options: --subscribers N (2000) --rate R (2) --papers P (60) --port P (free port) --keep (keep the temp dir)
 * --chaos X (0): answer a share X of fresh requests with a 500, a 429 or "accepted, then the connection
 * dropped", to check exactly-once end to end (the timing targets then do not apply).
 * --load [N]: run N CPU hogs alongside (default 1: "a CPU hog"), as a busy shared machine would.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ADMIN_TOKEN, startLocalWorker, waitFor } from './local-worker.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
};
const N = option('subscribers', 2000);
const R = option('rate', 2);
const PAPERS = option('papers', 60);
const REQUESTED_PORT = option('port', 0);
const keep = args.includes('--keep');
/** CPU hogs to run alongside: --load alone means one. */
const LOAD = args.includes('--load')
  ? (() => {
      const value = Number(args[args.indexOf('--load') + 1]);
      return Number.isInteger(value) && value > 0 ? value : 1;
    })()
  : 0;
/** Share of fresh requests answered with a failure: 500, 429 (retry-after) or accepted-then-dropped. */
const CHAOS = option('chaos', 0);

// ---------------------------------------------------------------------------------------
// Fake Resend

const stats = {
  requests: 0,
  accepted: 0,
  rateLimited: 0,
  replays: 0,
  emails: new Map(),
  maxBatch: 0,
  bytes: 0,
  arrivalLog: [],
  chaos: [],
};
const arrivals = [];
const byKey = new Map();

/**
 * Request bodies (3-5 MB of JSON) are parsed on a worker thread: parsing them on the main
 * thread would hold up the arrival time of the next request, which an API gateway takes
 * before, and independently of, reading anyone's body. Answers each body's recipients.
 */
const parser = new Worker(
  `const { parentPort } = require('node:worker_threads');
   parentPort.on('message', ({ id, bytes }) => {
     let recipients = null;
     try {
       const emails = JSON.parse(Buffer.from(bytes).toString('utf8'));
       if (Array.isArray(emails)) recipients = emails.map((email) => (Array.isArray(email.to) ? email.to[0] : email.to));
     } catch {}
     parentPort.postMessage({ id, recipients });
   });`,
  { eval: true },
);
parser.unref();
const parsing = new Map();
let parseIds = 0;
parser.on('message', ({ id, recipients }) => {
  parsing.get(id)?.(recipients);
  parsing.delete(id);
});
function parseOffThread(buffer) {
  const id = parseIds++;
  const bytes = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
  return new Promise((resolve) => {
    parsing.set(id, resolve);
    parser.postMessage({ id, bytes }, [bytes]);
  });
}

function fakeResend() {
  return createServer((request, response) => {
    // Like an API gateway, the limiter decides when a request arrives (its headers), in
    // arrival order, not when its multi-megabyte body has finished uploading.
    const now = Date.now();
    stats.arrivalLog.push(now);
    while (arrivals.length > 0 && arrivals[0] <= now - 1000) arrivals.shift();
    const limited = arrivals.length >= R;
    if (!limited) arrivals.push(now);
    // What Resend reports on every answer: the limit, what is left in the current window
    // and in how many (whole) seconds the window frees a request.
    const rateHeaders = {
      'ratelimit-limit': String(R),
      'ratelimit-remaining': String(Math.max(0, R - arrivals.length)),
      'ratelimit-reset': String(Math.max(1, Math.ceil(((arrivals[0] ?? now) + 1000 - now) / 1000))),
    };
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', async () => {
      stats.requests++;
      stats.bytes = Math.max(
        stats.bytes,
        chunks.reduce((sum, chunk) => sum + chunk.length, 0),
      );
      const json = (status, body, headers = {}) => {
        response.writeHead(status, { 'content-type': 'application/json', ...rateHeaders, ...headers });
        response.end(JSON.stringify(body));
      };
      if (request.method !== 'POST' || request.url !== '/emails/batch') {
        return json(404, { name: 'not_found', message: 'Not found', statusCode: 404 });
      }
      if (limited) {
        stats.rateLimited++;
        return json(
          429,
          {
            name: 'rate_limit_exceeded',
            message: `Too many requests. You can only make ${R} requests per second.`,
            statusCode: 429,
          },
          { 'retry-after': rateHeaders['ratelimit-reset'] },
        );
      }
      const key = request.headers['idempotency-key'];
      if (key && byKey.has(key)) {
        stats.replays++;
        return json(200, byKey.get(key));
      }
      const roll = Math.random();
      if (roll < CHAOS / 3) {
        stats.chaos.push('500');
        return json(500, {
          name: 'internal_server_error',
          message: 'Chaos: internal error',
          statusCode: 500,
        });
      }
      if (roll < (2 * CHAOS) / 3) {
        stats.chaos.push('429');
        return json(
          429,
          { name: 'rate_limit_exceeded', message: 'Chaos: too many requests', statusCode: 429 },
          { 'retry-after': '2' },
        );
      }
      const drop = roll < CHAOS;
      const emails = await parseOffThread(Buffer.concat(chunks));
      if (!Array.isArray(emails) || emails.length === 0 || emails.length > 100) {
        return json(422, {
          name: 'validation_error',
          message: 'A batch holds 1 to 100 emails',
          statusCode: 422,
        });
      }
      stats.maxBatch = Math.max(stats.maxBatch, emails.length);
      const data = emails.map(() => ({ id: crypto.randomUUID() }));
      for (const to of emails) {
        stats.emails.set(to, (stats.emails.get(to) ?? 0) + 1);
        stats.accepted++;
      }
      stats.lastAcceptedAt = now;
      const body = { data };
      if (key) byKey.set(key, body);
      if (drop) {
        // Resend accepted and will send these; the client never hears about it.
        stats.chaos.push('drop');
        return request.socket.destroy();
      }
      json(200, body);
    });
  });
}

// ---------------------------------------------------------------------------------------
// Seed data

function seedSql() {
  const now = new Date();
  const iso = (offsetMinutes) => new Date(now.getTime() - offsetMinutes * 60_000).toISOString();
  const topics = [
    'diffusion models',
    'language models',
    'reinforcement learning',
    'graph neural networks',
    'speech',
  ];
  const lines = [];
  for (let start = 0; start < N; start += 500) {
    const values = [];
    for (let index = start; index < Math.min(N, start + 500); index++) {
      const interests = `${topics[index % topics.length]}; cs.LG`;
      values.push(
        `('bench-${index}', 'reader${index}@bench.example.org', 'active', '${interests}', 'daily', 8, 'UTC', 1, 10, '${iso(0)}', '${iso(0)}')`,
      );
    }
    lines.push(
      `INSERT INTO subscribers (id, email, status, interests, frequency, send_hour, time_zone, always_send, digest_size, created_at, updated_at) VALUES\n${values.join(',\n')};`,
    );
  }
  const papers = [];
  for (let index = 0; index < PAPERS; index++) {
    const topic = topics[index % topics.length];
    const id = `2611.${String(index).padStart(5, '0')}`;
    papers.push(
      `('${id}', 'Scaling ${topic} with sparse experts, part ${index}', 'We study ${topic} at scale and report strong results on standard benchmarks.', '["Ada Lovelace","Alan Turing"]', '["cs.LG"]', 'cs.LG', 'https://arxiv.org/abs/${id}', 'https://arxiv.org/pdf/${id}', ${(index * 37) % 200}, '["hf","arxiv"]', '${iso(60 + index)}', '${iso(60 + index)}', '${iso(0)}')`,
    );
  }
  lines.push(
    `INSERT INTO papers (id, title, abstract, authors, categories, primary_category, abs_url, pdf_url, upvotes, sources, published_at, ingested_at, refreshed_at) VALUES\n${papers.join(',\n')};`,
  );
  return lines.join('\n');
}

/** CPU hogs: busy loops in child processes, stopped (by their own pid) when the run ends. */
function startLoad(count) {
  return Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', 'let x = 0; for (;;) x = (x * 1103515245 + 12345) % 2147483648;'], {
      stdio: 'ignore',
    }),
  );
}

async function main() {
  const server = fakeResend();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const resendPort = server.address().port;
  let worker;
  let hogs = [];
  try {
    console.log(
      `Delivery benchmark: ${N} subscribers, fake Resend at ${R} req/s, ${PAPERS} candidate papers` +
        (LOAD ? `, ${LOAD} CPU hogs alongside` : ''),
    );
    worker = await startLocalWorker({
      port: REQUESTED_PORT,
      keep,
      seedSql: seedSql(),
      vars: {
        RESEND_API_URL: `http://127.0.0.1:${resendPort}`,
        RESEND_API_KEY: 're_bench',
        RESEND_RATE_PER_SEC: R,
      },
    });
    const { base } = worker;
    hogs = startLoad(LOAD);
    const loadBefore = loadavg()[0];
    const started = Date.now();
    const response = await fetch(`${base}/admin/digest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ all: true }),
    });
    const plan = await response.json();
    const planned = Date.now();
    // The first planner step plans up to 800 and continues on the plan queue for the rest.
    if (!response.ok || !(plan.planned > 0))
      throw new Error(`Planner answered ${response.status}: ${JSON.stringify(plan)}`);
    await waitFor(
      async () => stats.accepted >= N,
      Math.max(120_000, (N / (100 * R)) * 4000),
      `${N} accepted emails`,
    );
    const finished = stats.lastAcceptedAt;
    // Bookkeeping must agree: every delivery sent, none queued or failed.
    let deliveries;
    await waitFor(
      async () => {
        const current = await (
          await fetch(`${base}/admin/stats`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
        ).json();
        deliveries = current.deliveries;
        return deliveries.queued === 0 && deliveries.sent + deliveries.skipped + deliveries.failed >= N;
      },
      CHAOS > 0 ? 300_000 : 30_000,
      'deliveries to be recorded',
    );

    const wall = (finished - started) / 1000;
    const loadAfter = loadavg()[0];
    const floor = N / (100 * R);
    const duplicates = [...stats.emails.values()].filter((count) => count > 1).length;
    const result = {
      subscribers: N,
      rate_per_sec: R,
      wall_seconds: Number(wall.toFixed(2)),
      planner_seconds: Number(((planned - started) / 1000).toFixed(2)),
      first_request_seconds: Number(((stats.arrivalLog[0] - started) / 1000).toFixed(2)),
      mean_gap_ms: Math.round(
        (stats.arrivalLog.at(-1) - stats.arrivalLog[0]) / Math.max(1, stats.arrivalLog.length - 1),
      ),
      floor_seconds: floor,
      ratio_to_floor: Number((wall / floor).toFixed(3)),
      requests: stats.requests,
      rate_limited_429: stats.rateLimited,
      rate_limited_share: Number((stats.rateLimited / Math.max(stats.requests, 1)).toFixed(4)),
      idempotent_replays: stats.replays,
      chaos_injected: stats.chaos.length,
      max_batch: stats.maxBatch,
      max_request_bytes: stats.bytes,
      recipients: stats.emails.size,
      duplicate_recipients: duplicates,
      deliveries,
      cpu_hogs: LOAD,
      load_average_1m: [Number(loadBefore.toFixed(2)), Number(loadAfter.toFixed(2))],
    };
    if (process.env.BENCH_LOG_LEVEL) {
      console.log(
        'arrival gaps (ms):',
        stats.arrivalLog.map((t, i, all) => (i ? t - all[i - 1] : 0)).join(' '),
      );
      for (const line of worker.log().split('\n')) if (line.includes('"send_message"')) console.log(line);
    }
    console.log(JSON.stringify(result, null, 2));
    console.log(
      `wall ${wall.toFixed(2)} s vs floor ${floor.toFixed(2)} s = ${(wall / floor).toFixed(3)}× (target ≤ 1.1×); ` +
        `${stats.rateLimited} of ${stats.requests} requests answered 429 (target ≤ 1%); duplicates: ${duplicates}`,
    );
    // Under chaos only correctness counts: everyone exactly once, all bookkeeping final.
    const ok =
      (CHAOS > 0 || (wall / floor <= 1.1 && stats.rateLimited / stats.requests <= 0.01)) &&
      duplicates === 0 &&
      stats.emails.size === N &&
      deliveries.sent === N;
    process.exitCode = ok ? 0 : 1;
  } catch (error) {
    console.error(
      (worker?.log() ?? '')
        .split('\n')
        .filter((line) => !/cf. object|getaddrinfo|GetAddrInfo|onlookupall/.test(line))
        .join('\n')
        .slice(-8000),
    );
    console.error(`fake Resend: ${JSON.stringify({ ...stats, emails: stats.emails.size })}`);
    throw error;
  } finally {
    for (const hog of hogs) hog.kill('SIGKILL');
    await parser.terminate();
    await worker?.stop();
    server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
