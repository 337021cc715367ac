/**
 * Recording a vote outside any route: the pure weight update (same vote changes nothing,
 * switching undoes, it is the ranking's own Rocchio step), tolerant reading of stored
 * weights, and castVote against real D1 (vote row + weights in one write, idempotent
 * re-vote, a lost race retried, a vanished or no longer active subscriber refused, even
 * when the subscription ends between the vote's read and its write).
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { castVote, parseTermWeights, weightsAfterVote } from '../../src/feedback/vote';
import { applyFeedback } from '../../src/ranking';
import { insertSubscribers, makeSubscriber, snapshotPapers } from '../factories';

const papers = snapshotPapers();
const speech = papers.find((paper) => paper.title.startsWith('CosyVoice 2'))!;

async function stored(subscriberId: string) {
  const row = await env.DB.prepare(
    `SELECT s.term_weights, f.vote FROM subscribers s
     LEFT JOIN feedback f ON f.subscriber_id = s.id AND f.paper_id = ?2 WHERE s.id = ?1`,
  )
    .bind(subscriberId, speech.id)
    .first<{ term_weights: string; vote: number | null }>();
  return { weights: JSON.parse(row!.term_weights) as Record<string, number>, vote: row!.vote };
}

/** A D1 binding that runs `race` once, just before its first batch (castVote's write). */
function beforeFirstBatch(db: D1Database, race: () => Promise<void>) {
  let raced = false;
  const proxy = new Proxy(db, {
    get(target, name) {
      if (name === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          if (!raced) {
            raced = true;
            await race();
          }
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, name, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db: proxy, raced: () => raced };
}

describe('weightsAfterVote', () => {
  it('is the ranking’s feedback update, and null when the vote is the same as before', () => {
    const start = { speech: 0.2, unrelated: -0.4 };
    expect(weightsAfterVote(start, speech, 1, null)).toEqual(applyFeedback(start, speech, 1, null));
    expect(weightsAfterVote(start, speech, 1, 1)).toBeNull();
    expect(weightsAfterVote(start, speech, -1, -1)).toBeNull();
  });

  it('moves towards a liked paper and away from it when the vote switches', () => {
    const liked = weightsAfterVote({}, speech, 1, null)!;
    const terms = Object.keys(liked);
    expect(terms.length).toBeGreaterThan(0);
    expect(Object.values(liked).every((weight) => weight > 0)).toBe(true);
    const switched = weightsAfterVote(liked, speech, -1, 1)!;
    for (const term of terms) expect(switched[term] ?? 0).toBeLessThan(liked[term]!);
  });

  it('reads unreadable stored weights as nothing learned', () => {
    expect(parseTermWeights('{"llm":0.5}')).toEqual({ llm: 0.5 });
    expect(parseTermWeights('not json')).toEqual({});
    expect(parseTermWeights('[1,2]')).toEqual({});
    expect(parseTermWeights('null')).toEqual({});
  });
});

describe('castVote', () => {
  beforeEach(async () => {
    await env.DB.batch([env.DB.prepare('DELETE FROM feedback'), env.DB.prepare('DELETE FROM subscribers')]);
  });

  it('stores the vote with the learned weights, and a repeated vote changes nothing', async () => {
    const reader = makeSubscriber();
    await insertSubscribers(env.DB, [reader]);
    const first = await castVote(env.DB, reader.id, speech, 1, '2026-11-26T10:00:00.000Z');
    expect(first).toEqual({ changed: true, previous: null });
    const after = await stored(reader.id);
    expect(after.vote).toBe(1);
    expect(after.weights).toEqual(applyFeedback({}, speech, 1, null));

    expect(await castVote(env.DB, reader.id, speech, 1, '2026-11-26T10:01:00.000Z')).toEqual({
      changed: false,
      previous: 1,
    });
    expect(await stored(reader.id)).toEqual(after);

    expect(await castVote(env.DB, reader.id, speech, -1, '2026-11-26T10:02:00.000Z')).toEqual({
      changed: true,
      previous: 1,
    });
    expect((await stored(reader.id)).vote).toBe(-1);
  });

  it('retries when another vote changed the weights between its read and its write', async () => {
    const reader = makeSubscriber();
    await insertSubscribers(env.DB, [reader]);
    // The optimistic write loses a race with another tab.
    const racing = beforeFirstBatch(env.DB, async () => {
      await env.DB.prepare(`UPDATE subscribers SET term_weights = '{"other":0.5}' WHERE id = ?`)
        .bind(reader.id)
        .run();
    });
    const result = await castVote(racing.db, reader.id, speech, 1, '2026-11-26T10:00:00.000Z');
    expect(racing.raced()).toBe(true);
    expect(result.changed).toBe(true);
    // The retry started from the other tab's weights, so neither update was lost.
    expect((await stored(reader.id)).weights).toEqual(applyFeedback({ other: 0.5 }, speech, 1, null));
  });

  it('writes nothing for a subscription that has ended, and says why', async () => {
    const left = makeSubscriber({ status: 'unsubscribed' });
    const bounced = makeSubscriber({ status: 'suppressed', suppressedReason: 'bounced' });
    await insertSubscribers(env.DB, [left, bounced]);
    await expect(castVote(env.DB, left.id, speech, 1, '2026-11-26T10:00:00.000Z')).rejects.toMatchObject({
      status: 410,
      code: 'not_subscribed',
    });
    await expect(castVote(env.DB, bounced.id, speech, -1, '2026-11-26T10:00:00.000Z')).rejects.toMatchObject({
      status: 410,
      code: 'suppressed',
    });
    expect(await stored(left.id)).toEqual({ weights: {}, vote: null });
    expect(await stored(bounced.id)).toEqual({ weights: {}, vote: null });
  });

  it('writes nothing when the subscriber unsubscribes between its read and its write', async () => {
    const reader = makeSubscriber();
    await insertSubscribers(env.DB, [reader]);
    // The unsubscribe (another tab, a mail client's one-click) lands just before the write.
    const racing = beforeFirstBatch(env.DB, async () => {
      await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?`)
        .bind(reader.id)
        .run();
    });
    await expect(castVote(racing.db, reader.id, speech, 1, '2026-11-26T10:00:00.000Z')).rejects.toMatchObject(
      {
        status: 410,
        code: 'not_subscribed',
      },
    );
    expect(await stored(reader.id)).toEqual({ weights: {}, vote: null });
  });

  it('refuses a vote for a subscriber who no longer exists', async () => {
    await expect(castVote(env.DB, 'gone', speech, 1, '2026-11-26T10:00:00.000Z')).rejects.toMatchObject({
      status: 410,
      code: 'link_revoked',
    });
  });
});
