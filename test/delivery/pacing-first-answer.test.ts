/**
 * The first answers of an isolate: before Resend has told it the team's limit, requests
 * leave one at a time, each after the previous answer, so a configured rate above the
 * key's limit (RESEND_RATE_PER_SEC = 10 on a key allowed 1 per second) draws no 429.
 * Its own file: the pacer's knowledge of the limit is per isolate (module state), and the
 * other pacing tests have taught it one by the time they finish.
 */
import { describe, expect, it } from 'vitest';
import { sendMessageSchema } from '../../src/delivery/messages';
import { effectiveRate } from '../../src/delivery/pacer';
import { deliverBatch, fakeResend, planViaAdmin, resendEnv, seedPaper, seedSubscribers } from './helpers';

describe('pacing before the first answer', () => {
  it('adopts a lower limit from ratelimit-limit than RESEND_RATE_PER_SEC says, without a 429', async () => {
    // Resend takes 250 ms to answer the first request (a batch of 100 emails). The request
    // timeout is raised from the tests' 400 ms: on a loaded machine 250 ms of fake latency
    // plus scheduling came near it, and a timed-out first request is a retry, not the case.
    const resend = fakeResend([], { limit: 1, answerMs: [250] });
    await seedPaper({ ingestedAt: '2026-11-26T02:00:00.000Z' });
    await seedSubscribers(300, { sendHour: 8 });
    const planning = resendEnv();
    await planViaAdmin(planning.env, { at: '2026-11-26T09:00:00.000Z' });
    const messages = planning.queued.map((body) => sendMessageSchema.parse(body));
    expect(messages).toHaveLength(3);
    expect(effectiveRate(10)).toBe(10);
    const sending = resendEnv({ RESEND_RATE_PER_SEC: '10', RESEND_TIMEOUT_MS: '5000' });
    const runs = await deliverBatch(sending.env, messages);
    // Three messages pipelined in one batch: the second is ready long before the first
    // answer, and must not leave before it.
    expect(runs.map((run) => [run.acked, run.retryDelay])).toEqual([
      [true, null],
      [true, null],
      [true, null],
    ]);
    expect(effectiveRate(10)).toBe(1);
    expect(resend.requests).toHaveLength(3);
    const times = resend.requests.map((request) => request.at);
    for (let index = 1; index < times.length; index++)
      expect(times[index]! - times[index - 1]!).toBeGreaterThanOrEqual(1000);
    expect(resend.delivered).toHaveLength(300);
  });
});
