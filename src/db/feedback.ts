/**
 * SQL for 👍/👎: one feedback row per (subscriber, paper), a re-vote overwrites it, and
 * the subscriber's learned term weights change in the same transaction. The weights are
 * written optimistically (only if they are still what the vote was computed from) and the
 * vote row only if that write happened, so two votes racing from two tabs can never lose
 * a weight update or record a vote whose learning was dropped; the caller retries. Only
 * an active subscription is written: a vote link of one that ended changes nothing.
 */
import type { Paper, SubscriberStatus } from '../domain';
import { type PaperRow, rowToPaper } from './papers';

export type Vote = 1 | -1;

export async function getVote(db: D1Database, subscriberId: string, paperId: string): Promise<Vote | null> {
  const row = await db
    .prepare('SELECT vote FROM feedback WHERE subscriber_id = ? AND paper_id = ?')
    .bind(subscriberId, paperId)
    .first<{ vote: number }>();
  return row ? (row.vote === 1 ? 1 : -1) : null;
}

export async function getPaperForFeedback(db: D1Database, paperId: string): Promise<Paper | null> {
  const row = await db.prepare('SELECT * FROM papers WHERE id = ?').bind(paperId).first<PaperRow>();
  return row ? rowToPaper(row) : null;
}

/**
 * The subscriber's current learned weights, as stored (JSON text) for the optimistic
 * write, and their status: only an active subscription learns from a vote.
 */
export async function getVoterState(
  db: D1Database,
  subscriberId: string,
): Promise<{ termWeights: string; status: SubscriberStatus } | null> {
  const row = await db
    .prepare('SELECT term_weights, status FROM subscribers WHERE id = ?')
    .bind(subscriberId)
    .first<{ term_weights: string; status: SubscriberStatus }>();
  return row ? { termWeights: row.term_weights, status: row.status } : null;
}

export interface VoteWrite {
  subscriberId: string;
  paperId: string;
  vote: Vote;
  /** term_weights as read before computing the update. */
  previousWeights: string;
  nextWeights: Record<string, number>;
  now: string;
}

/**
 * Returns false when the weights changed under us (another vote won the race: retry) or
 * the subscription is no longer active (an unsubscribe or a bounce landed after the link
 * was checked): the caller reads the row again to tell which.
 */
export async function recordVote(db: D1Database, write: VoteWrite): Promise<boolean> {
  const next = JSON.stringify(write.nextWeights);
  const [update] = await db.batch([
    db
      .prepare(
        `UPDATE subscribers SET term_weights = ?1, updated_at = ?2
         WHERE id = ?3 AND term_weights = ?4 AND status = 'active'`,
      )
      .bind(next, write.now, write.subscriberId, write.previousWeights),
    db
      .prepare(
        `INSERT INTO feedback (subscriber_id, paper_id, vote, created_at)
         SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM subscribers WHERE id = ?1 AND term_weights = ?5 AND status = 'active')
         ON CONFLICT (subscriber_id, paper_id) DO UPDATE SET vote = excluded.vote, created_at = excluded.created_at`,
      )
      .bind(write.subscriberId, write.paperId, write.vote, write.now, next),
  ]);
  return (update?.meta.changes ?? 0) > 0;
}

export interface FeedbackCounts {
  up: number;
  down: number;
}

export async function countVotes(db: D1Database, subscriberId: string): Promise<FeedbackCounts> {
  const row = await db
    .prepare(
      `SELECT COALESCE(SUM(vote = 1), 0) AS up, COALESCE(SUM(vote = -1), 0) AS down
       FROM feedback WHERE subscriber_id = ?`,
    )
    .bind(subscriberId)
    .first<{ up: number; down: number }>();
  return { up: row?.up ?? 0, down: row?.down ?? 0 };
}
