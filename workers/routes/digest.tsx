/** @jsxImportSource hono/jsx */
/**
 * A subscriber's digests outside their inbox: GET /digest?token= shows one delivered
 * digest in the browser (the "view in browser" link, signed with the digest's token; see
 * src/digest/access.ts), and GET /feed?token= is their private Atom feed of recent
 * digests, for feed readers (built in src/digest/feed.ts), whose entries open
 * /digest?token=<the feed's>&digest=<id>. Both are read-only, signed per subscriber,
 * never cached by proxies and never indexed; neither page carries the subscriber's own
 * links (preferences, unsubscribe, feed) nor their address, and a feed entry no 👍/👎. Both show the papers a digest
 * was sent with: one arXiv has withdrawn since is marked, not hidden (the archive, which
 * lists papers to discover, leaves withdrawn ones out). The links of an address that
 * bounced or complained say whom to write to (../ended-link.tsx).
 */
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { etag, RETAINED_304_HEADERS } from 'hono/etag';
import { snapshotBasis } from '../../src/db/deliveries';
import { getPapersByIds } from '../../src/db/papers';
import { renderDigestHtml } from '../../src/digest';
import { openDigestLink, openFeedEntry } from '../../src/digest/access';
import { subscriberFeed } from '../../src/digest/feed';
import { AppError } from '../../src/errors';
import type { RankedPaper } from '../../src/ranking';
import { subscriberFromToken } from '../../src/subscriptions/access';
import { openOrEndedAnswer } from '../ended-link';
import { tokenPage } from '../middleware/token-page';
import type { HonoEnv } from '../types';

type Ctx = Context<HonoEnv>;

/** What a 304 of the feed keeps: the cache and indexing headers, and its validators. */
const FEED_304_HEADERS = [...RETAINED_304_HEADERS, 'x-robots-tag', 'last-modified'];

/**
 * Feed readers poll every 15 to 60 minutes and send back the ETag they were given: while
 * the feed is unchanged they get a 304 without a body, so they neither download nor parse
 * it again. The ETag is a hash of the body, so anything that changes the feed (a new
 * digest, a paper withdrawn since) changes it. Outside tokenPage, so the 304 keeps the
 * feed's own cache and indexing headers.
 */
const feedEtag = etag({ retainedHeaders: FEED_304_HEADERS });

/** An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms) in epoch ms. */
function httpDateMs(value: string): number | null {
  const imf = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
  const rfc850 = /^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
  const asctime = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;
  const trimmed = value.trim();
  if (!imf.test(trimmed) && !rfc850.test(trimmed) && !asctime.test(trimmed)) return null;
  const ms = Date.parse(asctime.test(trimmed) ? `${trimmed} GMT` : trimmed);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * For readers that send back Last-Modified (If-Modified-Since) rather than the ETag: a 304
 * while the feed has no entry newer than that. Outside feedEtag, so the 200 it turns into a
 * 304 already carries its ETag. RFC 9110 §13.1.3: ignored when the request has
 * If-None-Match (which takes precedence: feedEtag answered it), and when the date is no
 * HTTP-date; also when it lies in the future (a reader sending its own clock, which would
 * hide every digest sent before that).
 */
const feedModifiedSince: MiddlewareHandler<HonoEnv> = async (c, next) => {
  await next();
  const since = c.req.header('If-Modified-Since');
  if (since === undefined || c.req.header('If-None-Match') !== undefined || c.res.status !== 200) return;
  const sinceMs = httpDateMs(since);
  const modified = Date.parse(c.res.headers.get('Last-Modified') ?? '');
  if (sinceMs === null || sinceMs > Date.now() || Number.isNaN(modified) || modified > sinceMs) return;
  await c.res.body?.cancel();
  // Hono carries the 200's headers over to the new response: only the ones a 304 keeps stay.
  c.res = new Response(null, { status: 304, statusText: 'Not Modified' });
  for (const name of [...c.res.headers.keys()]) {
    if (!FEED_304_HEADERS.includes(name.toLowerCase())) c.res.headers.delete(name);
  }
};

export const digestRoutes = new Hono<HonoEnv>()
  .use('/digest', tokenPage)
  .use('/feed', feedModifiedSince)
  .use('/feed', feedEtag)
  .use('/feed', tokenPage);

const VISIBLE_STATUSES = new Set(['sent', 'sending']);

async function rankedPapers(
  c: Ctx,
  items: { id: string; score: number; why: string[] }[],
): Promise<RankedPaper[]> {
  const papers = await getPapersByIds(
    c.var.app.db,
    items.map((item) => item.id),
  );
  const byId = new Map(papers.map((paper) => [paper.id, paper]));
  return items.flatMap((item) => {
    const paper = byId.get(item.id);
    return paper ? [{ paper, score: item.score, why: item.why }] : [];
  });
}

digestRoutes.get('/digest', async (c) => {
  // A feed entry opens its digest with the feed's token and the delivery's id: read-only.
  const entry = c.req.query('digest');
  const token = c.req.query('token');
  const opened = await openOrEndedAnswer(c, ['suppressed'], () =>
    entry === undefined ? openDigestLink(c.var.app, token, 'view') : openFeedEntry(c.var.app, token, entry),
  );
  if (opened instanceof Response) return opened;
  const { subscriber, delivery } = opened;
  if (!delivery || !VISIBLE_STATUSES.has(delivery.status)) {
    throw new AppError(404, 'digest_not_found', 'This digest is not available: it may never have been sent.');
  }
  const ranked = await rankedPapers(c, delivery.items);
  const html = await renderDigestHtml(
    c.var.config,
    { editionDate: delivery.plannedAt.slice(0, 10), frequency: delivery.frequency },
    { subscriber, deliveryId: delivery.id, basis: snapshotBasis(delivery.items) },
    ranked,
    { votes: entry === undefined },
  );
  return c.html(html);
});

digestRoutes.get('/feed', async (c) => {
  const opened = await openOrEndedAnswer(c, ['suppressed'], () =>
    subscriberFromToken(c.var.app, c.req.query('token'), 'feed'),
  );
  if (opened instanceof Response) return opened;
  const { subscriber } = opened;
  const feed = await subscriberFeed(c.var.app, subscriber);
  return c.body(feed.xml, 200, {
    'Content-Type': 'application/atom+xml; charset=utf-8',
    'Cache-Control': 'private, max-age=300',
    'Last-Modified': feed.updated.toUTCString(),
  });
});
