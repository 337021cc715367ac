/**
 * REPLY_TO: where replies to every email go. Checked through the Worker's real handlers
 * against the JSON Resend receives at the HTTP boundary: a digest (whose request body is
 * joined from pre-encoded pieces), a confirmation and a data link all carry `reply_to`;
 * without REPLY_TO none carries the field (replies go to MAIL_FROM); the development
 * outbox lists it as the Reply-To header; and a value that is no address stops the Worker
 * with a message naming it instead of getting every request refused.
 */
import { env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sendMessageSchema } from '../../src/delivery/messages';
import { BASE_URL, fetchWith } from '../helpers/app';
import { emailsTo, nextIp } from '../helpers/subscribers';
import {
  deliver,
  fakeResend,
  planViaAdmin,
  type ResendRequest,
  resendEnv,
  resetDelivery,
  seedPaper,
  seedSubscriber,
} from './helpers';

const REPLY_TO = 'replies@lab.example.org';
const AT = '2026-11-26T09:00:00.000Z';

/** Every email of every request, as Resend parsed it. */
const received = (requests: ResendRequest[]) =>
  requests.flatMap(
    (request) => request.emails as (ResendRequest['emails'][number] & { reply_to?: unknown })[],
  );

async function sendEdition(overrides: Record<string, unknown>) {
  const resend = fakeResend();
  await seedPaper({ ingestedAt: '2026-11-25T20:00:00.000Z', upvotes: 40 });
  await seedPaper({ ingestedAt: '2026-11-26T02:00:00.000Z', upvotes: 12 });
  const people = [await seedSubscriber(), await seedSubscriber(), await seedSubscriber()];
  const setup = resendEnv(overrides);
  expect((await planViaAdmin(setup.env, { at: AT })).status).toBe(200);
  expect(setup.queued.length).toBeGreaterThan(0);
  for (const body of setup.queued) {
    expect(await deliver(setup.env, sendMessageSchema.parse(body))).toEqual({
      acked: true,
      retryDelay: null,
    });
  }
  const emails = received(resend.requests);
  expect(emails.map((email) => email.to).sort()).toEqual(people.map((person) => person.email).sort());
  return emails;
}

/** A JSON post through the Worker with the Resend transport (its mail sent before this returns). */
function postWithResend(path: string, body: Record<string, string>, overrides: Record<string, unknown>) {
  return fetchWith(
    new Request(`${BASE_URL}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': nextIp() },
      body: JSON.stringify(body),
    }),
    { ...env, OUTBOX: 'off', RESEND_API_KEY: 're_test_reply_to', ...overrides } as Env,
  );
}

beforeEach(resetDelivery);
afterEach(() => vi.restoreAllMocks());

describe('REPLY_TO', () => {
  it('is the reply_to of every digest in the batch, next to the unchanged fields', async () => {
    const emails = await sendEdition({ REPLY_TO });
    for (const email of emails) {
      expect(email.reply_to).toBe(REPLY_TO);
      expect(email.from).toBe(env.MAIL_FROM);
      expect(email.html).toContain('</html>');
      expect(email.text.length).toBeGreaterThan(100);
      expect(email.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    }
  });

  it('is left out when unset, so replies go to MAIL_FROM', async () => {
    for (const email of await sendEdition({ REPLY_TO: '' })) expect(email).not.toHaveProperty('reply_to');
  });

  it('is the reply_to of the confirmation email', async () => {
    const resend = fakeResend();
    const { response } = await postWithResend('/subscribe', { email: 'replying@example.net' }, { REPLY_TO });
    expect(response.status).toBe(202);
    const [email, ...others] = received(resend.requests);
    expect(others).toEqual([]);
    expect(email).toMatchObject({ to: 'replying@example.net', from: env.MAIL_FROM, reply_to: REPLY_TO });
  });

  it('is the reply_to of the data link email', async () => {
    const subscriber = await seedSubscriber({ email: 'my-data@example.net' });
    const resend = fakeResend();
    const { response } = await postWithResend(
      '/data',
      { email: subscriber.email, action: 'export' },
      { REPLY_TO },
    );
    expect(response.status).toBe(202);
    const [email, ...others] = received(resend.requests);
    expect(others).toEqual([]);
    expect(email).toMatchObject({ to: 'my-data@example.net', reply_to: REPLY_TO });
    expect(email!.text).toContain('/data/export?token=');
  });

  it('shows as the Reply-To header in the development outbox', async () => {
    const { response } = await fetchWith(
      new Request(`${BASE_URL}/subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': nextIp() },
        body: JSON.stringify({ email: 'outbox-reply@example.net' }),
      }),
      { ...env, REPLY_TO } as Env,
    );
    expect(response.status).toBe(202);
    const [email] = await emailsTo('outbox-reply@example.net');
    expect(email!.headers['Reply-To']).toBe(REPLY_TO);
  });

  it('that is not one address stops the Worker with a message naming it', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    for (const value of ['Replies <replies@lab.example.org>', 'a@example.org, b@example.org', 'replies']) {
      const { response } = await fetchWith(
        new Request(`${BASE_URL}/`, { headers: { accept: 'application/json' } }),
        { ...env, REPLY_TO: value } as Env,
      );
      expect(response.status, value).toBe(500);
      const body = await response.json<{ error: { code: string; message: string } }>();
      expect(body.error.code).toBe('misconfigured');
      expect(body.error.message).toContain('REPLY_TO');
    }
    expect(errors).toHaveBeenCalled();
  });
});
