/**
 * The queue entry point under failure and across deploys, through the Worker's real queue
 * handler: retry delays stay within what Cloudflare Queues accepts whatever an upstream
 * asks for.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { sendMessageSchema } from '../../src/delivery/messages';
import {
  deliver,
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

beforeEach(resetDelivery);

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
