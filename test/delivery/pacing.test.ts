/**
 * Pacing from what Resend says: the RateLimit headers are read on every answer, a lower
 * `ratelimit-limit` than configured is adopted, a window filled by another sender on the
 * same team pushes the next request back, requests never put more than the limit inside
 * one window of actual start times, and a 429's retry-after is honoured. Through the
 * Worker's queue handler against a fake Resend that counts a sliding one-second window.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { deferSendSlots, reserveSendSlot } from '../../src/db/pacer';
import { sendMessageSchema } from '../../src/delivery/messages';
import { waitForSendSlot } from '../../src/delivery/pacer';
import { parseRateLimit } from '../../src/delivery/transport';
import {
  deliverBatch,
  fakeResend,
  planViaAdmin,
  resendEnv,
  resetDelivery,
  seedPaper,
  seedSubscribers,
} from './helpers';

const AT = '2026-11-26T09:00:00.000Z';

/** Plans `messages` messages of one subscriber each (one request per message). */
async function planMessages(messages: number) {
  await seedPaper({ ingestedAt: '2026-11-26T02:00:00.000Z' });
  await seedSubscribers(messages * 100, { sendHour: 8 });
  const planning = resendEnv();
  await planViaAdmin(planning.env, { at: AT });
  return planning.queued.map((body) => sendMessageSchema.parse(body));
}

beforeEach(resetDelivery);

describe('reading Resend’s rate-limit headers', () => {
  it('parses the IETF RateLimit headers Resend sends, and nothing when they are absent', () => {
    expect(
      parseRateLimit({ 'ratelimit-limit': '2', 'ratelimit-remaining': '0', 'ratelimit-reset': '1' }),
    ).toEqual({ limit: 2, remaining: 0, resetSeconds: 1 });
    expect(parseRateLimit({ 'ratelimit-limit': '10', 'ratelimit-remaining': '7' })).toEqual({
      limit: 10,
      remaining: 7,
      resetSeconds: 1,
    });
    // A window of hours would hold every send that long: a minute at most.
    expect(
      parseRateLimit({ 'ratelimit-limit': '2', 'ratelimit-remaining': '0', 'ratelimit-reset': '7200' }),
    ).toEqual({ limit: 2, remaining: 0, resetSeconds: 60 });
    expect(parseRateLimit({ 'content-type': 'application/json' })).toBeNull();
    expect(parseRateLimit(null)).toBeNull();
    expect(parseRateLimit({ 'ratelimit-limit': 'lots', 'ratelimit-remaining': '1' })).toBeNull();
  });
});

describe('pacing', () => {
  it('never starts more requests than the limit inside one second of actual start times', async () => {
    const starts: number[] = [];
    for (let request = 0; request < 5; request++) {
      const slot = await waitForSendSlot(env.DB, 2);
      if ('started' in slot) starts.push(slot.started);
    }
    expect(starts).toHaveLength(5);
    // Any three consecutive starts span more than the one-second window.
    for (let index = 2; index < starts.length; index++) {
      expect(starts[index]! - starts[index - 2]!).toBeGreaterThanOrEqual(1000);
    }
    // The window is what counts, not a 1/R spacing: the first two leave together.
    expect(starts[1]! - starts[0]!).toBeLessThan(250);
  });

  it('keeps the window across isolates: slots from D1 alone never put R+1 in one window', async () => {
    // Each reservation as a fresh isolate would make it (no local history): only D1 paces.
    const slots: number[] = [];
    for (let request = 0; request < 7; request++) {
      slots.push(await reserveSendSlot(env.DB, { perWindow: 3, windowMs: 1060 }));
    }
    expect(slots).toEqual([...slots].sort((a, b) => a - b));
    for (let index = 3; index < slots.length; index++) {
      expect(slots[index]! - slots[index - 3]!).toBeGreaterThanOrEqual(1060);
    }
    expect(slots[2]! - slots[0]!).toBeLessThan(250);
  });

  it('a rate below one per second stretches the window', async () => {
    const starts: number[] = [];
    for (let request = 0; request < 2; request++) {
      const slot = await waitForSendSlot(env.DB, 0.8);
      if ('started' in slot) starts.push(slot.started);
    }
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(1250);
  });

  it('holds every slot back until a deferral says the window frees', async () => {
    const hold = Date.now() + 1_500;
    await deferSendSlots(env.DB, hold);
    const slot = await reserveSendSlot(env.DB, { perWindow: 2, windowMs: 1060 });
    expect(slot).toBeGreaterThanOrEqual(hold);
  });

  it('waits for the window when another sender on the team has used it', async () => {
    // The first request takes 80 ms to arrive (a new connection): the window it fills, and
    // the reset Resend announces, count from then, not from when it left.
    const resend = fakeResend([], { limit: 2, transitMs: [80] });
    const messages = await planMessages(2);
    // The slot tests above took slots with no request behind them; this isolate counts them
    // as its own requests in the window until they are a second old.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const sending = resendEnv({ RESEND_RATE_PER_SEC: '2' });
    // A transactional email uses the team's window just before our first request: its answer
    // says 0 left. The second message comes after that answer (two requests leaving together
    // cannot know, and the second would be retried on its 429).
    resend.usedByOthers();
    const runs = [
      ...(await deliverBatch(sending.env, messages.slice(0, 1))),
      ...(await deliverBatch(sending.env, messages.slice(1))),
    ];
    expect(runs.map((run) => [run.acked, run.retryDelay])).toEqual([
      [true, null],
      [true, null],
    ]);
    const [first, second] = resend.requests.map((request) => request.at);
    expect(resend.requests).toHaveLength(2);
    // Our own request alone does not fill a window of 2: only the header says wait.
    expect(second! - first!).toBeGreaterThanOrEqual(1000);
    expect(resend.delivered).toHaveLength(200);
  });
});
