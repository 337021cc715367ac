/**
 * The sender end to end: POST /admin/digest plans, the Worker's real queue handler sends
 * through a fake Resend at the HTTP boundary. Covers the happy path (one batch request per
 * message, headers, tags, stored ids, sent papers), and every failure the issue lists
 * (429 with retry-after, 500s, timeouts, accepted-then-dropped, validation errors, quota
 * exhaustion, dead letters), proving each time that nobody gets a digest twice.
 */
import { env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eraseSubscriberData } from '../../src/db/subscribers';
import { type SendMessage, sendMessageSchema } from '../../src/delivery/messages';
import { idempotencyKey } from '../../src/delivery/request';
import type { Subscriber } from '../../src/domain';
import { parseConfig } from '../../src/env';
import { unsubscribeUrl } from '../../src/links';
import { adminRequest, request } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import { expectNoMsoInText, expectOutlookGhostTable } from '../helpers/outlook';
import { signedWebhook } from '../helpers/webhooks';
import {
  capturedLogs,
  DEAD_LETTER_QUEUE,
  deliver,
  deliveriesOf,
  deliverUntilAcked,
  fakeResend,
  historyOf,
  planViaAdmin,
  RESEND_BATCH_URL,
  resendEnv,
  resetDelivery,
  seedPaper,
  seedSubscriber,
  seedSubscribers,
} from './helpers';

const AT = '2026-11-26T09:00:00.000Z';

async function planEdition(subscribers = 3, overrides: Record<string, unknown> = {}) {
  await seedPaper({ ingestedAt: '2026-11-25T20:00:00.000Z', upvotes: 40 });
  await seedPaper({ ingestedAt: '2026-11-26T02:00:00.000Z', upvotes: 12 });
  await seedPaper({ ingestedAt: '2026-11-26T03:00:00.000Z', upvotes: 3 });
  const people = [];
  for (let index = 0; index < subscribers; index++) people.push(await seedSubscriber());
  const setup = resendEnv(overrides);
  const plan = await planViaAdmin(setup.env, { at: AT });
  expect(plan.status).toBe(200);
  const messages = setup.queued.map((body) => sendMessageSchema.parse(body));
  expect(messages.length).toBeGreaterThan(0);
  const message = messages[0]!;
  return { ...setup, people, message, messages, editionId: message.editionId };
}

/**
 * A D1 binding on which, just before the first statement containing `sql` runs, the
 * subscriber confirms "unsubscribe" through the Worker (RFC 8058 one-click POST);
 * `answer()` is what they were told.
 */
async function unsubscribeBefore(sql: string, subscriber: Subscriber) {
  const link = await unsubscribeUrl(parseConfig(env), subscriber);
  let confirmed: Response | null = null;
  const spy = spyD1(env.DB, async (statement) => {
    if (confirmed || !statement.includes(sql)) return;
    confirmed = await request(link, { method: 'POST', headers: { accept: 'application/json' } });
  });
  return { db: spy.db, answer: () => (confirmed ? confirmed.json() : null) };
}

/** The quota pause ends, and the hourly planner runs: what it re-enqueued, and its answer. */
async function endQuotaPause() {
  await env.DB.prepare(
    `UPDATE app_state SET value = json_set(value, '$.until', '2000-01-01T00:00:00.000Z') WHERE key = 'resend_quota_pause'`,
  ).run();
  const resumed = resendEnv();
  return { resumed, plan: await planViaAdmin(resumed.env, { at: AT }) };
}

beforeEach(resetDelivery);
afterEach(() => {
  vi.restoreAllMocks();
});

describe('sending a planned edition', () => {
  it('sends one Resend batch per message with the headers, tags and ids a real newsletter needs', async () => {
    const resend = fakeResend();
    const { env: testEnv, message, people, editionId } = await planEdition(3);

    const run = await deliver(testEnv, message);
    expect(run).toEqual({ acked: true, retryDelay: null });
    expect(resend.requests).toHaveLength(1);
    const request = resend.requests[0]!;
    expect(request.key).toMatch(new RegExp(`^digest-${editionId}-[0-9a-f]{32}$`));
    expect(request.authorization).toBe('Bearer re_test_key');
    expect(request.emails.map((email) => email.to).sort()).toEqual(
      people.map((person) => person.email).sort(),
    );
    for (const email of request.emails) {
      expect(email.from).toBe('Papers Digest <digest@example.com>');
      expect(email.subject.length).toBeGreaterThan(0);
      expect(email.html.length).toBeGreaterThan(0);
      expect(email.text.length).toBeGreaterThan(0);
      // 600 px in Outlook on Windows too, in the HTML Resend receives.
      expectOutlookGhostTable(email.html, 600);
      expectNoMsoInText(email.text);
      expect(email.headers?.['List-Unsubscribe']).toMatch(
        /^<https:\/\/digest\.test\/unsubscribe\?token=[^>]+>$/,
      );
      expect(email.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
      expect(email.headers?.['List-Id']).toBe('Papers Digest <digest.digest.test>');
      for (const tag of email.tags ?? []) {
        expect(tag.name).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(tag.value).toMatch(/^[A-Za-z0-9_-]+$/);
      }
      expect(email.tags).toEqual(
        expect.arrayContaining([
          { name: 'edition', value: editionId },
          { name: 'delivery', value: expect.any(String) },
        ]),
      );
    }

    const rows = await deliveriesOf(editionId);
    expect(rows.map((row) => row.status)).toEqual(['sent', 'sent', 'sent']);
    const ids = new Set(resend.delivered.map((email) => email.id));
    for (const row of rows) expect(ids.has(row.resend_id!)).toBe(true);
    // The delivery tag of each email names its own row, so webhooks map back.
    for (const email of request.emails) {
      const tag = email.tags!.find((item) => item.name === 'delivery')!.value;
      expect(rows.find((row) => row.id === tag)?.subscriber_id).toBe(
        people.find((person) => person.email === email.to)!.id,
      );
    }
    // What each email carried is what its subscriber now counts as received.
    for (const row of rows) {
      expect(JSON.parse(row.paper_ids).length).toBeGreaterThan(0);
      expect(await historyOf(row.subscriber_id)).toEqual([...JSON.parse(row.paper_ids)].sort());
    }

    // The queue delivers at least once: a second delivery of the same message sends nothing.
    expect(await deliver(testEnv, message)).toEqual({ acked: true, retryDelay: null });
    expect(resend.requests).toHaveLength(1);

    const stats = await (await adminRequest('/admin/stats')).json<{ deliveries: { sent: number } }>();
    expect(stats.deliveries.sent).toBe(3);
  });

  it('never sends a paper twice: the next edition excludes what a subscriber already received', async () => {
    const resend = fakeResend();
    const { env: testEnv, message } = await planEdition(1);
    await deliver(testEnv, message);
    const first = await deliveriesOf(message.editionId);
    const firstPapers = JSON.parse(first[0]!.paper_ids) as string[];

    await seedPaper({ ingestedAt: '2026-11-26T20:00:00.000Z', upvotes: 5 });
    const next = resendEnv();
    const plan = await planViaAdmin(next.env, { at: '2026-11-27T09:00:00.000Z' });
    expect(plan.json.planned).toBe(1);
    const nextMessage = next.queued[0] as SendMessage;
    await deliver(next.env, nextMessage);
    const second = await deliveriesOf(nextMessage.editionId);
    const secondPapers = JSON.parse(second[0]!.paper_ids) as string[];
    expect(second[0]!.status).toBe('sent');
    expect(secondPapers.filter((id) => firstPapers.includes(id))).toEqual([]);
    expect(resend.requests).toHaveLength(2);
  });

  it('records as sent only the papers a digest too big for Gmail shows; the rest stay for later', async () => {
    const resend = fakeResend();
    const long = 'We study diffusion models and attention in large language models, at length. '.repeat(8);
    for (let index = 0; index < 50; index++) {
      await seedPaper({
        ingestedAt: '2026-11-26T02:00:00.000Z',
        upvotes: 100 - index,
        title: `Diffusion models for sparse attention in very large language models, revisited at scale (part ${index})`,
        abstract: long,
        authors: [
          'Ada Lovelace-Byron',
          'Alan Mathison Turing',
          'Grace Brewster Murray Hopper',
          'Edsger Dijkstra',
        ],
        links: {
          abs: `https://arxiv.org/abs/2611.${20000 + index}`,
          pdf: `https://arxiv.org/pdf/2611.${20000 + index}`,
          hf: `https://huggingface.co/papers/2611.${20000 + index}`,
          code: `https://github.com/some-organisation/some-long-repository-name-${index}`,
          project: `https://some-organisation.github.io/some-long-project-page-${index}/`,
        },
      });
    }
    await seedSubscriber({ digestSize: 50 });
    const setup = resendEnv();
    expect((await planViaAdmin(setup.env, { at: AT })).status).toBe(200);
    const message = sendMessageSchema.parse(setup.queued[0]);
    await deliver(setup.env, message);
    const email = resend.requests[0]!.emails[0]!;
    expect(new TextEncoder().encode(email.html).length).toBeLessThanOrEqual(100_000);
    const shown = (email.html.match(/class="pd-c"/g) ?? []).length;
    expect(shown).toBeGreaterThan(10);
    expect(shown).toBeLessThan(50);
    const [row] = await deliveriesOf(message.editionId);
    expect(JSON.parse(row!.paper_ids)).toHaveLength(shown);
    expect(await historyOf(row!.subscriber_id)).toHaveLength(shown);
    expect(email.subject).toMatch(new RegExp(`^${shown} new papers: `));
  });

  it('loads the edition while planning, so the first message in the same isolate reads none of it', async () => {
    fakeResend();
    await seedPaper({ ingestedAt: '2026-11-26T02:00:00.000Z', upvotes: 40 });
    await seedSubscriber();
    const spy = spyD1(env.DB);
    const setup = resendEnv({ DB: spy.db });
    await planViaAdmin(setup.env, { at: AT });
    const message = sendMessageSchema.parse(setup.queued[0]);
    const planned = spy.calls.filter((call) => /\bFROM editions\b/.test(call.sql)).length;
    expect(planned).toBeGreaterThan(0); // the warm-up read it
    spy.reset();
    expect(await deliver(setup.env, message)).toEqual({ acked: true, retryDelay: null });
    expect(spy.calls.filter((call) => /\bFROM editions\b/.test(call.sql))).toEqual([]);
    expect(spy.calls.length).toBeGreaterThan(0);
  });

  it('says "trending instead" in subject and intro when nothing matched, in the email, a replay and /digest', async () => {
    const resend = fakeResend();
    await seedPaper({ ingestedAt: '2026-11-26T02:00:00.000Z', upvotes: 40 });
    await seedPaper({ ingestedAt: '2026-11-26T03:00:00.000Z', upvotes: 12 });
    const reader = await seedSubscriber({
      interests: 'marine biology; volcano seismology',
      alwaysSend: true,
    });
    const setup = resendEnv();
    await planViaAdmin(setup.env, { at: AT });
    const message = sendMessageSchema.parse(setup.queued[0]);
    await deliver(setup.env, message);
    const email = resend.requests[0]!.emails.find((item) => item.to === reader.email)!;
    expect(email.subject).toMatch(/^Nothing on your interests; 2 trending: /);
    expect(email.text).toContain('Nothing matched your interests this time: 2 papers trending instead');
    expect(email.html).not.toContain('picked for you');
    const [row] = await deliveriesOf(message.editionId);
    const stored = JSON.parse(row!.ranking!) as { basis?: string }[];
    expect(stored.map((item) => item.basis)).toEqual(['trending', 'trending']);
    // The view-in-browser page tells the same story as the email.
    const view = /View in browser\s+(\S+)/.exec(email.text)![1]!;
    const page = await request(view);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(
      'Nothing matched your interests this time: 2 papers trending instead',
    );
  });

  it('skips subscribers who left between planning and sending, and sends nothing for them', async () => {
    const resend = fakeResend();
    const { env: testEnv, message, people } = await planEdition(2);
    await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?`)
      .bind(people[0]!.id)
      .run();
    await deliver(testEnv, message);
    expect(resend.requests[0]!.emails.map((email) => email.to)).toEqual([people[1]!.email]);
    const rows = await deliveriesOf(message.editionId);
    const left = rows.find((row) => row.subscriber_id === people[0]!.id)!;
    expect(left.status).toBe('skipped');
    expect(left.error).toContain('unsubscribed');
  });
});

describe('Resend failures', () => {
  it('honours 429 retry-after, then sends the same batch under the same key', async () => {
    const resend = fakeResend([
      {
        status: 429,
        name: 'rate_limit_exceeded',
        message: 'Too many requests. You can only make 2 requests per second.',
        headers: { 'retry-after': '2' },
      },
    ]);
    const { env: testEnv, message, editionId, queued, queuedDelays } = await planEdition(2);
    queued.length = 0;
    queuedDelays.length = 0;
    // A wait, not a failure: the message comes back after retry-after as a fresh copy, so
    // a rate-limit spell spends none of the attempts that lead to the dead-letter queue.
    const first = await deliver(testEnv, message);
    expect(first).toEqual({ acked: true, retryDelay: null });
    expect(queued).toEqual([message]);
    expect(queuedDelays).toEqual([2]);
    expect((await deliveriesOf(editionId)).map((row) => row.status)).toEqual(['sending', 'sending']);

    const second = await deliver(testEnv, sendMessageSchema.parse(queued[0]));
    expect(second.acked).toBe(true);
    expect(resend.requests).toHaveLength(2);
    expect(resend.requests[1]!.key).toBe(resend.requests[0]!.key);
    expect(resend.delivered).toHaveLength(2);
    expect((await deliveriesOf(editionId)).map((row) => row.status)).toEqual(['sent', 'sent']);
  });

  it('waits out a long 429 spell without spending queue attempts: nothing dead-lettered, each digest sent once', async () => {
    const limited = {
      status: 429,
      name: 'rate_limit_exceeded',
      message: 'Too many requests. You can only make 2 requests per second.',
      headers: { 'retry-after': '1' },
    };
    // Another sender on the team holds the window for longer than the queue has retries.
    const resend = fakeResend(Array.from({ length: 12 }, () => limited));
    const { env: testEnv, message, editionId, queued } = await planEdition(2);
    queued.length = 0;
    // The message arrives on its last attempt (an earlier outage spent the others).
    let run = await deliver(testEnv, message, 9);
    for (let copy = 0; copy < 12; copy++) {
      expect(run).toEqual({ acked: true, retryDelay: null });
      expect(queued).toHaveLength(copy + 1);
      // The hold the 429 put on every consumer ends before the copy would arrive.
      await env.DB.prepare(`DELETE FROM app_state WHERE key = 'resend_next_slot_ms'`).run();
      run = await deliver(testEnv, sendMessageSchema.parse(queued[copy]), 1);
    }
    expect(run).toEqual({ acked: true, retryDelay: null });
    expect(resend.requests).toHaveLength(13);
    expect(new Set(resend.requests.map((request) => request.key)).size).toBe(1);
    expect(resend.delivered).toHaveLength(2);
    expect((await deliveriesOf(editionId)).map((row) => row.status)).toEqual(['sent', 'sent']);
  });

  it('retries 500s with exponential backoff and the same key', async () => {
    const resend = fakeResend([
      { status: 500, name: 'internal_server_error', message: 'Something went wrong' },
      { status: 503, name: 'application_error', message: 'Unavailable' },
    ]);
    const { env: testEnv, message, editionId } = await planEdition(2);
    const runs = await deliverUntilAcked(testEnv, message);
    expect(runs.map((run) => run.retryDelay)).toEqual([10, 20, null]);
    expect(new Set(resend.requests.map((request) => request.key)).size).toBe(1);
    expect(resend.delivered).toHaveLength(2);
    const rows = await deliveriesOf(editionId);
    expect(rows.every((row) => row.status === 'sent' && row.resend_id)).toBe(true);
  });

  it('treats a timeout as unknown: the retry replays the key and nothing is sent twice', async () => {
    const resend = fakeResend(['hang']);
    const { env: testEnv, message, editionId } = await planEdition(2);
    const first = await deliver(testEnv, message);
    expect(first.acked).toBe(false);
    expect(first.retryDelay).toBe(10);
    const [row] = await deliveriesOf(editionId);
    expect(row!.error).toContain('network error or timeout');
    await deliver(testEnv, message, 2);
    expect(resend.requests[1]!.key).toBe(resend.requests[0]!.key);
    expect(resend.delivered).toHaveLength(2);
  });

  it('survives "accepted, then the connection dropped": the retry gets the first answer, not a second send', async () => {
    const resend = fakeResend(['accept-then-drop']);
    const { env: testEnv, message, editionId, people } = await planEdition(3);
    const first = await deliver(testEnv, message);
    expect(first.acked).toBe(false);
    expect(resend.delivered).toHaveLength(3); // Resend did send them

    const second = await deliver(testEnv, message, 2);
    expect(second.acked).toBe(true);
    expect(resend.requests).toHaveLength(2);
    expect(resend.requests[1]!.key).toBe(resend.requests[0]!.key);
    // Same key and byte-identical body: the replay is accepted, nobody gets a second copy.
    expect(resend.delivered).toHaveLength(3);
    const perRecipient = new Map<string, number>();
    for (const email of resend.delivered) perRecipient.set(email.to, (perRecipient.get(email.to) ?? 0) + 1);
    expect([...perRecipient.values()]).toEqual([1, 1, 1]);
    expect([...perRecipient.keys()].sort()).toEqual(people.map((person) => person.email).sort());
    const rows = await deliveriesOf(editionId);
    expect(rows.map((row) => row.resend_id).sort()).toEqual(resend.delivered.map((email) => email.id).sort());
  });

  it('replays an unfinished claim even when the subscriber changed preferences in between', async () => {
    const resend = fakeResend(['network-error']);
    const { env: testEnv, message, editionId, people } = await planEdition(1);
    await deliver(testEnv, message);
    await env.DB.prepare(`UPDATE subscribers SET digest_size = 1, interests = 'quantum' WHERE id = ?`)
      .bind(people[0]!.id)
      .run();
    await deliver(testEnv, message, 2);
    // The retry re-renders the stored ranking: the same papers, though the footer now shows
    // the new interests. The first request never reached Resend, so it sends this one, once.
    const [row] = await deliveriesOf(editionId);
    expect(row!.status).toBe('sent');
    expect(row!.resend_id).toBe(resend.delivered[0]!.id);
  });

  it('marks the deliveries failed with the reason on a refusal about every email, and does not retry', async () => {
    const resend = fakeResend([
      {
        status: 400,
        name: 'validation_error',
        message:
          'Invalid `tags` field. Tag names may only contain ASCII letters, numbers, underscores, or dashes.',
      },
    ]);
    const { env: testEnv, message, editionId } = await planEdition(2);
    expect(await deliver(testEnv, message)).toEqual({ acked: true, retryDelay: null });
    const rows = await deliveriesOf(editionId);
    expect(rows.map((row) => row.status)).toEqual(['failed', 'failed']);
    expect(rows[0]!.error).toContain('validation_error');
    expect(rows[0]!.error).toContain('Invalid `tags` field');
    await deliver(testEnv, message, 2);
    expect(resend.requests).toHaveLength(1);
    const stats = await (await adminRequest('/admin/stats')).json<{ deliveries: { failed: number } }>();
    expect(stats.deliveries.failed).toBe(2);
  });

  it.each([
    [
      'an unverified sending domain',
      403,
      'validation_error',
      'The example.com domain is not verified. Please, add and verify your domain.',
    ],
    [
      'an invalid from address',
      422,
      'invalid_from_address',
      'Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.',
    ],
    ['a revoked API key', 403, 'invalid_api_key', 'API key is invalid'],
  ])(
    'pauses on %s instead of failing the edition: shown in /admin/stats, sent once fixed',
    async (_label, status, name, refusal) => {
      const resend = fakeResend([{ status, name, message: refusal }]);
      const { env: testEnv, message, editionId } = await planEdition(2);
      const logs = capturedLogs();
      expect(await deliver(testEnv, message)).toEqual({ acked: true, retryDelay: null });
      let rows = await deliveriesOf(editionId);
      // Kept to be sent, parked for the planner, with Resend's words for the operator.
      expect(rows.map((row) => [row.status, row.send_key, row.enqueued_at])).toEqual([
        ['queued', null, null],
        ['queued', null, null],
      ]);
      expect(rows[0]!.error).toContain(refusal);
      expect(logs.find((line) => line.event === 'resend_configuration_refused')).toMatchObject({
        status,
        name,
      });
      const stats = await (await adminRequest('/admin/stats')).json<{
        sendingRefused: { status: number; name: string; message: string; until: string } | null;
        deliveries: { failed: number };
      }>();
      expect(stats.sendingRefused).toMatchObject({ status, name, message: refusal });
      expect(Date.parse(stats.sendingRefused!.until)).toBeGreaterThan(Date.now());
      expect(stats.deliveries.failed).toBe(0);

      // While paused, another message asks Resend nothing, and the planner re-enqueues nothing.
      await deliver(testEnv, message, 2);
      expect(resend.requests).toHaveLength(1);
      expect((await planViaAdmin(resendEnv().env, { at: AT })).json.requeued).toBe(0);

      // The operator fixes it; once the pause is over the planner puts the digests back.
      await env.DB.prepare(
        `UPDATE app_state SET value = json_set(value, '$.until', '2000-01-01T00:00:00.000Z') WHERE key = 'resend_config_pause'`,
      ).run();
      const resumed = resendEnv();
      expect((await planViaAdmin(resumed.env, { at: AT })).json.requeued).toBe(2);
      expect(await deliver(resumed.env, resumed.queued[0] as SendMessage)).toEqual({
        acked: true,
        retryDelay: null,
      });
      rows = await deliveriesOf(editionId);
      expect(rows.map((row) => row.status)).toEqual(['sent', 'sent']);
      expect(resend.delivered).toHaveLength(2);
      const after = await (await adminRequest('/admin/stats')).json<{ sendingRefused: unknown }>();
      expect(after.sendingRefused).toBeNull();
    },
  );

  it('retries a proxy’s HTML error page (403, 413) under the same key instead of failing the digests', async () => {
    const resend = fakeResend();
    // A CDN in front of Resend answers before Resend sees the request: HTML, not Resend's JSON.
    for (const status of [413, 403]) {
      fakeHttp.use(
        http.post(
          RESEND_BATCH_URL,
          () =>
            new HttpResponse(`<html><body><h1>${status} Forbidden</h1><p>cloudflare</p></body></html>`, {
              status,
              headers: { 'content-type': 'text/html' },
            }),
          { once: true },
        ),
      );
    }
    const { env: testEnv, message, editionId } = await planEdition(2);
    const logs = capturedLogs();
    const runs = await deliverUntilAcked(testEnv, message);
    expect(runs.map((run) => run.retryDelay)).toEqual([10, 20, null]);
    const rows = await deliveriesOf(editionId);
    expect(rows.map((row) => row.status)).toEqual(['sent', 'sent']);
    expect(resend.delivered).toHaveLength(2);
    expect(new Set(resend.delivered.map((email) => email.key)).size).toBe(1);
    const unrecognised = logs.filter((line) => line.event === 'resend_unrecognised_error');
    expect(unrecognised.map((line) => line.status)).toEqual([403, 413]);
  });

  it('splits a batch Resend refuses for one email: the others are sent once, that one fails with the reason', async () => {
    let refused = '';
    const resend = fakeResend([], undefined, (to) => to === refused);
    const { env: testEnv, message, editionId, people } = await planEdition(5);
    refused = people[3]!.email;
    expect(await deliver(testEnv, message)).toEqual({ acked: true, retryDelay: null });
    const rows = await deliveriesOf(editionId);
    const byPerson = new Map(rows.map((row) => [row.subscriber_id, row]));
    for (const person of people) {
      const row = byPerson.get(person.id)!;
      if (person.email === refused) {
        expect(row.status).toBe('failed');
        expect(row.error).toContain('Invalid `to` field');
      } else {
        expect(row.status).toBe('sent');
        expect(row.resend_id).not.toBeNull();
      }
    }
    expect(resend.delivered.map((email) => email.to).sort()).toEqual(
      people
        .map((person) => person.email)
        .filter((email) => email !== refused)
        .sort(),
    );
    // 5 → 3 + 2 → (2 + 1) + 2 → (1 + 1): at most 2n - 1 requests, each under its own key.
    expect(resend.requests.length).toBeLessThanOrEqual(2 * people.length - 1);
    expect(new Set(resend.requests.map((request) => request.key)).size).toBe(resend.requests.length);
    const before = resend.requests.length;
    await deliver(testEnv, message, 2);
    expect(resend.requests).toHaveLength(before);
  });

  it('replays each half of a split batch under its own key after a failure, sending nothing twice', async () => {
    let refused = '';
    // The first request is refused (one bad address); the first half then meets a network error.
    const resend = fakeResend(['accept', 'network-error'], undefined, (to) => to === refused);
    const { env: testEnv, message, editionId, people } = await planEdition(4);
    refused = people[3]!.email;
    const first = await deliver(testEnv, message);
    expect(first.acked).toBe(false);
    await deliver(testEnv, message, 2);
    await deliver(testEnv, message, 3);
    const rows = await deliveriesOf(editionId);
    expect(rows.filter((row) => row.status === 'sent')).toHaveLength(3);
    expect(rows.filter((row) => row.status === 'failed').map((row) => row.subscriber_id)).toEqual([
      people[3]!.id,
    ]);
    const perRecipient = new Map<string, number>();
    for (const email of resend.delivered) perRecipient.set(email.to, (perRecipient.get(email.to) ?? 0) + 1);
    expect([...perRecipient.values()]).toEqual([1, 1, 1]);
  });

  it('pauses on daily_quota_exceeded, shows it in /admin/stats, and resumes via the planner', async () => {
    const resend = fakeResend([
      {
        status: 429,
        name: 'daily_quota_exceeded',
        message: 'You have reached your daily email sending quota.',
      },
    ]);
    const { env: testEnv, message, editionId } = await planEdition(2);
    expect(await deliver(testEnv, message)).toEqual({ acked: true, retryDelay: null });
    let rows = await deliveriesOf(editionId);
    expect(rows.map((row) => row.status)).toEqual(['queued', 'queued']);
    expect(rows.every((row) => row.enqueued_at === null)).toBe(true);

    const stats = await (await adminRequest('/admin/stats')).json<{
      sending: { paused: boolean; period: string; until: string; reason: string };
    }>();
    expect(stats.sending.paused).toBe(true);
    expect(stats.sending.period).toBe('daily');
    expect(stats.sending.reason).toContain('daily quota');
    expect(Date.parse(stats.sending.until)).toBeGreaterThan(Date.now());

    // While paused, messages send nothing, and the planner does not re-enqueue.
    await deliver(testEnv, message, 2);
    expect(resend.requests).toHaveLength(1);
    const pausedPlan = resendEnv();
    const pausedRun = await planViaAdmin(pausedPlan.env, { at: AT });
    expect(pausedRun.json.requeued).toBe(0);
    expect(pausedRun.json.paused).toMatchObject({ period: 'daily' });

    // The quota resets: the hourly planner puts the parked deliveries back on the queue.
    const { resumed, plan } = await endQuotaPause();
    expect(plan.json.requeued).toBe(2);
    expect(plan.json.planned).toBe(0);
    const requeued = resumed.queued[0] as SendMessage;
    expect(await deliver(resumed.env, requeued)).toEqual({ acked: true, retryDelay: null });
    rows = await deliveriesOf(editionId);
    expect(rows.map((row) => row.status)).toEqual(['sent', 'sent']);
    // The quota answer was not an acceptance: the new claim carries a new key.
    expect(resend.requests[1]!.key).not.toBe(resend.requests[0]!.key);
    expect(resend.delivered).toHaveLength(2);
    const after = await (await adminRequest('/admin/stats')).json<{ sending: { paused: boolean } }>();
    expect(after.sending.paused).toBe(false);
  });

  it('keeps the key of a request whose answer was lost when its replay meets the quota: replayed after the pause, never re-keyed', async () => {
    // The first request times out: Resend may have sent it. The retry, under the same key, is
    // refused for quota, which says nothing about that first request (a refusal at Resend's
    // door need not look the key up), so what follows the pause must present the same key.
    const resend = fakeResend([
      'hang',
      {
        status: 429,
        name: 'daily_quota_exceeded',
        message: 'You have reached your daily email sending quota.',
      },
    ]);
    const { env: testEnv, message, editionId } = await planEdition(2);
    expect((await deliver(testEnv, message)).acked).toBe(false);
    expect(await deliver(testEnv, message, 2)).toEqual({ acked: true, retryDelay: null });
    const firstKey = resend.requests[0]!.key;
    expect(resend.requests[1]!.key).toBe(firstKey);
    let rows = await deliveriesOf(editionId);
    // Still claimed under that key, parked for the planner, with the reason for operators.
    expect(rows.map((row) => [row.status, row.send_key, row.enqueued_at])).toEqual([
      ['sending', firstKey, null],
      ['sending', firstKey, null],
    ]);
    expect(rows[0]!.error).toContain('daily quota');

    const { resumed, plan } = await endQuotaPause();
    expect(plan.json.requeued).toBe(2);
    expect(await deliver(resumed.env, resumed.queued[0] as SendMessage)).toEqual({
      acked: true,
      retryDelay: null,
    });
    expect(resend.requests.map((request) => request.key)).toEqual([firstKey, firstKey, firstKey]);
    rows = await deliveriesOf(editionId);
    expect(rows.map((row) => row.status)).toEqual(['sent', 'sent']);
    expect(resend.delivered).toHaveLength(2);
  });

  it('marks deliveries failed when their message reaches the dead-letter queue', async () => {
    fakeResend([{ status: 500, name: 'internal_server_error' }]);
    const { env: testEnv, message, editionId } = await planEdition(2);
    await deliver(testEnv, message);
    expect(await deliver(testEnv, message, 9, DEAD_LETTER_QUEUE)).toEqual({ acked: true, retryDelay: null });
    const rows = await deliveriesOf(editionId);
    expect(rows.map((row) => row.status)).toEqual(['failed', 'failed']);
    expect(rows[0]!.error).toContain('exhausted its queue retries');
    expect(rows[0]!.error).toContain('internal_server_error');
  });

  it('acks a malformed message instead of retrying it forever', async () => {
    const resend = fakeResend();
    const { env: testEnv } = resendEnv();
    expect(await deliver(testEnv, { kind: 'noop' })).toEqual({ acked: true, retryDelay: null });
    expect(resend.requests).toHaveLength(0);
  });
});

describe('batching', () => {
  it('sends one request of at most 100 emails per message', async () => {
    const resend = fakeResend();
    await seedPaper({ ingestedAt: '2026-11-26T02:00:00.000Z' });
    await seedSubscribers(150, { sendHour: 8 });
    const { env: testEnv, queued } = resendEnv();
    await planViaAdmin(testEnv, { at: AT });
    expect(queued).toHaveLength(2);
    for (const body of queued)
      expect(await deliver(testEnv, body)).toEqual({ acked: true, retryDelay: null });
    expect(resend.requests.map((request) => request.emails.length)).toEqual([100, 50]);
    expect(new Set(resend.requests.map((request) => request.key)).size).toBe(2);
    expect(resend.requests.every((request) => request.batchValidation === 'strict')).toBe(true);
    expect(new Set(resend.delivered.map((email) => email.to)).size).toBe(150);
  });
});

describe('duplicates and concurrency', () => {
  it('sends each subscriber once when two messages carry the same deliveries', async () => {
    const resend = fakeResend(['network-error']);
    const { env: testEnv, message } = await planEdition(3);
    await deliver(testEnv, message); // claimed, outcome unknown
    // A duplicate message (e.g. re-enqueued by the sweep) for an overlapping set.
    const duplicate: SendMessage = { ...message, subscriberIds: [...message.subscriberIds].reverse() };
    await deliver(testEnv, duplicate);
    await deliver(testEnv, message, 2);
    expect(resend.delivered).toHaveLength(3);
    expect(new Set(resend.delivered.map((email) => email.to)).size).toBe(3);
  });
});

describe('replays and races', () => {
  it('marks a replay answered 409 invalid_idempotent_request as sent, and never sends it again', async () => {
    const resend = fakeResend(['accept-then-drop']);
    const { env: testEnv, message, editionId, people } = await planEdition(2);
    expect((await deliver(testEnv, message)).acked).toBe(false);
    expect(resend.delivered).toHaveLength(2);
    // The replay's body differs from what Resend stored under the key (a link changed),
    // so Resend refuses it with 409: the first request got through.
    await env.DB.prepare('UPDATE subscribers SET token_version = token_version + 1 WHERE id = ?')
      .bind(people[0]!.id)
      .run();
    expect(await deliver(testEnv, message, 2)).toEqual({ acked: true, retryDelay: null });
    expect(resend.requests).toHaveLength(2);
    expect(resend.requests[1]!.key).toBe(resend.requests[0]!.key);
    const rows = await deliveriesOf(editionId);
    expect(rows.map((row) => row.status)).toEqual(['sent', 'sent']);
    expect(rows[0]!.error).toContain('accepted by an earlier attempt');
    // Settled: another delivery of the message sends nothing.
    await deliver(testEnv, message, 3);
    expect(resend.requests).toHaveLength(2);
    expect(resend.delivered).toHaveLength(2);
  });

  it('does not replay a claimed digest to someone who unsubscribed or was suppressed before the retry', async () => {
    // The first request never reached Resend; before the retry one reader unsubscribes and
    // another's address is suppressed (a complaint on an earlier digest).
    const resend = fakeResend(['network-error']);
    const { env: testEnv, message, editionId, people } = await planEdition(3);
    expect((await deliver(testEnv, message)).acked).toBe(false);
    const [left, suppressed, stayed] = people;
    await env.DB.batch([
      env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?`).bind(left!.id),
      env.DB.prepare(`UPDATE subscribers SET status = 'suppressed' WHERE id = ?`).bind(suppressed!.id),
    ]);
    expect(await deliver(testEnv, message, 2)).toEqual({ acked: true, retryDelay: null });
    expect(resend.delivered.map((email) => email.to)).toEqual([stayed!.email]);
    const rows = new Map((await deliveriesOf(editionId)).map((row) => [row.subscriber_id, row]));
    expect(rows.get(stayed!.id)!.status).toBe('sent');
    expect(rows.get(left!.id)).toMatchObject({ status: 'failed' });
    expect(rows.get(left!.id)!.error).toContain('subscriber unsubscribed before the send was confirmed');
    expect(rows.get(suppressed!.id)!.error).toContain('subscriber suppressed before the send was confirmed');
    await deliver(testEnv, message, 3);
    expect(resend.delivered).toHaveLength(1);
  });

  it('sends nothing to a reader whose unsubscribe was confirmed while their digest was being rendered', async () => {
    // The message loads its subscribers (all active), ranks and renders; the reader clicks
    // "unsubscribe" and sees it confirmed before the rows are claimed, the point from which
    // a request may carry them. The claim is what must see the unsubscribe.
    const resend = fakeResend();
    const { env: testEnv, message, editionId, people } = await planEdition(2);
    const [leaving, staying] = people;
    const race = await unsubscribeBefore("SET status = 'sending', send_key", leaving!);
    expect(await deliver({ ...testEnv, DB: race.db }, message)).toEqual({ acked: true, retryDelay: null });
    expect(await race.answer()).toEqual({ status: 'unsubscribed', changed: true });
    expect(resend.delivered.map((email) => email.to)).toEqual([staying!.email]);
    const rows = new Map((await deliveriesOf(editionId)).map((row) => [row.subscriber_id, row]));
    expect(rows.get(staying!.id)!.status).toBe('sent');
    // Settled with the reason, not left queued for the orphan sweep.
    expect(rows.get(leaving!.id)).toMatchObject({ status: 'skipped', error: 'subscriber is unsubscribed' });
    await deliver(testEnv, message, 2);
    expect(resend.delivered).toHaveLength(1);
  });

  it('leaves out of a replay a reader whose unsubscribe was confirmed while it was being rendered', async () => {
    // The first request never reached Resend; its retry loads the claimed group (everyone
    // active) and renders it, and meanwhile a reader's unsubscribe is confirmed.
    const resend = fakeResend(['network-error']);
    const { env: testEnv, message, editionId, people } = await planEdition(2);
    expect((await deliver(testEnv, message)).acked).toBe(false);
    const [leaving, staying] = people;
    const race = await unsubscribeBefore('SET attempts = attempts + 1', leaving!);
    expect(await deliver({ ...testEnv, DB: race.db }, message, 2)).toEqual({ acked: true, retryDelay: null });
    expect(await race.answer()).toEqual({ status: 'unsubscribed', changed: true });
    expect(resend.delivered.map((email) => email.to)).toEqual([staying!.email]);
    const rows = new Map((await deliveriesOf(editionId)).map((row) => [row.subscriber_id, row]));
    expect(rows.get(staying!.id)!.status).toBe('sent');
    expect(rows.get(leaving!.id)!.status).toBe('failed');
    expect(rows.get(leaving!.id)!.error).toContain('subscriber unsubscribed before the send was confirmed');
  });

  it('does not replay a claim older than Resend remembers its key: at most once, failed with the reason', async () => {
    // A weekly digest accepted, the answer lost; its retry comes back a day later (parked
    // through a quota pause, or its message lost and re-enqueued by the sweep).
    const resend = fakeResend(['accept-then-drop']);
    await seedPaper({ ingestedAt: '2026-11-25T20:00:00.000Z', upvotes: 40 });
    const reader = await seedSubscriber({ frequency: 'weekly' });
    const setup = resendEnv();
    await planViaAdmin(setup.env, { at: AT, all: true });
    const message = sendMessageSchema.parse(setup.queued[0]);
    expect((await deliver(setup.env, message)).acked).toBe(false);
    expect(resend.delivered).toHaveLength(1);

    const dayAgo = new Date(Date.now() - 25 * 3_600_000).toISOString();
    await env.DB.prepare('UPDATE deliveries SET claimed_at = ?1, queued_at = ?1, enqueued_at = ?1')
      .bind(dayAgo)
      .run();
    resend.forgetKeys();
    expect(await deliver(setup.env, message, 1)).toEqual({ acked: true, retryDelay: null });
    expect(resend.delivered.map((email) => email.to)).toEqual([reader.email]);
    const [row] = await deliveriesOf(message.editionId);
    expect(row!.status).toBe('failed');
    expect(row!.error).toContain('Idempotency-Key');
  });

  it('still replays a weekly row queued days ago whose claim is recent', async () => {
    // Planned two days ago, claimed an hour ago after a quota pause, then a 500: the key is fresh.
    const resend = fakeResend([{ status: 500, name: 'internal_server_error' }]);
    await seedPaper({ ingestedAt: '2026-11-25T20:00:00.000Z', upvotes: 40 });
    await seedSubscriber({ frequency: 'weekly' });
    const setup = resendEnv();
    await planViaAdmin(setup.env, { at: AT, all: true });
    const message = sendMessageSchema.parse(setup.queued[0]);
    await env.DB.prepare('UPDATE deliveries SET queued_at = ?')
      .bind(new Date(Date.now() - 48 * 3_600_000).toISOString())
      .run();
    expect((await deliver(setup.env, message)).acked).toBe(false);
    expect(await deliver(setup.env, message, 2)).toEqual({ acked: true, retryDelay: null });
    expect(resend.requests).toHaveLength(2);
    expect(resend.requests[1]!.key).toBe(resend.requests[0]!.key);
    const [row] = await deliveriesOf(message.editionId);
    expect(row!.status).toBe('sent');
  });

  it('leaves no history behind for a subscriber erased while their digest was being sent', async () => {
    fakeResend();
    const { env: testEnv, message, people } = await planEdition(2);
    const [erased, kept] = people;
    let done = false;
    // "Delete me" completes while the request is out: after the claim, before the answer is stored.
    const spy = spyD1(env.DB, async (sql) => {
      if (done || !sql.includes("SET status = 'sent'")) return;
      done = true;
      expect((await eraseSubscriberData(env.DB, erased!, [])).erased).toBe(true);
    });
    expect(await deliver({ ...testEnv, DB: spy.db }, message)).toEqual({ acked: true, retryDelay: null });
    expect(done).toBe(true);
    expect(await historyOf(erased!.id)).toEqual([]);
    expect((await historyOf(kept!.id)).length).toBeGreaterThan(0);
  });

  it('leaves out of a second edition in flight the papers a claimed digest, not yet settled, is sending', async () => {
    // A daily digest is claimed and its request answered 500 (Resend may or may not have
    // it): the row stays `sending`, to be replayed. Meanwhile the reader switches to weekly,
    // and the next run plans their weekly digest, another period, so another row.
    const resend = fakeResend([{ status: 500, name: 'internal_server_error' }]);
    const { env: testEnv, message, people } = await planEdition(1);
    const reader = people[0]!;
    await env.DB.prepare('UPDATE subscribers SET digest_size = 1').run();
    expect((await deliver(testEnv, message)).acked).toBe(false);
    const [claimed] = await deliveriesOf(message.editionId);
    expect(claimed!.status).toBe('sending');
    const inFlight = JSON.parse(claimed!.paper_ids) as string[];
    expect(inFlight).toHaveLength(1);

    await env.DB.prepare(`UPDATE subscribers SET frequency = 'weekly', next_send_at = '' WHERE id = ?`)
      .bind(reader.id)
      .run();
    const weekly = resendEnv();
    const plan = await planViaAdmin(weekly.env, { at: '2026-11-26T10:00:00.000Z', all: true });
    expect(plan.json.planned).toBe(1);
    const weeklyMessage = sendMessageSchema.parse(weekly.queued[0]);
    expect(await deliver(weekly.env, weeklyMessage)).toEqual({ acked: true, retryDelay: null });
    // The replay of the claim goes out too (under its key, as claimed).
    expect(await deliver(testEnv, message, 2)).toEqual({ acked: true, retryDelay: null });

    const [weeklyRow] = await deliveriesOf(weeklyMessage.editionId);
    const [dailyRow] = await deliveriesOf(message.editionId);
    expect([weeklyRow!.status, dailyRow!.status]).toEqual(['sent', 'sent']);
    expect(JSON.parse(weeklyRow!.paper_ids)).toHaveLength(1);
    expect(JSON.parse(weeklyRow!.paper_ids)).not.toContain(inFlight[0]);
    expect(resend.requests.map((request) => request.emails.length)).toEqual([1, 1, 1]);
  });

  /**
   * One digest sent through the consumer while, just before the accepted answer is stored,
   * Resend's email.failed with `reason` arrives (answered 200); its row once the message is done.
   */
  async function failedBeforeStored(reason: string) {
    const resend = fakeResend();
    const { env: testEnv, message, editionId, people } = await planEdition(1);
    let event: Response | null = null;
    const spy = spyD1(env.DB, async (sql) => {
      if (event || !sql.includes("SET status = 'sent'")) return;
      const email = resend.requests[0]!.emails[0]!;
      event = await signedWebhook({
        type: 'email.failed',
        created_at: new Date().toISOString(),
        data: {
          email_id: resend.delivered[0]!.id,
          to: [email.to],
          tags: Object.fromEntries(email.tags!.map((tag) => [tag.name, tag.value])),
          failed: { reason },
        },
      });
    });
    expect(await deliver({ ...testEnv, DB: spy.db }, message)).toEqual({ acked: true, retryDelay: null });
    expect(event!.status).toBe(200);
    const [row] = await deliveriesOf(editionId);
    // Never received, so its papers may come in a later digest.
    expect(await historyOf(people[0]!.id)).toEqual([]);
    return { resend, editionId, row: row! };
  }

  it('keeps the failure an email.failed event recorded while the accepted answer was being stored', async () => {
    // Resend accepts the batch, then cannot send it (a recipient it will not mail, say) and
    // its webhook arrives before this consumer has stored the acceptance: the email never left.
    const { row } = await failedBeforeStored('invalid_recipient');
    expect(row.status).toBe('failed');
    expect(row.error).toContain('email.failed: invalid_recipient');
  });

  it('keeps a digest to send again when a temporary email.failed arrives before the acceptance is stored', async () => {
    const { resend, editionId, row } = await failedBeforeStored('reached_daily_quota');
    // The acceptance, stored after, does not make the requeued row `sent`.
    expect(row).toMatchObject({ status: 'queued', send_key: null, enqueued_at: null });
    const { resumed } = await endQuotaPause();
    const again = sendMessageSchema.parse(resumed.queued[0]);
    expect(await deliver(resumed.env, again)).toEqual({ acked: true, retryDelay: null });
    expect(resend.requests).toHaveLength(2);
    expect(resend.requests[1]!.key).not.toBe(resend.requests[0]!.key);
    const [sent] = await deliveriesOf(editionId);
    expect(sent).toMatchObject({ status: 'sent', resend_id: resend.delivered[1]!.id });
  });

  it('re-keys a partial claim so the Idempotency-Key names exactly the rows it sends', async () => {
    const resend = fakeResend();
    const { env: testEnv, message, editionId } = await planEdition(3);
    const [stolen] = await deliveriesOf(editionId);
    let claim: unknown[] | null = null;
    // Another consumer claims one of the rows just before this one's claim statement runs.
    const spy = spyD1(env.DB, async (sql, params) => {
      if (claim === null && sql.includes("SET status = 'sending', send_key")) {
        claim = params;
        await env.DB.prepare(
          `UPDATE deliveries SET status = 'sending', send_key = 'other-consumer-key' WHERE id = ?`,
        )
          .bind(stolen!.id)
          .run();
      }
    });
    await deliver({ ...testEnv, DB: spy.db }, message);
    expect(claim).not.toBeNull();
    const [wideKey, claimedAt] = claim as unknown as [string, string];
    expect(resend.requests).toHaveLength(1);
    const sentIds = resend.requests[0]!.emails.map(
      (email) => email.tags!.find((tag) => tag.name === 'delivery')!.value,
    );
    expect(sentIds).toHaveLength(2);
    expect(sentIds).not.toContain(stolen!.id);
    const narrow = await idempotencyKey(editionId, sentIds, claimedAt);
    expect(resend.requests[0]!.key).toBe(narrow);
    expect(narrow).not.toBe(wideKey);
    const rows = await deliveriesOf(editionId);
    expect(rows.find((row) => row.id === stolen!.id)).toMatchObject({
      status: 'sending',
      send_key: 'other-consumer-key',
    });
    expect(
      rows
        .filter((row) => row.status === 'sent')
        .map((row) => row.id)
        .sort(),
    ).toEqual(sentIds.sort());
  });
});
