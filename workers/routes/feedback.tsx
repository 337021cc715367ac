/** @jsxImportSource hono/jsx */
/**
 * 👍/👎 from the digest. A link carries its digest's token and the paper (older links: a
 * token per paper, see src/feedback/target.ts); opening one only shows a confirmation
 * page with a button, because mail scanners prefetch every link in a message, and the
 * vote is recorded on POST. A vote upserts the feedback row (a re-vote
 * overwrites it) and moves the subscriber's learned term weights (Rocchio, bounded), so
 * the next digest leans towards liked papers. Browsers get pages; JSON clients get JSON.
 * A link of an address that bounced or complained says whom to write to (../ended-link.tsx).
 * The POST is not origin-checked: it acts only through the signed token it carries, never
 * through anything ambient (why: ../middleware/browser-form.ts).
 */
import { Hono } from 'hono';
import { getVote } from '../../src/db/feedback';
import type { Paper } from '../../src/domain';
import { AppError } from '../../src/errors';
import { feedbackTarget } from '../../src/feedback/target';
import { castVote, type Vote } from '../../src/feedback/vote';
import { logEvent } from '../../src/lib/log';
import { readableTex } from '../../src/lib/tex';
import { nowIso } from '../../src/lib/time';
import { readSubmission } from '../../src/subscriptions/request-body';
import { openOrEndedAnswer } from '../ended-link';
import { tokenPage } from '../middleware/token-page';
import { answersJson } from '../request';
import type { HonoEnv } from '../types';
import { Layout } from '../views/layout';

export const feedbackRoutes = new Hono<HonoEnv>().use('/feedback', tokenPage);

const VOTES = { up: 1, down: -1 } as const satisfies Record<string, Vote>;
type VoteName = keyof typeof VOTES;

function parseVote(value: unknown, required: boolean): VoteName | null {
  if (value === undefined || value === null || value === '') {
    if (required) throw new AppError(400, 'missing_vote', 'Choose 👍 or 👎: the vote is missing.');
    return null;
  }
  if (value === 'up' || value === 'down') return value;
  throw new AppError(400, 'invalid_vote', 'The vote must be "up" (👍) or "down" (👎).');
}

const voteWords = (vote: VoteName) => (vote === 'up' ? '👍 More like this' : '👎 Less like this');

function ConfirmForm(props: { token: string; paper: string; vote: VoteName; primary: boolean }) {
  return (
    <form method="post" action="/feedback" style="display:inline-block;margin-right:.75rem">
      <input type="hidden" name="token" value={props.token} />
      <input type="hidden" name="paper" value={props.paper} />
      <input type="hidden" name="vote" value={props.vote} />
      <button type="submit" class={props.primary ? undefined : 'secondary'}>
        {props.primary ? `Confirm ${voteWords(props.vote)}` : `Confirm ${voteWords(props.vote)} instead`}
      </button>
    </form>
  );
}

function PaperSummary(props: { paper: Paper }) {
  return (
    <div class="card">
      <p style="margin:0;font-weight:600">
        <a href={props.paper.links.hf ?? props.paper.links.abs}>{readableTex(props.paper.title)}</a>
      </p>
      {props.paper.authors.length > 0 ? (
        <p class="muted" style="margin:.25rem 0 0">
          {props.paper.authors.slice(0, 3).join(', ')}
          {props.paper.authors.length > 3 ? ' et al.' : ''}
        </p>
      ) : null}
    </div>
  );
}

feedbackRoutes.get('/feedback', async (c) => {
  const token = c.req.query('token');
  const vote = parseVote(c.req.query('vote'), false);
  const target = await openOrEndedAnswer(c, ['suppressed'], () =>
    feedbackTarget(c.var.app, token, c.req.query('paper')),
  );
  if (target instanceof Response) return target;
  const { subscriber, paper } = target;
  const previous = await getVote(c.var.app.db, subscriber.id, paper.id);
  const title = vote ? `Confirm your ${vote === 'up' ? '👍' : '👎'}` : 'Rate this paper';
  return c.html(
    <Layout title={`${title} · Papers Digest`}>
      <h1>{title}</h1>
      <p>
        {vote === 'up'
          ? 'Tell us you want more papers like this one. Your next digests will lean towards it.'
          : vote === 'down'
            ? 'Tell us you want fewer papers like this one. Your next digests will lean away from it.'
            : 'Do you want more or fewer papers like this one in your digests?'}
      </p>
      <PaperSummary paper={paper} />
      {previous !== null ? (
        <p class="muted">
          You already voted {previous === 1 ? '👍' : '👎'} for this paper; confirming replaces it.
        </p>
      ) : null}
      {vote ? (
        <>
          <ConfirmForm token={token!} paper={paper.id} vote={vote} primary />
          <p class="muted">
            Changed your mind?{' '}
            <a
              href={`/feedback?token=${encodeURIComponent(token!)}&paper=${encodeURIComponent(paper.id)}&vote=${vote === 'up' ? 'down' : 'up'}`}
            >
              {vote === 'up' ? '👎 Less like this' : '👍 More like this'} instead
            </a>
          </p>
        </>
      ) : (
        <>
          <ConfirmForm token={token!} paper={paper.id} vote="up" primary />
          <ConfirmForm token={token!} paper={paper.id} vote="down" primary />
        </>
      )}
    </Layout>,
  );
});

feedbackRoutes.post('/feedback', async (c) => {
  const submission = await readSubmission(c.req.raw);
  const rawToken = c.req.query('token') ?? submission.fields.token;
  const token = typeof rawToken === 'string' ? rawToken : undefined;
  const vote = parseVote(c.req.query('vote') ?? submission.fields.vote, true)!;
  const rawPaper = c.req.query('paper') ?? submission.fields.paper;
  // A bounce or complaint that lands between the link's check and the vote's write ends it too.
  const cast = await openOrEndedAnswer(c, ['suppressed'], async () => {
    const target = await feedbackTarget(
      c.var.app,
      token,
      typeof rawPaper === 'string' ? rawPaper : undefined,
    );
    return {
      ...target,
      ...(await castVote(c.var.app.db, target.subscriber.id, target.paper, VOTES[vote], nowIso())),
    };
  });
  if (cast instanceof Response) return cast;
  const { subscriber, paper, changed, previous } = cast;
  logEvent('feedback_vote', { subscriberId: subscriber.id, paperId: paper.id, vote, changed });

  // As app.onError answers this route's errors: a JSON body, or an Accept preferring JSON.
  if (answersJson(c, submission.format)) {
    return c.json({
      ok: true,
      paperId: paper.id,
      vote,
      changed,
      previous: previous === null ? null : previous === 1 ? 'up' : 'down',
    });
  }
  const heading = !changed
    ? `Your ${vote === 'up' ? '👍' : '👎'} was already recorded`
    : vote === 'up'
      ? 'Thanks! Your 👍 is recorded'
      : 'Thanks! Your 👎 is recorded';
  return c.html(
    <Layout title={`${heading} · Papers Digest`}>
      <h1>{heading}</h1>
      <p class="ok" role="status">
        {vote === 'up'
          ? 'Your next digests will include more papers like this one.'
          : 'Your next digests will include fewer papers like this one.'}
      </p>
      <PaperSummary paper={paper} />
      <ConfirmForm token={token!} paper={paper.id} vote={vote === 'up' ? 'down' : 'up'} primary={false} />
      <p>
        <a href="/">Back to Papers Digest</a>
      </p>
    </Layout>,
  );
});
