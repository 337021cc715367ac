/**
 * Recording a 👍/👎. `weightsAfterVote` is the pure step (current learned term weights +
 * paper + new vote + previous vote → new weights, through the ranking's Rocchio update),
 * shared with the preview CLI so a simulated vote learns exactly what a real one does.
 * `castVote` stores the vote and the new weights together, optimistically: the weights
 * are written only if they are still what the update was computed from, so two votes
 * racing from two tabs never lose a weight update; a lost race is retried. Only an active
 * subscription is written, checked in the write itself, so a vote link from an email of a
 * subscription that has ended since changes nothing.
 */
import { getVote, getVoterState, recordVote, type Vote } from '../db/feedback';
import type { Paper } from '../domain';
import { AppError } from '../errors';
import { applyFeedback } from '../ranking';
import { linkNotActive } from '../subscriptions/access';

export type { Vote };

const MAX_ATTEMPTS = 4;

/**
 * The subscriber's learned weights after a vote, or null when the vote changes nothing
 * (the same vote again). Switching a vote undoes the first one.
 */
export function weightsAfterVote(
  current: Record<string, number>,
  paper: Pick<Paper, 'title' | 'abstract' | 'aiKeywords' | 'aiSummary'>,
  vote: Vote,
  previous: Vote | null,
): Record<string, number> | null {
  if (previous === vote) return null;
  return applyFeedback(current, paper, vote, previous);
}

/** Stored weights are JSON text; anything unreadable counts as "nothing learned yet". */
export function parseTermWeights(text: string): Record<string, number> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, number>)
      : {};
  } catch {
    return {};
  }
}

export interface VoteResult {
  /** False when the same vote was already recorded. */
  changed: boolean;
  previous: Vote | null;
}

/** Records the vote and its learning; retries when a concurrent vote changed the weights. */
export async function castVote(
  db: D1Database,
  subscriberId: string,
  paper: Paper,
  vote: Vote,
  now: string,
): Promise<VoteResult> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const [previous, voter] = await Promise.all([
      getVote(db, subscriberId, paper.id),
      getVoterState(db, subscriberId),
    ]);
    if (voter === null) {
      throw new AppError(
        410,
        'link_revoked',
        'This feedback link no longer works: the subscription does not exist any more.',
      );
    }
    // The link was checked for an active subscription, but an unsubscribe or a bounce may
    // have landed since (or, on a retry, during the last attempt): that ends its learning.
    if (voter.status !== 'active') throw linkNotActive('feedback', voter.status);
    const weightsText = voter.termWeights;
    const next = weightsAfterVote(parseTermWeights(weightsText), paper, vote, previous);
    if (next === null) return { changed: false, previous };
    const written = await recordVote(db, {
      subscriberId,
      paperId: paper.id,
      vote,
      previousWeights: weightsText,
      nextWeights: next,
      now,
    });
    if (written) return { changed: true, previous };
  }
  throw new AppError(
    503,
    'busy',
    'Your vote could not be saved because of a conflicting update. Please try again.',
  );
}
