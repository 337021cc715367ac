/**
 * What a 👍/👎 link points at: the subscriber and the paper. A current link carries the
 * digest's token and the paper as a plain parameter, so the paper must be one that digest
 * actually contained (a token cannot be reused to vote on arbitrary papers); an older
 * per-paper link names its paper inside the signed token.
 */
import { getPaperForFeedback } from '../db/feedback';
import { openDigestLink } from '../digest/access';
import type { Paper, Subscriber } from '../domain';
import type { AppContext } from '../env';
import { AppError } from '../errors';

export async function feedbackTarget(
  app: AppContext,
  token: string | undefined,
  paperParam: string | undefined,
): Promise<{ subscriber: Subscriber; paper: Paper }> {
  const link = await openDigestLink(app, token, 'feedback');
  const paperId = link.signedPaperId ?? paperParam;
  if (!paperId) {
    throw new AppError(
      400,
      'invalid_link',
      'This feedback link does not name a paper. Please use a link from a digest.',
    );
  }
  if (link.delivery && !link.delivery.items.some((item) => item.id === paperId)) {
    throw new AppError(
      404,
      'paper_not_in_digest',
      'That paper was not in this digest, so the vote cannot be recorded. Please use the links next to each paper.',
    );
  }
  const paper = await getPaperForFeedback(app.db, paperId);
  if (!paper) {
    throw new AppError(
      404,
      'paper_not_found',
      'That paper is no longer in our archive, so the vote cannot be recorded.',
    );
  }
  return { subscriber: link.subscriber, paper };
}
