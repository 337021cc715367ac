#!/usr/bin/env node
/**
 * `npm run bench:scale`: the planner at 100,000 subscribers, through the admin API as an
 * operator with a big list would use it. Under `wrangler dev` with a fresh local D1:
 *   1. ingest papers from the local fake Hugging Face / arXiv upstream (real data);
 *   2. import 100,000 subscribers spread over 100 time zones (every zone with a half- or
 *      quarter-hour offset among them) and 24 send hours, with POST /admin/subscribers/import,
 *      CSV, 20,000 rows a request;
 *   3. time POST /admin/digest {"at": T} three ways: the catch-up hour T (about half the list
 *      is due: its first step answers, the rest continues on the plan queue, timed until the
 *      last step), T again (nobody new is due; target ≤ 0.3 s) and T + 30 min (only the
 *      half-hour zones are due; target ≤ 0.5 s), each checked against the due count computed
 *      here independently with Intl.
 * "Resend" is a fake that answers every batch with daily_quota_exceeded, so the sender
 * parks the planned deliveries after one request, as in production when the quota is
 * spent: the run measures planning, not 50,000 renders. The last line is one JSON object.
 *
 * Options: --subscribers N (100000) --port P --keep
 * --send R: the fake accepts instead, R requests per second (RESEND_RATE_PER_SEC=R), and the
 * run goes on until every planned digest is sent: the whole catch-up through the local queues.
 */
import { createServer } from 'node:http';
import { startFakeUpstream } from '../e2e/fake-upstream.mjs';
import { admin, startLocalWorker, waitFor } from './local-worker.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
};
const N = option('subscribers', 100_000);
/** With --send R: send the catch-up for real (to an accepting fake) at R requests per second. */
const SEND_RATE = option('send', 0);
const ROWS_PER_IMPORT = 20_000;
const ZONE_COUNT = 100;
const TOPICS = ['diffusion models', 'LLM agents', 'reinforcement learning', 'speech; cs.SD', 'cs.CV', ''];

// ---------------------------------------------------------------------------------------
// Local clocks, computed here independently of the Worker's code

const formatters = new Map();
function localParts(zone, at) {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    formatters.set(zone, formatter);
  }
  const part = Object.fromEntries(formatter.formatToParts(at).map(({ type, value }) => [type, value]));
  return {
    date: `${part.year}-${part.month}-${part.day}`,
    hour: Number(part.hour) % 24,
    minute: Number(part.minute),
    weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(part.weekday),
  };
}

/** ISO week key (e.g. 2026-W48) of a YYYY-MM-DD date. */
function isoWeek(date) {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7) + 3); // Thursday decides the year
  const firstThursday = new Date(Date.UTC(day.getUTCFullYear(), 0, 4));
  firstThursday.setUTCDate(firstThursday.getUTCDate() - ((firstThursday.getUTCDay() + 6) % 7) + 3);
  const week = 1 + Math.round((day - firstThursday) / (7 * 86_400_000));
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** Due at `at` by the local clock (the planner's rule), and the period that would be planned. */
function dueAt(subscriber, at) {
  const clock = localParts(subscriber.zone, at);
  const due = clock.hour >= subscriber.hour && (subscriber.frequency === 'daily' || clock.weekday === 1);
  return { due, period: subscriber.frequency === 'weekly' ? isoWeek(clock.date) : clock.date };
}

/** Wall-clock reading of `zone` at `at`, as if it were UTC (ms). */
function wallClock(zone, at) {
  const clock = localParts(zone, at);
  return Date.parse(`${clock.date}T00:00:00Z`) + clock.hour * 3_600_000 + clock.minute * 60_000;
}

/**
 * The first instant at which `zone` reads `date` `hour`:00 or later, found by walking UTC in
 * 15-minute steps (every zone's offset is a multiple of 15 minutes): the planner's
 * `zonedInstant`, computed the slow and obvious way.
 */
function firstInstant(zone, date, hour) {
  const target = Date.parse(`${date}T00:00:00Z`) + hour * 3_600_000;
  for (let at = target - 15 * 3_600_000; ; at += 15 * 60_000) {
    if (wallClock(zone, new Date(at)) >= target) return at;
  }
}

/**
 * What an import at `importedAt` stores as a subscriber's first send instant: today's
 * instant (past or not), or for a weekly digest the instant of its weekday (Monday) this
 * week if that is today, else the next one.
 */
function importedInstant(subscriber, importedAt) {
  const clock = localParts(subscriber.zone, importedAt);
  const ahead = subscriber.frequency === 'weekly' ? (1 - clock.weekday + 7) % 7 : 0;
  const date = new Date(Date.parse(`${clock.date}T00:00:00Z`) + ahead * 86_400_000)
    .toISOString()
    .slice(0, 10);
  return firstInstant(subscriber.zone, date, subscriber.hour);
}

/**
 * Planned by a run at `at` in a fresh database: due by the local clock, or else (the
 * planner's missedPeriod) the first send instant stored at import passed at most 6 h
 * before `at`, in a period no run planned because the benchmark skips the hours between.
 */
function plannedAt(subscriber, at) {
  if (dueAt(subscriber, at).due) return true;
  const instant = subscriber.firstInstant;
  return instant <= at.getTime() && at.getTime() - instant <= 6 * 3_600_000;
}

/** 100 zones: every zone whose offset is not a whole hour, the rest spread over the others. */
function pickZones() {
  const all = Intl.supportedValuesOf('timeZone');
  const minutes = (zone) => localParts(zone, new Date()).minute !== new Date().getUTCMinutes();
  const fractional = all.filter(minutes);
  const whole = all.filter((zone) => !minutes(zone));
  const step = whole.length / (ZONE_COUNT - fractional.length);
  const spread = Array.from(
    { length: ZONE_COUNT - fractional.length },
    (_, index) => whole[Math.floor(index * step)],
  );
  return { zones: [...fractional, ...spread], fractional: new Set(fractional) };
}

// ---------------------------------------------------------------------------------------
// Fake Resend: the quota is spent

function quotaSpentResend() {
  const stats = { requests: 0, accepted: 0 };
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      stats.requests++;
      if (SEND_RATE) {
        const count = JSON.parse(Buffer.concat(chunks).toString('utf8')).length;
        stats.accepted += count;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ data: Array.from({ length: count }, () => ({ id: crypto.randomUUID() })) }),
        );
        return;
      }
      response.writeHead(429, {
        'content-type': 'application/json',
        'ratelimit-limit': '2',
        'ratelimit-remaining': '1',
        'ratelimit-reset': '1',
      });
      response.end(
        JSON.stringify({
          name: 'daily_quota_exceeded',
          message: 'You have reached your daily email sending quota.',
          statusCode: 429,
        }),
      );
    });
  });
  return { server, stats };
}

// ---------------------------------------------------------------------------------------

async function main() {
  const { zones, fractional } = pickZones();
  const subscribers = Array.from({ length: N }, (_, index) => ({
    email: `reader${index}@scale.example.org`,
    zone: zones[index % ZONE_COUNT],
    hour: Math.floor(index / ZONE_COUNT) % 24,
    frequency: index % 10 === 9 ? 'weekly' : 'daily',
    interests: TOPICS[index % TOPICS.length],
  }));
  const upstream = await startFakeUpstream();
  const resend = quotaSpentResend();
  await new Promise((resolve) => resend.server.listen(0, '127.0.0.1', resolve));
  process.env.BENCH_LOG_LEVEL ??= 'log'; // the plan steps are counted from the Worker's log
  let worker;
  try {
    console.log(
      `Scale benchmark: ${N} subscribers, ${ZONE_COUNT} time zones (${fractional.size} not on the hour), 24 send hours`,
    );
    worker = await startLocalWorker({
      port: option('port', 0),
      keep: args.includes('--keep'),
      vars: {
        HF_API_URL: upstream.url,
        ARXIV_API_URL: upstream.url,
        RESEND_API_URL: `http://127.0.0.1:${resend.server.address().port}`,
        RESEND_API_KEY: 're_bench',
        ...(SEND_RATE ? { RESEND_RATE_PER_SEC: SEND_RATE } : {}),
      },
    });
    const { base } = worker;
    const ingest = await admin(base, '/admin/ingest', { body: {} });
    const papers = ingest.json.runs?.reduce((sum, run) => sum + run.inserted, 0) ?? 0;
    console.log(`ingest: ${papers} papers in ${ingest.seconds.toFixed(2)} s`);

    const imports = [];
    for (let start = 0; start < N; start += ROWS_PER_IMPORT) {
      const rows = subscribers.slice(start, start + ROWS_PER_IMPORT);
      const csv = [
        'email,interests,frequency,send_hour,time_zone',
        ...rows.map((row) => `${row.email},"${row.interests}",${row.frequency},${row.hour},${row.zone}`),
      ].join('\n');
      // As the import does: once per distinct schedule, at the time of the request.
      const importedAt = new Date();
      const instants = new Map();
      for (const row of rows) {
        const key = `${row.zone}|${row.frequency}|${row.hour}`;
        if (!instants.has(key)) instants.set(key, importedInstant(row, importedAt));
        row.firstInstant = instants.get(key);
      }
      const result = await admin(base, '/admin/subscribers/import', { body: csv, contentType: 'text/csv' });
      if (result.json.imported !== rows.length)
        throw new Error(`import: ${JSON.stringify(result.json).slice(0, 500)}`);
      imports.push(result.seconds);
      console.log(
        `import ${start / ROWS_PER_IMPORT + 1}: ${rows.length} rows in ${result.seconds.toFixed(2)} s`,
      );
    }

    // The catch-up hour: the next whole hour (import just happened: half the list is past its hour).
    const T = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
    const T30 = new Date(T.getTime() + 30 * 60_000);
    const expectedCatchUp = subscribers.filter((subscriber) => plannedAt(subscriber, T)).length;
    const expectedHalfHour = subscribers.filter((subscriber) => {
      const before = dueAt(subscriber, T);
      const after = dueAt(subscriber, T30);
      return after.due && !(before.due && before.period === after.period);
    });

    const stepsBefore = (worker.log().match(/"event":"plan_step"/g) ?? []).length;
    const catchUp = await admin(base, '/admin/digest', { body: { at: T.toISOString() } });
    const catchUpStarted = Date.now() - catchUp.seconds * 1000;
    // The rest of the run continues on the plan queue: wait for its last step.
    let planned = catchUp.json.planned;
    if (planned < expectedCatchUp) {
      await waitFor(
        async () => {
          const lines = worker.log().match(/\{"event":"plan_step".*\}/g) ?? [];
          const last = lines.at(-1);
          planned = lines.slice(stepsBefore).reduce((sum, line) => sum + JSON.parse(line).planned, 0);
          return last !== undefined && JSON.parse(last).continues === false && lines.length > stepsBefore;
        },
        600_000,
        'the catch-up run to finish',
        200,
      );
    }
    const catchUpSeconds = (Date.now() - catchUpStarted) / 1000;
    const steps = Math.max(1, (worker.log().match(/"event":"plan_step"/g) ?? []).length - stepsBefore);
    console.log(
      `catch-up at ${T.toISOString()}: first step ${catchUp.json.planned} planned in ${catchUp.seconds.toFixed(2)} s; ` +
        `${planned} of ${expectedCatchUp} due planned in ${steps} steps, ${catchUpSeconds.toFixed(1)} s`,
    );
    if (planned !== expectedCatchUp)
      throw new Error(`catch-up planned ${planned}, expected ${expectedCatchUp}`);

    let sendSeconds = null;
    if (SEND_RATE) {
      await waitFor(
        async () => resend.stats.accepted >= planned,
        3_600_000,
        'every planned digest to be sent',
        500,
      );
      sendSeconds = (Date.now() - catchUpStarted) / 1000;
      console.log(
        `sent: ${resend.stats.accepted} digests in ${resend.stats.requests} requests, ${sendSeconds.toFixed(1)} s after the catch-up began`,
      );
    }

    const again = await admin(base, '/admin/digest', { body: { at: T.toISOString() } });
    console.log(
      `same hour again: ${again.json.planned} planned in ${again.seconds.toFixed(3)} s (target ≤ 0.3 s)`,
    );
    const halfHour = await admin(base, '/admin/digest', { body: { at: T30.toISOString() } });
    const halfHourZones = new Set(expectedHalfHour.map((subscriber) => subscriber.zone));
    console.log(
      `30 minutes later: ${halfHour.json.planned} planned (expected ${expectedHalfHour.length}, in ${halfHourZones.size} zones, ` +
        `all off the hour: ${[...halfHourZones].every((zone) => fractional.has(zone))}) in ${halfHour.seconds.toFixed(3)} s (target ≤ 0.5 s)`,
    );
    if (again.json.planned !== 0) throw new Error(`the same hour again planned ${again.json.planned}`);
    if (halfHour.json.planned !== expectedHalfHour.length)
      throw new Error(
        `30 minutes later planned ${halfHour.json.planned}, expected ${expectedHalfHour.length}`,
      );

    const result = {
      subscribers: N,
      zones: ZONE_COUNT,
      papers,
      import_seconds: imports.map((seconds) => Number(seconds.toFixed(2))),
      catch_up_first_step_seconds: Number(catchUp.seconds.toFixed(3)),
      catch_up_planned: planned,
      catch_up_steps: steps,
      catch_up_seconds: Number(catchUpSeconds.toFixed(1)),
      nobody_due_seconds: Number(again.seconds.toFixed(3)),
      half_hour_seconds: Number(halfHour.seconds.toFixed(3)),
      half_hour_planned: halfHour.json.planned,
      resend_requests: resend.stats.requests,
      ...(SEND_RATE
        ? { send_rate: SEND_RATE, sent: resend.stats.accepted, send_seconds: Number(sendSeconds.toFixed(1)) }
        : {}),
    };
    const ok = result.nobody_due_seconds <= 0.3 && result.half_hour_seconds <= 0.5;
    console.log(JSON.stringify(result));
    process.exitCode = ok ? 0 : 1;
  } catch (error) {
    console.error(
      (worker?.log() ?? '')
        .split('\n')
        .filter((line) => !line.includes('"plan_step"'))
        .join('\n')
        .slice(-6000),
    );
    throw error;
  } finally {
    await worker?.stop();
    await upstream.close();
    resend.server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
