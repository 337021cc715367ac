/**
 * The queue entry point under failure and across deploys, through the Worker's real queue
 * handler: retry delays stay within what Cloudflare Queues accepts whatever an upstream
 * asks for, and a dead-letter batch settles each message on its own, so one message whose
 * write fails neither stops the others nor is dropped unlogged.
 */
import { env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sendMessageSchema } from '../../src/delivery/messages';
import { spyD1 } from '../helpers/d1-spy';
import {
  DEAD_LETTER_QUEUE,
  deliver,
  deliverBatch,
  deliveriesOf,
  fakeResend,
  planViaAdmin,
  resendEnv,
  resetDelivery,
  seedPaper,
  seedSubscriber,
} from './helpers';

const AT = '2026-11-26T09:00:00.000Z';

async function planEdition(subscribers: number) {
  await seedPaper({ ingestedAt: '2026-11-26T02:00:00.000Z', upvotes: 12 });
  const people = [];
  for (let index = 0; index < subscribers; index++) people.push(await seedSubscriber());
  const setup = resendEnv();
  expect((await planViaAdmin(setup.env, { at: AT })).status).toBe(200);
  const message = sendMessageSchema.parse(setup.queued[0]);
  return { ...setup, people, message, editionId: message.editionId };
}

/** Lines logged as JSON by src/lib/log.ts during the test. */
function capturedLogs() {
  const lines: Record<string, unknown>[] = [];
  const capture = (line: unknown) => {
    try {
      lines.push(JSON.parse(String(line)) as Record<string, unknown>);
    } catch {
      // not one of ours
    }
  };
  vi.spyOn(console, 'log').mockImplementation(capture);
  vi.spyOn(console, 'error').mockImplementation(capture);
  return lines;
}

beforeEach(resetDelivery);
afterEach(() => {
  vi.restoreAllMocks();
});

describe('retry delays', () => {
  it('caps a retry-after beyond the 12 h Queues allow at 12 h', async () => {
    fakeResend([
      {
        status: 429,
        name: 'rate_limit_exceeded',
        message: 'Too many requests.',
        headers: { 'retry-after': '100000' },
      },
    ]);
    const { env: testEnv, message } = await planEdition(1);
    expect(await deliver(testEnv, message)).toEqual({ acked: false, retryDelay: 43_200 });
  });
});

describe('dead-letter queue', () => {
  it('settles each dead letter on its own: one failed write is retried, the others are marked failed', async () => {
    fakeResend();
    const { people, editionId } = await planEdition(2);
    const [broken, fine] = people.map((person) => person.id) as [string, string];
    // D1 refuses the write for the first message only (an overloaded or restarting database).
    const spy = spyD1(env.DB, (sql, params) => {
      if (sql.includes('UPDATE deliveries') && params.some((value) => String(value).includes(broken)))
        throw new Error('D1_ERROR: Network connection lost.');
    });
    const testEnv = { ...resendEnv().env, DB: spy.db };
    const logs = capturedLogs();
    const runs = await deliverBatch(
      testEnv,
      [
        { v: 1, editionId, subscriberIds: [broken] },
        { v: 1, editionId, subscriberIds: [fine] },
      ],
      9,
      DEAD_LETTER_QUEUE,
    );
    expect(runs[0]!.acked).toBe(false);
    expect(runs[0]!.retryDelay).toBeGreaterThan(0);
    expect(runs[1]).toEqual({ acked: true, retryDelay: null });
    const rows = await deliveriesOf(editionId);
    expect(rows.find((row) => row.subscriber_id === fine)!.status).toBe('failed');
    expect(rows.find((row) => row.subscriber_id === broken)!.status).not.toBe('failed');
    expect(logs.some((line) => line.event === 'dead_letter_failed' && line.edition === editionId)).toBe(true);
  });
});
