/**
 * A paper arXiv withdraws after its edition was frozen: the planner froze it as a
 * candidate and the sender holds the edition in memory, but the edition's remaining sends
 * leave it out, while a digest claimed before the withdrawal is replayed exactly as
 * claimed (same Idempotency-Key, same body), and a digest already sent still shows in the
 * browser and the feed as it was sent, the withdrawn paper marked. The withdrawal comes through the real ingest
 * (POST /admin/ingest, arXiv faked at the HTTP boundary), the sends through the Worker's
 * queue handler and a fake Resend.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { sendMessageSchema } from '../../src/delivery/messages';
import { WITHDRAWN_NOTICE } from '../../src/digest/format';
import { adminRequest, request } from '../helpers/app';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';
import {
  ARXIV_QUERY_URL,
  atomEntry,
  atomFeed,
  atomHeaders,
  HF_DAILY_URL,
  hfNewShape,
} from '../ingest/fixtures';
import {
  deliver,
  deliveriesOf,
  fakeResend,
  planViaAdmin,
  resendEnv,
  resetDelivery,
  seedPaper,
  seedSubscriber,
} from './helpers';

const AT = '2026-11-26T09:00:00.000Z';
const KEPT = '2611.30001';
const RETRACTED = '2611.30002';
const RETRACTED_TITLE = 'A Result We Later Retracted';

/** Two candidates in the edition's window, the one to be withdrawn the most upvoted. */
async function seedCandidates(): Promise<void> {
  await seedPaper({ id: KEPT, ingestedAt: '2026-11-26T02:00:00.000Z', upvotes: 12 });
  await seedPaper({ id: RETRACTED, ingestedAt: '2026-11-26T03:00:00.000Z', upvotes: 40 });
}

/** arXiv lists `version` of `id` (a withdrawal when `comment` says so), and the ingest runs. */
async function listOnArxiv(id: string, version: number, comment?: string): Promise<Response> {
  const published = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const entry = atomEntry({ id, version, title: RETRACTED_TITLE, published, categories: ['cs.LG'], comment });
  fakeHttp.use(
    http.get(ARXIV_QUERY_URL, () => new HttpResponse(atomFeed([entry]), { headers: atomHeaders })),
  );
  const response = await adminRequest('/admin/ingest', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sources: ['arxiv'] }),
  });
  expect(response.status).toBe(200);
  return response;
}

/** arXiv lists a withdrawal version of `id`, and the ingest stores it. */
async function withdrawOnArxiv(id: string): Promise<void> {
  const response = await listOnArxiv(
    id,
    2,
    'This paper has been withdrawn by the authors due to a crucial error in Lemma 2',
  );
  expect((await response.json<{ runs: { updated: number }[] }>()).runs[0]!.updated).toBe(1);
  const row = await env.DB.prepare('SELECT withdrawn FROM papers WHERE id = ?')
    .bind(id)
    .first<{ withdrawn: number }>();
  expect(row!.withdrawn).toBe(1);
}

/**
 * Hugging Face's list shows `id` again, now with `paper.withdrawnAt` set (its own copy of
 * the paper, e.g. taken down from Daily Papers); arXiv still lists the same version as it was.
 */
async function withdrawOnHuggingFace(id: string): Promise<void> {
  const [item] = hfNewShape();
  item!.paper.id = id;
  item!.paper.withdrawnAt = '2026-11-26T10:00:00.000Z';
  fakeHttp.use(http.get(HF_DAILY_URL, () => HttpResponse.json([item])));
  const response = await adminRequest('/admin/ingest', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sources: ['hf'], date: '2026-11-26' }),
  });
  expect(response.status).toBe(200);
  const [run] = (await response.json<{ runs: { updated: number; skipped: number }[] }>()).runs;
  expect(run).toMatchObject({ updated: 1, skipped: 1 });
  expect(await withdrawnFlag(id)).toBe(1);
}

async function withdrawnFlag(id: string): Promise<number> {
  const row = await env.DB.prepare('SELECT withdrawn FROM papers WHERE id = ?')
    .bind(id)
    .first<{ withdrawn: number }>();
  return row!.withdrawn;
}

const paperIds = (json: string | null) => JSON.parse(json ?? '[]') as string[];

/** The digest's two papers in the order sent, the withdrawn one (first) alone marked. */
function expectOnlyRetractedMarked(papers: string[]): void {
  expect(papers).toHaveLength(2);
  expect(papers[0]).toContain(RETRACTED);
  expect(papers[0]).toContain(WITHDRAWN_NOTICE);
  expect(papers[1]).toContain(KEPT);
  expect(papers[1]).not.toContain(WITHDRAWN_NOTICE);
}

beforeEach(resetDelivery);

describe('a paper withdrawn after its edition was frozen', () => {
  // Hugging Face's mark used to be only skipped: a copy stored earlier stayed a candidate
  // and went on being mailed as news.
  it.each([
    ['arXiv', withdrawOnArxiv],
    ['Hugging Face', withdrawOnHuggingFace],
  ])('is left out of the edition’s remaining sends (reported by %s)', async (_source, withdraw) => {
    const resend = fakeResend();
    await seedCandidates();
    const early = await seedSubscriber();
    const late = await seedSubscriber();
    const setup = resendEnv();
    await planViaAdmin(setup.env, { at: AT });
    const message = sendMessageSchema.parse(setup.queued[0]);
    expect([...message.subscriberIds].sort()).toEqual([early.id, late.id].sort());

    // The edition's first send, before the withdrawal: the paper is in it.
    await deliver(setup.env, { ...message, subscriberIds: [early.id] });
    expect(resend.requests).toHaveLength(1);
    expect(resend.requests[0]!.emails[0]!.html).toContain(RETRACTED);

    await withdraw(RETRACTED);

    // The rest of the edition, from the same isolate (the edition is still in memory).
    await deliver(setup.env, message);
    expect(resend.requests).toHaveLength(2);
    const [email] = resend.requests[1]!.emails;
    expect(email!.to).toBe(late.email);
    for (const body of [email!.html, email!.text, email!.subject]) {
      expect(body).not.toContain(RETRACTED);
      expect(body).not.toContain(RETRACTED_TITLE);
    }
    expect(email!.html).toContain(KEPT);
    expect(email!.subject).toMatch(/^1 new paper: /);

    const rows = await deliveriesOf(message.editionId);
    const byId = new Map(rows.map((row) => [row.subscriber_id, row]));
    expect(byId.get(late.id)!.status).toBe('sent');
    expect(paperIds(byId.get(late.id)!.paper_ids)).toEqual([KEPT]);
    // What was sent before the withdrawal stays recorded as sent.
    expect(paperIds(byId.get(early.id)!.paper_ids)).toEqual([RETRACTED, KEPT]);
  });

  it('still lets a digest claimed before the withdrawal be replayed exactly as claimed', async () => {
    // Resend sent the email, but the answer was lost: the retry must replay the same body
    // under the same key (a different body would be refused 409, and the record would not
    // say what the subscriber actually received).
    const resend = fakeResend(['accept-then-drop']);
    await seedCandidates();
    const reader = await seedSubscriber();
    const setup = resendEnv();
    await planViaAdmin(setup.env, { at: AT });
    const message = sendMessageSchema.parse(setup.queued[0]);
    expect((await deliver(setup.env, message)).acked).toBe(false);
    expect(resend.delivered).toHaveLength(1);

    await withdrawOnArxiv(RETRACTED);

    expect((await deliver(setup.env, message, 2)).acked).toBe(true);
    expect(resend.requests).toHaveLength(2);
    const [first, replay] = resend.requests;
    expect(replay!.key).toBe(first!.key);
    expect(replay!.emails).toEqual(first!.emails);
    expect(replay!.emails[0]!.html).toContain(RETRACTED);
    expect(resend.delivered).toHaveLength(1);
    const [row] = await deliveriesOf(message.editionId);
    expect(row!.subscriber_id).toBe(reader.id);
    expect(row!.status).toBe('sent');
    expect(row!.resend_id).toBe(resend.delivered[0]!.id);
    expect(paperIds(row!.paper_ids)).toEqual([RETRACTED, KEPT]);
  });
});

describe('a paper Hugging Face marks withdrawn after it was stored', () => {
  it('stays withdrawn when arXiv lists the same version again', async () => {
    await seedCandidates();
    await withdrawOnHuggingFace(RETRACTED);
    // arXiv lists the version it always had (no withdrawal comment).
    await listOnArxiv(RETRACTED, 1);
    expect(await withdrawnFlag(RETRACTED)).toBe(1);
  });
});

describe('a digest already sent when one of its papers is withdrawn', () => {
  // The reader opens what they were sent: a paper missing from it would look like a
  // mistake, and one shown as if nothing happened could be read or cited as sound.
  it('shows in the browser and in the feed as it was sent, the withdrawn paper marked', async () => {
    const resend = fakeResend();
    await seedCandidates();
    await seedSubscriber();
    const setup = resendEnv();
    await planViaAdmin(setup.env, { at: AT });
    await deliver(setup.env, sendMessageSchema.parse(setup.queued[0]));
    const email = resend.requests[0]!.emails[0]!;
    const view = /View in browser\s+(\S+)/.exec(email.text)![1]!;
    const feed = /href="(https:\/\/digest\.test\/feed\?token=[^"]+)"/.exec(email.html)![1]!;
    expect(await (await request(view)).text()).not.toContain(WITHDRAWN_NOTICE);

    await withdrawOnArxiv(RETRACTED);

    const page = await request(view);
    expect(page.status).toBe(200);
    expectOnlyRetractedMarked((await page.text()).split('class="pd-c"').slice(1));

    const atom = await request(feed);
    expect(atom.status).toBe(200);
    expectOnlyRetractedMarked((await atom.text()).split('&lt;li&gt;').slice(1));
  });
});
