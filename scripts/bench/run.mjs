/**
 * `npm run bench`: what an operator pays per email, end to end, inside workerd. Bundles
 * scripts/bench/worker.ts with esbuild (production React, NODE_ENV=production), runs it
 * through Miniflare and measures each request from here (workerd freezes its clocks during
 * synchronous code) as the CPU time workerd's threads ran for it, read from the kernel's
 * per-thread counters, minus an empty request's: CPU time is what Workers bill, and unlike
 * wall-clock time it does not count the moments another process had the machine's cores
 * (the e2e wall-clock figure is printed beside it).
 *
 * Per email, at 300 and at 3,000 candidate papers, for subscribers whose interests and
 * links were never seen before: ranking, HTML, text, every signed link, the email object
 * and its share of the Resend batch request's JSON encoding (e2e), against the same with a
 * full React render per subscriber (naive). Parts are measured alone and shown beside the
 * headline, labelled as parts; the per-edition setup (ranking index, prepared render) is
 * shown per edition, and with it the CPU of one cold 10-message queue batch. Rounds are
 * interleaved so that a noisy moment on a shared machine hits every figure alike; each
 * figure is a median. The fast path is checked byte-identical to React before timing.
 * The last line is one JSON object.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = path.join(root, 'node_modules', '.cache', 'papers-digest-bench');
mkdirSync(outDir, { recursive: true });
const outfile = path.join(outDir, 'worker.js');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
};
/** Subscribers per measured request, and rounds, per candidate-pool size. */
const SIZES = [
  { candidates: 300, count: option('count', 1000), rounds: option('rounds', 7) },
  { candidates: 3000, count: option('count-3000', 500), rounds: option('rounds-3000', 5) },
];
const NAIVE_CHUNK = 200; // each React render leaves a timer in workerd (10,000 per request)
const NAIVE_EMAILS = option('naive', 1000);
const BATCH_EMAILS = 1000; // one queue batch: max_batch_size 10 × 100 subscribers
const DIGEST_NOTE = `15 papers per digest, medians of ${SIZES.map((size) => `${size.rounds} rounds × ${size.count}`).join(' and ')} fresh subscribers`;

await build({
  entryPoints: [path.join(root, 'scripts/bench/worker.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  conditions: ['workerd', 'worker', 'browser', 'import', 'default'],
  mainFields: ['module', 'main'],
  define: { 'process.env.NODE_ENV': '"production"' },
  jsx: 'automatic',
  external: ['node:*', 'cloudflare:*'],
  logLevel: 'error',
});

const mf = new Miniflare({
  modules: true,
  scriptPath: outfile,
  compatibilityDate: '2026-04-20',
  compatibilityFlags: ['nodejs_compat'],
});

/**
 * The workerd processes Miniflare started for this run: children of this process (or of
 * its children) named workerd.
 */
function workerdPids() {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      parents.set(Number(entry), { name, ppid });
    } catch {}
  }
  const mine = (pid) => {
    for (let at = pid, hops = 0; at > 1 && hops < 4; hops++) {
      at = parents.get(at)?.ppid ?? 0;
      if (at === process.pid) return true;
    }
    return false;
  };
  return [...parents]
    .filter(([pid, { name }]) => name.startsWith('workerd') && mine(pid))
    .map(([pid]) => pid);
}

/**
 * CPU time workerd's threads have run, in ms (the scheduler's nanosecond counters): what a
 * Worker is billed for, and unlike wall time not inflated when others share the machine.
 */
function workerdCpuMs(pids) {
  let nanoseconds = 0;
  for (const pid of pids) {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        nanoseconds += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {}
    }
  }
  return nanoseconds / 1e6;
}

await mf.ready;
// Without /proc (macOS) there is no per-thread CPU counter to read: wall-clock time stands in.
const pids = existsSync('/proc/self/task') ? workerdPids() : [];
const CLOCK = pids.length > 0 ? 'workerd CPU time' : 'wall-clock time (no /proc here)';
async function call(pathname) {
  const cpuBefore = workerdCpuMs(pids);
  const started = performance.now();
  const response = await mf.dispatchFetch(`http://bench.local${pathname}`);
  const text = await response.text();
  const elapsed = performance.now() - started;
  const cpu = workerdCpuMs(pids) - cpuBefore;
  if (!response.ok) throw new Error(`${pathname}: ${response.status} ${text.slice(0, 2000)}`);
  return { elapsed, cpu: pids.length > 0 ? cpu : elapsed, body: JSON.parse(text) };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
let seed = 1;
/** A fresh round of subscribers (new ids, new interests) for the next measurement. */
const fresh = (candidates, count) => call(`/round?candidates=${candidates}&count=${count}&seed=${seed++}`);

try {
  for (const { candidates } of SIZES) {
    await call(`/papers?candidates=${candidates}`);
    await call(`/context?candidates=${candidates}`);
    await fresh(candidates, 40);
    const verify = await call(`/verify?candidates=${candidates}&check=40`);
    if (!verify.body.identical)
      throw new Error(`fast path differs from the React render: ${JSON.stringify(verify.body)}`);
    // Warm up the JIT on every path.
    await fresh(candidates, 200);
    await call(`/e2e?candidates=${candidates}`);
    await call(`/rank?candidates=${candidates}`);
    await call(`/assemble?candidates=${candidates}`);
  }
  await fresh(300, 50);
  await call('/naive?candidates=300');

  const noopCalls = [];
  for (let run = 0; run < 9; run++) noopCalls.push(await call('/noop'));
  const noop = median(noopCalls.map((noopCall) => noopCall.cpu));
  const noopWall = median(noopCalls.map((noopCall) => noopCall.elapsed));
  const timed = async (pathname) => (await call(pathname)).cpu - noop;

  const results = {};
  for (const { candidates, count, rounds } of SIZES) {
    const samples = {
      e2e: [],
      e2eWall: [],
      rank: [],
      assemble: [],
      links: [],
      encode: [],
      index: [],
      prepare: [],
    };
    let html = [];
    let requestBytes = 0;
    for (let run = 0; run < rounds; run++) {
      await fresh(candidates, count);
      const e2e = await call(`/e2e?candidates=${candidates}`);
      samples.e2e.push((e2e.cpu - noop) / count);
      samples.e2eWall.push((e2e.elapsed - noopWall) / count);
      requestBytes = Math.max(requestBytes, e2e.body.requestBytes);
      await fresh(candidates, count);
      samples.rank.push((await timed(`/rank?candidates=${candidates}`)) / count);
      samples.assemble.push((await timed(`/assemble?candidates=${candidates}`)) / count);
      await fresh(candidates, count);
      samples.links.push((await timed(`/links?candidates=${candidates}`)) / count);
      await fresh(candidates, count);
      html = html.concat((await call(`/emails?candidates=${candidates}`)).body.htmlBytes);
      samples.encode.push((await timed(`/encode?candidates=${candidates}`)) / count);
      if (run < 3) {
        samples.index.push(await timed(`/index?candidates=${candidates}`));
        samples.prepare.push(await timed(`/prepare?candidates=${candidates}`));
      }
    }
    results[candidates] = {
      ...Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)])),
      htmlMedian: median(html),
      htmlMax: Math.max(...html),
      requestBytes,
    };
  }

  const naiveChunks = [];
  for (let from = 0; from < NAIVE_EMAILS; from += NAIVE_CHUNK) {
    await fresh(300, NAIVE_CHUNK);
    naiveChunks.push(await timed('/naive?candidates=300'));
  }
  const naivePerEmail = naiveChunks.reduce((sum, ms) => sum + ms, 0) / NAIVE_EMAILS;

  const small = results[300];
  const large = results[3000];
  const round = (value, digits) => Number(value.toFixed(digits));
  const batchSeconds = (size) => (size.index + size.prepare + BATCH_EMAILS * size.e2e) / 1000;
  const rows = [
    ['', '300 papers', '3,000 papers'],
    [
      'e2e per email: rank + HTML + text + links + email + JSON',
      `${small.e2e.toFixed(3)} ms`,
      `${large.e2e.toFixed(3)} ms`,
    ],
    [
      '  the same in wall-clock time (inflated when the machine is shared)',
      `${small.e2eWall.toFixed(3)} ms`,
      `${large.e2eWall.toFixed(3)} ms`,
    ],
    [
      '  part: ranking alone (interests not cached)',
      `${(small.rank * 1000).toFixed(0)} µs`,
      `${(large.rank * 1000).toFixed(0)} µs`,
    ],
    [
      '  part: assembly alone (HTML + text JSON, links signed)',
      `${small.assemble.toFixed(3)} ms`,
      `${large.assemble.toFixed(3)} ms`,
    ],
    [
      '  part: signing alone (4 WebCrypto HMACs)',
      `${small.links.toFixed(3)} ms`,
      `${large.links.toFixed(3)} ms`,
    ],
    [
      '  part: Resend request JSON, share per email',
      `${small.encode.toFixed(3)} ms`,
      `${large.encode.toFixed(3)} ms`,
    ],
    ['per edition: ranking index build', `${small.index.toFixed(0)} ms`, `${large.index.toFixed(0)} ms`],
    ['per edition: prepared render', `${small.prepare.toFixed(0)} ms`, `${large.prepare.toFixed(0)} ms`],
    [
      'one cold queue batch (10 × 100 emails + edition setup)',
      `${batchSeconds(small).toFixed(2)} s`,
      `${batchSeconds(large).toFixed(2)} s`,
    ],
    [
      'HTML per email: median / largest',
      `${(small.htmlMedian / 1024).toFixed(1)} / ${(small.htmlMax / 1024).toFixed(1)} KB`,
      `${(large.htmlMedian / 1024).toFixed(1)} / ${(large.htmlMax / 1024).toFixed(1)} KB`,
    ],
    [
      'Resend request body (100 emails)',
      `${(small.requestBytes / 1e6).toFixed(2)} MB`,
      `${(large.requestBytes / 1e6).toFixed(2)} MB`,
    ],
    ['naive per email: same, React render per subscriber', `${naivePerEmail.toFixed(3)} ms`, ''],
    ['ratio naive / e2e', `${(naivePerEmail / small.e2e).toFixed(1)}×`, ''],
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column].length)));
  console.log(
    `papers-digest benchmark · workerd via Miniflare · production React · ${CLOCK} · ${DIGEST_NOTE}`,
  );
  console.log('');
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('  '));
  console.log('');
  console.log(
    JSON.stringify({
      naive_ms_per_email: round(naivePerEmail, 3),
      e2e_ms_per_email: round(small.e2e, 4),
      e2e_ms_per_email_3000: round(large.e2e, 4),
      ratio: round(naivePerEmail / small.e2e, 1),
      html_kb_median: round(small.htmlMedian / 1024, 1),
      rank_us_per_subscriber_3000: round(large.rank * 1000, 1),
    }),
  );
} finally {
  await mf.dispose();
}
