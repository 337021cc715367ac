/**
 * The planner through POST /admin/digest and the hourly cron: who is due in which time
 * zone (a missed hour still counts later the same local day; weekly on the weekday), that
 * a period is never planned twice, `all`, message chunking (≤100 subscribers per message,
 * ≤100 messages per sendBatch), the edition's frozen candidate set, and input validation.
 */
import { createExecutionContext, createScheduledController, env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { CRONS } from '../../src/cron';
import { type SendMessage, sendMessageSchema } from '../../src/delivery/messages';
import worker from '../../workers/index';
import { adminRequest } from '../helpers/app';
import {
  planViaAdmin,
  resendEnv,
  resetDelivery,
  seedPaper,
  seedSubscriber,
  seedSubscribers,
} from './helpers';

/** Thursday 2026-11-26, 08:30 UTC. */
const AT = '2026-11-26T08:30:00.000Z';

function plannedIds(queued: unknown[]): string[] {
  return queued.flatMap((body) => sendMessageSchema.parse(body).subscriberIds).sort();
}

beforeEach(resetDelivery);

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

  it('splits sendBatch calls for thousands of subscribers', async () => {
    await seedSubscribers(2_300, { sendHour: 0 });
    const { env: testEnv, queued, batchSizes } = resendEnv();
    const plan = await planViaAdmin(testEnv, { at: AT });
    expect(plan.json.planned).toBe(2_300);
    expect(queued).toHaveLength(23);
    expect(batchSizes.every((size) => size <= 100)).toBe(true);
    const rows = await env.DB.prepare(
      `SELECT COUNT(*) AS count FROM deliveries WHERE status = 'queued'`,
    ).first<{
      count: number;
    }>();
    expect(rows!.count).toBe(2_300);
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
