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
import { feedbackUrl } from '../../src/links';
import { buildEditionIndex, profileFromSubscriber, rankForSubscriber } from '../../src/ranking';
import { insertPapers, insertSubscribers, makeSubscriber, snapshotPapers } from '../factories';
import { request } from '../helpers/app';

const config = parseConfig(env);
const papers = snapshotPapers();
const speech = papers.find((paper) => paper.title.startsWith('CosyVoice 2'))!;
const singing = papers.find((paper) => paper.title.startsWith('TCSinger'))!;
const survey = papers.find((paper) => paper.title.startsWith('A Survey of Large Language Models'))!;
const reader = { id: 'fb-reader', tokenVersion: 1 };

async function feedbackRow(subscriberId: string, paperId: string) {
  return env.DB.prepare('SELECT vote FROM feedback WHERE subscriber_id = ? AND paper_id = ?')
    .bind(subscriberId, paperId)
    .first<{ vote: number }>();
}

function postVote(link: string, vote?: string, init: { json?: boolean } = {}) {
  const url = new URL(link);
  const token = url.searchParams.get('token')!;
  if (init.json) {
    return request('/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token, vote: vote ?? url.searchParams.get('vote') }),
    });
  }
  return request('/feedback', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ token, vote: vote ?? url.searchParams.get('vote')! }).toString(),
  });
}

beforeAll(async () => {
  await insertPapers(env.DB, papers);
  await insertSubscribers(env.DB, [makeSubscriber({ id: reader.id, interests: 'language models' })]);
});

describe('GET /feedback', () => {
  it('shows a confirmation page with a Confirm button and records nothing', async () => {
    const link = await feedbackUrl(config, reader, speech.id, 'up');
    const response = await request(link.replace(config.PUBLIC_URL, ''), { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toMatch(/<h1>Confirm your 👍<\/h1>/);
    expect(html).toMatch(/<button type="submit">Confirm 👍 More like this<\/button>/);
    expect(html).toContain('CosyVoice 2');
    expect(await feedbackRow(reader.id, speech.id)).toBeNull();
  });

  it('rejects forged, revoked and paper-less links clearly', async () => {
    const forged = await request('/feedback?token=abc.def&vote=up', { headers: { accept: 'text/html' } });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('not valid');

    const old = await feedbackUrl(config, { id: reader.id, tokenVersion: 0 }, speech.id, 'up');
    const revoked = await request(old.replace(config.PUBLIC_URL, ''), {
      headers: { accept: 'application/json' },
    });
    expect(revoked.status).toBe(410);
    expect((await revoked.json<{ error: { code: string } }>()).error.code).toBe('link_revoked');

    const missing = await feedbackUrl(config, reader, '9999.99999', 'up');
    const gone = await request(missing.replace(config.PUBLIC_URL, ''), { headers: { accept: 'text/html' } });
    expect(gone.status).toBe(404);

    const link = await feedbackUrl(config, reader, speech.id, 'up');
    const badVote = await request(
      `${link.replace(config.PUBLIC_URL, '').replace('vote=up', 'vote=sideways')}`,
    );
    expect(badVote.status).toBe(400);
  });
});

describe('POST /feedback', () => {
  it('records a 👍, learns from it, and treats a repeat as a no-op', async () => {
    const link = await feedbackUrl(config, reader, speech.id, 'up');
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
    const link = await feedbackUrl(config, reader, survey.id, 'up');
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
    const link = await feedbackUrl(config, reader, speech.id, 'up');
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
    await postVote(await feedbackUrl(config, reader, singing.id, 'up'));
    const after = await getSubscriberById(env.DB, reader.id);
    expect(positionOf(after)).toBeLessThan(baseline);
  });
});
