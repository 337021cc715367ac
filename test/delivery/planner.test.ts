/**
 * The planner through POST /admin/digest and the hourly cron: who is due in which time
 * zone (a missed hour still counts later the same local day; weekly on the weekday), that
 * a period is never planned twice, `all`, message chunking (≤100 subscribers per message,
 * ≤100 messages per sendBatch), the edition's frozen candidate set, and input validation.
 */
import { createExecutionContext, createScheduledController, env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { CRONS } from '../../src/cron';
import { insertedDeliveries, insertQueuedDeliveriesStatements, listActivePage } from '../../src/db/planning';
import { type PreferenceFields, updatePreferences } from '../../src/db/subscribers';
import { type SendMessage, sendMessageSchema } from '../../src/delivery/messages';
import { EDITION_MAX_CANDIDATES, STEP_SUBSCRIBERS } from '../../src/delivery/plan-step';
import type { Subscriber } from '../../src/domain';
import { parseConfig } from '../../src/env';
import { importSubscribers } from '../../src/subscriptions/import';
import { categoriesOf } from '../../src/subscriptions/interests';
import worker from '../../workers/index';
import { adminRequest } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';
import {
  capturedLogs,
  deliver,
  PLAN_QUEUE,
  planViaAdmin,
  resendEnv,
  resetDelivery,
  seedPaper,
  seedPapers,
  seedSubscriber,
  seedSubscribers,
} from './helpers';

/** Thursday 2026-11-26, 08:30 UTC. */
const AT = '2026-11-26T08:30:00.000Z';

function plannedIds(queued: unknown[]): string[] {
  return queued.flatMap((body) => sendMessageSchema.parse(body).subscriberIds).sort();
}

beforeEach(resetDelivery);

/** The preference page's save, changing only the schedule (UTC). */
async function changeSchedule(
  subscriber: Subscriber,
  schedule: Pick<PreferenceFields, 'frequency' | 'sendHour' | 'sendWeekday'>,
  at: string,
): Promise<void> {
  const saved = await updatePreferences(
    env.DB,
    subscriber.id,
    subscriber.tokenVersion,
    {
      interests: subscriber.interests,
      categories: categoriesOf(subscriber.interests),
      timeZone: 'UTC',
      digestSize: 5,
      trendingMix: 0.3,
      alwaysSend: true,
      ...schedule,
    },
    at,
  );
  expect(saved).not.toBeNull();
}

describe('who is due', () => {
  it('applies each subscriber’s own time zone, send hour and weekday', async () => {
    const due = [
      await seedSubscriber({ sendHour: 8 }), // UTC 08:30
      await seedSubscriber({ timeZone: 'America/New_York', sendHour: 3 }), // 03:30 local
      await seedSubscriber({ timeZone: 'Asia/Tokyo', sendHour: 8 }), // 17:30: missed 08:00, same local day
      await seedSubscriber({ timeZone: 'Asia/Kolkata', sendHour: 14 }), // 14:00 exactly
      await seedSubscriber({
        timeZone: 'Pacific/Kiritimati',
        frequency: 'weekly',
        sendWeekday: 4,
        sendHour: 22,
      }), // Thu 22:30
      await seedSubscriber({ frequency: 'weekly', sendWeekday: 4, sendHour: 8 }), // Thu 08:30 UTC
      await seedSubscriber({
        timeZone: 'America/Los_Angeles',
        frequency: 'weekly',
        sendWeekday: 4,
        sendHour: 0,
      }), // Thu 00:30
      await seedSubscriber({ timeZone: 'Not/AZone', sendHour: 7 }), // unknown zone counts as UTC
    ];
    const notDue = [
      await seedSubscriber({ sendHour: 9 }),
      await seedSubscriber({ timeZone: 'America/New_York', sendHour: 4 }),
      await seedSubscriber({ timeZone: 'Asia/Kolkata', sendHour: 15 }),
      await seedSubscriber({
        timeZone: 'Pacific/Kiritimati',
        frequency: 'weekly',
        sendWeekday: 5,
        sendHour: 0,
      }), // Friday
      await seedSubscriber({ frequency: 'weekly', sendWeekday: 3, sendHour: 8 }), // Wednesday: missed
      await seedSubscriber({
        timeZone: 'America/Los_Angeles',
        frequency: 'weekly',
        sendWeekday: 3,
        sendHour: 23,
      }), // LA is already Thursday
      await seedSubscriber({ status: 'pending' }),
      await seedSubscriber({ status: 'unsubscribed' }),
      await seedSubscriber({ status: 'suppressed' }),
    ];
    const { env: testEnv, queued } = resendEnv();
    const plan = await planViaAdmin(testEnv, { at: AT });
    expect(plan.status).toBe(200);
    expect(plan.json.planned).toBe(due.length);
    expect(plannedIds(queued)).toEqual(due.map((subscriber) => subscriber.id).sort());
    for (const subscriber of notDue) expect(plannedIds(queued)).not.toContain(subscriber.id);

    const periods = await env.DB.prepare('SELECT subscriber_id, period_key FROM deliveries').all<{
      subscriber_id: string;
      period_key: string;
    }>();
    const periodOf = new Map(periods.results.map((row) => [row.subscriber_id, row.period_key]));
    expect(periodOf.get(due[0]!.id)).toBe('2026-11-26');
    expect(periodOf.get(due[1]!.id)).toBe('2026-11-26'); // New York local date
    expect(periodOf.get(due[4]!.id)).toBe('2026-W48');
    const editions = plan.json.editions as { frequency: string; subscribers: number }[];
    expect(editions.map((edition) => [edition.frequency, edition.subscribers])).toEqual([
      ['daily', 5],
      ['weekly', 3],
    ]);
  });

  it('plans each period once: a second run plans nothing, the next local day plans again', async () => {
    const tokyo = await seedSubscriber({ timeZone: 'Asia/Tokyo', sendHour: 8 });
    const first = resendEnv();
    expect((await planViaAdmin(first.env, { at: AT })).json.planned).toBe(1);
    const again = resendEnv();
    const second = await planViaAdmin(again.env, { at: '2026-11-26T10:00:00.000Z' });
    expect(second.json.planned).toBe(0);
    expect(second.json.editions).toEqual([]);
    expect(again.queued).toHaveLength(0);

    // 16:00 UTC is 01:00 on the 27th in Tokyo: a new local day, but before the send hour.
    const early = resendEnv();
    expect((await planViaAdmin(early.env, { at: '2026-11-26T16:00:00.000Z' })).json.planned).toBe(0);
    // 23:30 UTC is 08:30 on the 27th in Tokyo: due again.
    const next = resendEnv();
    expect((await planViaAdmin(next.env, { at: '2026-11-26T23:30:00.000Z' })).json.planned).toBe(1);
    expect(plannedIds(next.queued)).toEqual([tokyo.id]);
  });

  it('with all=true ignores send hours and weekdays, still once per period', async () => {
    const late = await seedSubscriber({ sendHour: 23 });
    const weekly = await seedSubscriber({ frequency: 'weekly', sendWeekday: 0, sendHour: 6 });
    await seedSubscriber({ status: 'pending', sendHour: 0 });
    const { env: testEnv, queued } = resendEnv();
    const plan = await planViaAdmin(testEnv, { at: AT, all: true });
    expect(plan.json).toMatchObject({ planned: 2, all: true, at: AT });
    expect(plannedIds(queued)).toEqual([late.id, weekly.id].sort());
    const again = resendEnv();
    expect((await planViaAdmin(again.env, { at: AT, all: true })).json.planned).toBe(0);
  });

  // `all` pages through every active subscriber by id: a page must read about its own
  // rows, not every active subscriber sorted again for each page of the run.
  it('with all=true reads a page of subscribers per page, however many are stored', async () => {
    const active = (await seedSubscribers(1000)).sort();
    await seedSubscribers(20, { status: 'unsubscribed' });
    const spy = spyD1(env.DB);
    const first = await listActivePage(spy.db, '', 100);
    const second = await listActivePage(spy.db, first.at(-1)!.id, 100);
    expect([...first, ...second].map((candidate) => candidate.id)).toEqual(active.slice(0, 200));
    expect(spy.calls.map((call) => call.rowsRead).every((rows) => rows < 150)).toBe(true);
  });

  it('runs from the hourly cron with the scheduled time', async () => {
    const subscriber = await seedSubscriber({ sendHour: 8 });
    const { env: testEnv, queued } = resendEnv();
    const controller = createScheduledController({ cron: CRONS.planDigests, scheduledTime: Date.parse(AT) });
    await worker.scheduled(controller, testEnv, createExecutionContext());
    expect(plannedIds(queued)).toEqual([subscriber.id]);
  });
});

describe('editions and messages', () => {
  it('freezes the candidate papers of the window and enqueues ≤100 subscribers per message', async () => {
    const inWindow = await seedPaper({ ingestedAt: '2026-11-25T12:00:00.000Z' });
    await seedPaper({ ingestedAt: '2026-11-20T12:00:00.000Z' }); // older than the daily window
    await seedPaper({ ingestedAt: '2026-11-26T09:00:00.000Z' }); // after the planner's time
    const ids = await seedSubscribers(250, { sendHour: 8 });
    const { env: testEnv, queued, batchSizes } = resendEnv();
    const plan = await planViaAdmin(testEnv, { at: AT });
    expect(plan.json.planned).toBe(250);
    expect(plan.json.messages).toBe(3);
    const messages = queued.map((body) => sendMessageSchema.parse(body) as SendMessage);
    expect(messages.map((message) => message.subscriberIds.length)).toEqual([100, 100, 50]);
    expect(new Set(messages.flatMap((message) => message.subscriberIds)).size).toBe(250);
    expect(plannedIds(queued)).toEqual([...ids].sort());
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(100);

    const edition = await env.DB.prepare('SELECT * FROM editions WHERE id = ?')
      .bind(messages[0]!.editionId)
      .first<{ paper_ids: string; window_end: string; frequency: string }>();
    expect(JSON.parse(edition!.paper_ids)).toEqual([inWindow]);
    expect(edition!.window_end).toBe(AT);
    expect(messages[0]!.editionId).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('holds at most EDITION_MAX_CANDIDATES papers, leaving out the oldest unvoted ones, and says so', async () => {
    // The daily window of AT starts 2026-11-23T08:30Z. Its newest papers fill the ceiling but one.
    const recent = Array.from({ length: EDITION_MAX_CANDIDATES - 1 }, (_, i) => ({
      ingestedAt: new Date(Date.parse('2026-11-25T00:00:00.000Z') + i * 1_000).toISOString(),
      upvotes: 0,
    }));
    const recentIds = await seedPapers(recent);
    const [oldUpvoted] = await seedPapers([{ ingestedAt: '2026-11-23T09:00:00.000Z', upvotes: 3 }]);
    const oldUnvoted = await seedPapers([
      { ingestedAt: '2026-11-23T09:00:00.000Z', upvotes: 0 },
      { ingestedAt: '2026-11-23T10:00:00.000Z', upvotes: 0 },
    ]);
    await seedSubscriber({ sendHour: 8 });
    const logs = capturedLogs();
    const { env: testEnv, queued } = resendEnv();
    const plan = await planViaAdmin(testEnv, { at: AT });

    expect(plan.json.editions).toEqual([
      expect.objectContaining({ candidates: EDITION_MAX_CANDIDATES, left_out: 2, subscribers: 1 }),
    ]);
    const editionId = sendMessageSchema.parse(queued[0]).editionId;
    const edition = await env.DB.prepare('SELECT paper_ids FROM editions WHERE id = ?')
      .bind(editionId)
      .first<{ paper_ids: string }>();
    const ids = JSON.parse(edition!.paper_ids) as string[];
    // The most upvoted first, then in id order, as an edition under the ceiling lists them.
    expect(ids).toEqual([oldUpvoted, ...[...recentIds].sort()]);
    expect(ids).not.toContain(oldUnvoted[0]);
    expect(ids).not.toContain(oldUnvoted[1]);
    expect(logs).toContainEqual(
      expect.objectContaining({ event: 'edition_capped', edition: editionId, leftOut: 2, level: 'warn' }),
    );
  });

  it('reports nothing left out when the window fits', async () => {
    await seedPaper({ ingestedAt: '2026-11-25T12:00:00.000Z' });
    await seedSubscriber({ sendHour: 8 });
    const logs = capturedLogs();
    const plan = await planViaAdmin(resendEnv().env, { at: AT });
    expect(plan.json.editions).toEqual([expect.objectContaining({ candidates: 1, left_out: 0 })]);
    expect(logs.some((line) => line.event === 'edition_capped')).toBe(false);
  });

  it('plans thousands of subscribers over several steps, ≤100 per message and ≤100 messages per sendBatch', async () => {
    await seedSubscribers(2_300, { sendHour: 0 });
    const { env: testEnv, queued, batchSizes, continuations } = resendEnv();
    const plan = await planViaAdmin(testEnv, { at: AT });
    expect(plan.json.planned).toBe(STEP_SUBSCRIBERS);
    expect(continuations).toHaveLength(1);
    let steps = 1;
    while (continuations.length > 0) {
      expect(await deliver(testEnv, continuations.shift(), 1, PLAN_QUEUE)).toEqual({
        acked: true,
        retryDelay: null,
      });
      steps++;
    }
    expect(steps).toBe(Math.ceil(2_300 / STEP_SUBSCRIBERS));
    expect(queued).toHaveLength(23);
    expect(batchSizes.every((size) => size <= 100)).toBe(true);
    expect(new Set(plannedIds(queued)).size).toBe(2_300);
    // Every step planned into the run's one edition.
    expect(new Set(queued.map((body) => (body as SendMessage).editionId)).size).toBe(1);
    const rows = await env.DB.prepare(
      `SELECT COUNT(*) AS count FROM deliveries WHERE status = 'queued'`,
    ).first<{
      count: number;
    }>();
    expect(rows!.count).toBe(2_300);
  });

  // A step reads its subscribers, then inserts their rows: whoever left in between (an
  // unsubscribe, or an erasure that already swept their history) must not get a new row.
  it('inserts no delivery for a subscriber who left after the step read them', async () => {
    await seedSubscriber({ sendHour: 8 }); // due: the edition exists
    // Read by a step (of another run) that is about to insert their rows.
    const stays = await seedSubscriber({ sendHour: 20 });
    const unsubscribed = await seedSubscriber({ sendHour: 20 });
    const erased = await seedSubscriber({ sendHour: 20 });
    const { env: testEnv, queued } = resendEnv();
    await planViaAdmin(testEnv, { at: AT });
    const { editionId } = sendMessageSchema.parse(queued[0]);
    await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?`)
      .bind(unsubscribed.id)
      .run();
    await env.DB.prepare('DELETE FROM subscribers WHERE id = ?').bind(erased.id).run();
    const rows = [stays, unsubscribed, erased].map((subscriber, n) => ({
      id: `late-${n}`,
      subscriberId: subscriber.id,
      periodKey: '2026-11-27',
    }));
    const results = await env.DB.batch(insertQueuedDeliveriesStatements(env.DB, editionId, rows, AT));
    expect(results.flatMap(insertedDeliveries).map((row) => row.subscriberId)).toEqual([stays.id]);
  });
});

describe('next_send_at: plan what is due, not what is stored', () => {
  const nextOf = async (id: string) =>
    (await env.DB.prepare('SELECT next_send_at FROM subscribers WHERE id = ?').bind(id).first<{
      next_send_at: string;
    }>())!.next_send_at;

  it('moves each subscriber to their next local send hour, across a DST change', async () => {
    const newYork = await seedSubscriber({ timeZone: 'America/New_York', sendHour: 8 });
    const later = await seedSubscriber({ timeZone: 'America/New_York', sendHour: 20 });
    // Saturday 7 March 2026, 08:30 EST.
    const first = resendEnv();
    expect((await planViaAdmin(first.env, { at: '2026-03-07T13:30:00.000Z' })).json.planned).toBe(1);
    // Sunday's 08:00 is EDT: 12:00Z, not 13:00Z. The other one is due at 20:00 EST today.
    expect(await nextOf(newYork.id)).toBe('2026-03-08T12:00:00.000Z');
    expect(await nextOf(later.id)).toBe('2026-03-08T01:00:00.000Z');
    const sunday = resendEnv();
    const plan = await planViaAdmin(sunday.env, { at: '2026-03-08T12:00:00.000Z' });
    expect(plannedIds(sunday.queued)).toEqual([newYork.id]);
    expect(plan.json.planned).toBe(1);
    // No run came between 20:00 and midnight on Saturday: that day is skipped, not sent 12 h
    // late (more than LATE_PLANNING_HOURS), and the next window is Sunday 20:00 EDT.
    expect(await nextOf(later.id)).toBe('2026-03-09T00:00:00.000Z');
    expect(await nextOf(newYork.id)).toBe('2026-03-09T12:00:00.000Z');
  });

  it('applies changed preferences at the next run, the same day', async () => {
    const reader = await seedSubscriber({ sendHour: 20 });
    const morning = resendEnv();
    expect((await planViaAdmin(morning.env, { at: AT })).json.planned).toBe(0);
    expect(await nextOf(reader.id)).toBe('2026-11-26T20:00:00.000Z');
    await changeSchedule(
      reader,
      { frequency: 'daily', sendHour: 9, sendWeekday: 1 },
      '2026-11-26T08:40:00.000Z',
    );
    expect(await nextOf(reader.id)).toBe('');
    const nine = resendEnv();
    await planViaAdmin(nine.env, { at: '2026-11-26T09:00:00.000Z' });
    expect(plannedIds(nine.queued)).toEqual([reader.id]);
    expect(await nextOf(reader.id)).toBe('2026-11-27T09:00:00.000Z');
  });

  it('keeps a schedule changed while a run is planning: the run does not overwrite it', async () => {
    // Weekly on Thursday at 08:00; while the 08:30 run plans this week's digest they switch
    // to a daily digest at 18:00, after the run read them and before it stored their next instant.
    const reader = await seedSubscriber({ frequency: 'weekly', sendWeekday: 4, sendHour: 8 });
    let changed = false;
    const spy = spyD1(env.DB, async (sql) => {
      if (!sql.includes('UPDATE subscribers SET next_send_at') || changed) return;
      changed = true;
      await changeSchedule(
        reader,
        { frequency: 'daily', sendHour: 18, sendWeekday: 4 },
        '2026-11-26T08:31:00.000Z',
      );
    });
    const morning = resendEnv({ DB: spy.db });
    expect((await planViaAdmin(morning.env, { at: AT })).json.planned).toBe(1);
    expect(changed).toBe(true);
    // Not next Thursday (the old weekly schedule): today's daily digest is due at 18:00.
    const evening = resendEnv();
    await planViaAdmin(evening.env, { at: '2026-11-26T18:00:00.000Z' });
    expect(plannedIds(evening.queued)).toEqual([reader.id]);
  });

  it('schedules imported subscribers at import, so the first run reads only who is due', async () => {
    const report = await importSubscribers(
      { db: env.DB, config: parseConfig(env) },
      [
        { email: 'early@example.org', send_hour: 6, time_zone: 'UTC' },
        { email: 'late@example.org', send_hour: 22, time_zone: 'UTC' },
        { email: 'kolkata@example.org', send_hour: 14, time_zone: 'Asia/Kolkata' },
      ],
      new Date(AT),
    );
    expect(report.imported).toBe(3);
    const rows = await env.DB.prepare('SELECT email, next_send_at FROM subscribers ORDER BY email').all<{
      email: string;
      next_send_at: string;
    }>();
    expect(rows.results).toEqual([
      { email: 'early@example.org', next_send_at: '2026-11-26T06:00:00.000Z' },
      { email: 'kolkata@example.org', next_send_at: '2026-11-26T08:30:00.000Z' },
      { email: 'late@example.org', next_send_at: '2026-11-26T22:00:00.000Z' },
    ]);
    const spy = spyD1(env.DB);
    const setup = resendEnv({ DB: spy.db });
    expect((await planViaAdmin(setup.env, { at: AT })).json.planned).toBe(2);
    const read = spy.calls.find((call) => call.sql.includes('next_send_at <= ?1'))!;
    expect(read.rowsReturned).toBe(2);
  });

  it('continues a large run on the plan queue, and a newer run supersedes it', async () => {
    await seedSubscribers(STEP_SUBSCRIBERS + 50, { sendHour: 8 });
    const older = resendEnv();
    await planViaAdmin(older.env, { at: AT });
    expect(older.continuations).toHaveLength(1);
    // A newer run starts before the older one's continuation runs: it plans the rest itself.
    const newer = resendEnv();
    const plan = await planViaAdmin(newer.env, { at: '2026-11-26T09:30:00.000Z' });
    expect(plan.json.planned).toBe(50);
    expect(await deliver(older.env, older.continuations[0], 1, PLAN_QUEUE)).toEqual({
      acked: true,
      retryDelay: null,
    });
    expect(older.queued.length + newer.queued.length).toBe(Math.ceil(STEP_SUBSCRIBERS / 100) + 1);
    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM deliveries').first<{ n: number }>();
    expect(count!.n).toBe(STEP_SUBSCRIBERS + 50);
  });
});

describe('POST /admin/digest input', () => {
  it('requires the admin token', async () => {
    const response = await worker.fetch(
      new Request('https://digest.test/admin/digest', { method: 'POST' }),
      env,
      createExecutionContext(),
    );
    expect(response.status).toBe(401);
  });

  it('works without a body and answers with the plan', async () => {
    const response = await adminRequest('/admin/digest', { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ planned: 0, editions: [], all: false, paused: null });
  });

  it('refuses bad JSON and bad fields with clear errors', async () => {
    const { env: testEnv } = resendEnv();
    const badJson = await worker.fetch(
      new Request('https://digest.test/admin/digest', {
        method: 'POST',
        headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: '{"at":',
      }),
      testEnv,
      createExecutionContext(),
    );
    expect(badJson.status).toBe(400);
    expect((await badJson.json<{ error: { code: string } }>()).error.code).toBe('invalid_json');

    const badFields = await planViaAdmin(testEnv, { at: 'yesterday', all: 'yes' });
    expect(badFields.status).toBe(400);
    const error = (badFields.json as { error: { code: string; fields: Record<string, string[]> } }).error;
    expect(error.code).toBe('invalid_request');
    expect(Object.keys(error.fields).sort()).toEqual(['all', 'at']);
  });
});
