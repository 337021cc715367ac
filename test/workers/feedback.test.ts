/**
 * 👍/👎 through the Worker: the GET only shows a confirmation page (scanners prefetch
 * links), the POST records one vote per (subscriber, paper) and moves the learned term
 * weights, re-votes overwrite, bad links get clear errors, and the next edition's ranking
 * moves towards what the subscriber liked.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { getSubscriberById } from '../../src/db/subscribers';
import { parseConfig } from '../../src/env';
import { feedbackUrl as digestFeedbackUrl } from '../../src/links';
import { buildEditionIndex, profileFromSubscriber, rankForSubscriber } from '../../src/ranking';
import { signToken } from '../../src/tokens';
import {
  insertPapers,
  insertSentDelivery,
  insertSubscribers,
  makeSubscriber,
  snapshotPapers,
} from '../factories';
import { request } from '../helpers/app';

const config = parseConfig(env);
const papers = snapshotPapers();
const speech = papers.find((paper) => paper.title.startsWith('CosyVoice 2'))!;
const singing = papers.find((paper) => paper.title.startsWith('TCSinger'))!;
const survey = papers.find((paper) => paper.title.startsWith('A Survey of Large Language Models'))!;
const reader = { id: 'fb-reader', tokenVersion: 1 };
const DELIVERY = 'del-fb-1';
/** The papers of the reader's delivered digest: 👍/👎 links exist for these only. */
const inDigest = () => [speech, singing, survey];

/** A 👍/👎 link as the reader's digest carries it (the digest's token + the paper). */
const feedbackUrl = (subscriber: typeof reader, paperId: string, vote: 'up' | 'down') =>
  digestFeedbackUrl(config, subscriber, DELIVERY, paperId, vote);

/** A per-paper link of the older format, still in emails sent before the digest tokens. */
async function legacyFeedbackUrl(subscriber: typeof reader, paperId: string, vote: 'up' | 'down') {
  const token = await signToken(config.TOKEN_SECRET, {
    p: 'feedback',
    s: subscriber.id,
    v: subscriber.tokenVersion,
    x: paperId,
  });
  return `${config.PUBLIC_URL}/feedback?token=${token}&vote=${vote}`;
}

async function feedbackRow(subscriberId: string, paperId: string) {
  return env.DB.prepare('SELECT vote FROM feedback WHERE subscriber_id = ? AND paper_id = ?')
    .bind(subscriberId, paperId)
    .first<{ vote: number }>();
}

/** Submits the confirmation form of a link (what the GET page's button posts). */
function postVote(link: string, vote?: string, init: { json?: boolean } = {}) {
  const url = new URL(link);
  const fields: Record<string, string> = {
    token: url.searchParams.get('token')!,
    vote: vote ?? url.searchParams.get('vote')!,
  };
  const paper = url.searchParams.get('paper');
  if (paper) fields.paper = paper;
  if (init.json) {
    return request('/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(fields),
    });
  }
  return request('/feedback', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams(fields).toString(),
  });
}

beforeAll(async () => {
  await insertPapers(env.DB, papers);
  await insertSubscribers(env.DB, [makeSubscriber({ id: reader.id, interests: 'language models' })]);
  await insertSentDelivery(env.DB, {
    id: DELIVERY,
    editionId: 'ed-fb-1',
    subscriberId: reader.id,
    periodKey: '2026-11-26',
    ranking: inDigest().map((paper) => ({ id: paper.id, score: 1, why: [] })),
    sentAt: '2026-11-26T08:01:00.000Z',
    subject: '3 new papers',
  });
});

describe('GET /feedback', () => {
  it('shows a confirmation page with a Confirm button and records nothing', async () => {
    const link = await feedbackUrl(reader, speech.id, 'up');
    const response = await request(link.replace(config.PUBLIC_URL, ''), { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toMatch(/<h1>Confirm your 👍<\/h1>/);
    expect(html).toMatch(/<button type="submit">Confirm 👍 More like this<\/button>/);
    expect(html).toContain('CosyVoice 2');
    // The form posts the paper along with the digest's token.
    expect(html).toContain(`name="paper" value="${speech.id}"`);
    expect(await feedbackRow(reader.id, speech.id)).toBeNull();
  });

  it('rejects forged, revoked and paper-less links clearly', async () => {
    const forged = await request('/feedback?token=abc.def&vote=up', { headers: { accept: 'text/html' } });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('not valid');

    const old = await feedbackUrl({ id: reader.id, tokenVersion: 0 }, speech.id, 'up');
    const revoked = await request(old.replace(config.PUBLIC_URL, ''), {
      headers: { accept: 'application/json' },
    });
    expect(revoked.status).toBe(410);
    expect((await revoked.json<{ error: { code: string } }>()).error.code).toBe('link_revoked');

    // A digest's token votes only on the papers that digest contained.
    const elsewhere = papers.find((paper) => !inDigest().includes(paper))!;
    const outside = await feedbackUrl(reader, elsewhere.id, 'up');
    const refused = await request(outside.replace(config.PUBLIC_URL, ''), {
      headers: { accept: 'application/json' },
    });
    expect(refused.status).toBe(404);
    expect((await refused.json<{ error: { code: string } }>()).error.code).toBe('paper_not_in_digest');
    expect(await postVote(outside)).toHaveProperty('status', 404);
    expect(await feedbackRow(reader.id, elsewhere.id)).toBeNull();
    const paperless = (await feedbackUrl(reader, speech.id, 'up')).replace(/&paper=[^&]+/, '');
    expect((await request(paperless.replace(config.PUBLIC_URL, ''))).status).toBe(400);

    const missing = await legacyFeedbackUrl(reader, '9999.99999', 'up');
    const gone = await request(missing.replace(config.PUBLIC_URL, ''), { headers: { accept: 'text/html' } });
    expect(gone.status).toBe(404);

    const link = await feedbackUrl(reader, speech.id, 'up');
    const badVote = await request(
      `${link.replace(config.PUBLIC_URL, '').replace('vote=up', 'vote=sideways')}`,
    );
    expect(badVote.status).toBe(400);
  });
});

describe('links of the older per-paper format', () => {
  it('still record votes from emails sent before digest tokens', async () => {
    const link = await legacyFeedbackUrl(reader, singing.id, 'down');
    const page = await request(link.replace(config.PUBLIC_URL, ''), { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const response = await postVote(link, 'down', { json: true });
    expect(await response.json()).toMatchObject({
      ok: true,
      paperId: singing.id,
      vote: 'down',
      changed: true,
    });
    expect((await feedbackRow(reader.id, singing.id))?.vote).toBe(-1);
    const revoked = await legacyFeedbackUrl({ ...reader, tokenVersion: 0 }, singing.id, 'up');
    expect((await request(revoked.replace(config.PUBLIC_URL, ''))).status).toBe(410);
    await env.DB.prepare('DELETE FROM feedback WHERE subscriber_id = ? AND paper_id = ?')
      .bind(reader.id, singing.id)
      .run();
    await env.DB.prepare(`UPDATE subscribers SET term_weights = '{}' WHERE id = ?`).bind(reader.id).run();
  });
});

describe('POST /feedback', () => {
  it('records a 👍, learns from it, and treats a repeat as a no-op', async () => {
    const link = await feedbackUrl(reader, speech.id, 'up');
    const response = await postVote(link);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/<h1>Thanks! Your 👍 is recorded<\/h1>/);
    expect((await feedbackRow(reader.id, speech.id))?.vote).toBe(1);

    const learned = (await getSubscriberById(env.DB, reader.id))!.termWeights;
    expect(learned['~speech'] ?? learned.speech).toBeGreaterThan(0);

    const again = await postVote(link, 'up', { json: true });
    expect(await again.json()).toMatchObject({ ok: true, vote: 'up', changed: false, previous: 'up' });
    expect((await getSubscriberById(env.DB, reader.id))!.termWeights).toEqual(learned);
  });

  it('overwrites a vote when the subscriber changes their mind', async () => {
    const link = await feedbackUrl(reader, survey.id, 'up');
    await postVote(link, 'up');
    const response = await postVote(link, 'down', { json: true });
    expect(await response.json()).toMatchObject({ ok: true, vote: 'down', changed: true, previous: 'up' });
    expect((await feedbackRow(reader.id, survey.id))?.vote).toBe(-1);
    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM feedback WHERE subscriber_id = ?')
      .bind(reader.id)
      .first<{ n: number }>();
    expect(count?.n).toBe(2);
  });

  it('needs a vote and a valid token', async () => {
    const link = await feedbackUrl(reader, speech.id, 'up');
    const token = new URL(link).searchParams.get('token')!;
    const noVote = await request('/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(noVote.status).toBe(400);
    expect((await noVote.json<{ error: { code: string } }>()).error.code).toBe('missing_vote');
    const noToken = await request('/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'vote=up',
    });
    expect(noToken.status).toBe(400);
  });

  // A script posting the form encoding but asking for JSON got its errors in JSON (the
  // app's onError decides by Accept) and its success as an HTML page.
  it('answers a client that prefers JSON in JSON, success as its errors', async () => {
    const link = new URL(await feedbackUrl(reader, survey.id, 'up'));
    const post = (body: string) =>
      request('/feedback', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
      });
    const token = link.searchParams.get('token')!;
    const refused = await post(new URLSearchParams({ token, paper: survey.id, vote: 'sideways' }).toString());
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_vote' } });
    const voted = await post(new URLSearchParams({ token, paper: survey.id, vote: 'up' }).toString());
    expect(voted.status).toBe(200);
    expect(voted.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await voted.json()).toMatchObject({ ok: true, paperId: survey.id, vote: 'up' });
  });

  it('moves the next edition towards liked papers', async () => {
    const nextEdition = buildEditionIndex(
      papers.filter((paper) => ![speech.id, singing.id, survey.id].includes(paper.id)),
    );
    const before = await getSubscriberById(env.DB, reader.id);
    const positionOf = (subscriber: typeof before) =>
      rankForSubscriber(nextEdition, profileFromSubscriber(subscriber!), { full: true }).papers.findIndex(
        (item) => item.paper.title.startsWith('StreamVoice'),
      );
    const baseline = positionOf({ ...before!, termWeights: {} });
    await postVote(await feedbackUrl(reader, singing.id, 'up'));
    const after = await getSubscriberById(env.DB, reader.id);
    expect(positionOf(after)).toBeLessThan(baseline);
  });
});
