/**
 * A large edition's messages are sent one at a time: the next message of a queue batch
 * starts preparing (ranking, rendering, claiming its rows) only once the previous one's
 * request has been answered, so the isolate never holds two rendered batches and two
 * request bodies beside the edition's index (`sendsOneAtATime`). A small edition's stay
 * pipelined: the next message is claimed while the previous request is still pending.
 * Observed through the claim times of the second message's rows against the moment the
 * fake Resend answered the first request.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { sendMessageSchema } from '../../src/delivery/messages';
import { ONE_AT_A_TIME_CANDIDATES, sendsOneAtATime } from '../../src/delivery/request';
import { insertPapers, makePaper } from '../factories';
import {
  deliverBatch,
  deliveriesOf,
  fakeResend,
  planViaAdmin,
  resendEnv,
  resetDelivery,
  seedSubscribers,
} from './helpers';

beforeEach(resetDelivery);

/** How long the fake Resend takes to answer the first request: far longer than a small message's preparation. */
const ANSWER_MS = 1_000;

/** `count` candidates about what the seeded subscribers follow, ingested in the window. */
async function seedCandidates(count: number): Promise<void> {
  const papers = Array.from({ length: count }, (_, n) => {
    const id = `2611.${String(n).padStart(5, '0')}`;
    return makePaper({
      id,
      title: `Diffusion models for sparse attention ${n}`,
      abstract: `We study diffusion models and attention in large language models, variant ${n}.`,
      categories: ['cs.LG'],
      primaryCategory: 'cs.LG',
      upvotes: n % 50,
      sources: ['arxiv'],
      ingestedAt: '2026-11-26T02:00:00.000Z',
      refreshedAt: '2026-11-26T02:00:00.000Z',
    });
  });
  await insertPapers(env.DB, papers);
}

/** Sends two messages of 100 and 20 subscribers in one queue batch; the first answer takes a second. */
async function sendTwoMessages() {
  const resend = fakeResend([], { limit: 10, answerMs: [ANSWER_MS] });
  await seedSubscribers(120, { sendHour: 8 });
  const planning = resendEnv();
  await planViaAdmin(planning.env, { at: '2026-11-26T09:00:00.000Z' });
  const messages = planning.queued.map((body) => sendMessageSchema.parse(body));
  expect(messages).toHaveLength(2);
  const runs = await deliverBatch(resendEnv({ RESEND_TIMEOUT_MS: '5000' }).env, messages);
  expect(runs.map((run) => run.acked)).toEqual([true, true]);
  expect(resend.requests).toHaveLength(2);
  const rows = await deliveriesOf(messages[0]!.editionId);
  expect(rows.filter((row) => row.status === 'sent')).toHaveLength(120);
  const second = new Set(messages[1]!.subscriberIds);
  const claimedLast = Math.max(
    ...rows.filter((row) => second.has(row.subscriber_id)).map((row) => Date.parse(row.claimed_at!)),
  );
  return { firstAnswered: resend.requests[0]!.at + ANSWER_MS, secondClaimed: claimedLast };
}

describe('one message at a time for a large edition', () => {
  it('applies past ONE_AT_A_TIME_CANDIDATES', () => {
    expect(sendsOneAtATime(ONE_AT_A_TIME_CANDIDATES)).toBe(false);
    expect(sendsOneAtATime(ONE_AT_A_TIME_CANDIDATES + 1)).toBe(true);
  });

  it('prepares the next message of a large edition only once the previous request is answered', async () => {
    await seedCandidates(ONE_AT_A_TIME_CANDIDATES + 1);
    const { firstAnswered, secondClaimed } = await sendTwoMessages();
    expect(secondClaimed).toBeGreaterThanOrEqual(firstAnswered);
  }, 60_000);

  it('keeps a small edition pipelined: the next message is claimed while a request is pending', async () => {
    await seedCandidates(20);
    const { firstAnswered, secondClaimed } = await sendTwoMessages();
    expect(secondClaimed).toBeLessThan(firstAnswered);
  }, 60_000);
});
