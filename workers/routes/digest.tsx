/** @jsxImportSource hono/jsx */
/**
 * A subscriber's digests outside their inbox: GET /digest?token= shows one delivered
 * digest in the browser (the "view in browser" link; the token names the delivery), and
 * GET /feed?token= is their private Atom feed of recent digests, for feed readers. Both
 * are read-only, signed per subscriber, never cached by proxies and never indexed.
 */
import { type Context, Hono } from 'hono';
import { getDeliveryView, listSentDeliveries } from '../../src/db/digest-views';
import { getPapersByIds } from '../../src/db/papers';
import { renderDigestHtml } from '../../src/digest';
import { clean, editionLabel, paperUrl, summaryText, whyLabel } from '../../src/digest/format';
import type { Paper, Subscriber } from '../../src/domain';
import { AppError } from '../../src/errors';
import { feedUrl, viewInBrowserUrl } from '../../src/links';
import type { RankedPaper } from '../../src/ranking';
import { subscriberFromToken } from '../../src/subscriptions/access';
import type { HonoEnv } from '../types';

type Ctx = Context<HonoEnv>;

export const digestRoutes = new Hono<HonoEnv>();

const FEED_ENTRIES = 20;
const VISIBLE_STATUSES = new Set(['sent', 'sending']);

const privatePage = (c: Ctx) => {
  c.header('Cache-Control', 'private, no-store');
  c.header('X-Robots-Tag', 'noindex');
};

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
  privatePage(c);
  const { subscriber, claims } = await subscriberFromToken(c.var.app, c.req.query('token'), 'view');
  const delivery = claims.x ? await getDeliveryView(c.var.app.db, claims.x) : null;
  if (!delivery || delivery.subscriberId !== subscriber.id || !VISIBLE_STATUSES.has(delivery.status)) {
    throw new AppError(404, 'digest_not_found', 'This digest is not available: it may never have been sent.');
  }
  const ranked = await rankedPapers(c, delivery.items);
  const html = await renderDigestHtml(
    c.var.config,
    { editionDate: delivery.plannedAt.slice(0, 10), frequency: delivery.frequency },
    { subscriber, deliveryId: delivery.id },
    ranked,
  );
  return c.html(html);
});

const xml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (char) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[char]};`,
  );

function entryContent(ranked: RankedPaper[]): string {
  const items = ranked.map(({ paper, why }) => {
    const authors = paper.authors.slice(0, 3).join(', ') + (paper.authors.length > 3 ? ' et al.' : '');
    return `<li><p><a href="${xml(paperUrl(paper))}"><strong>${xml(clean(paper.title))}</strong></a><br/>${xml(
      authors,
    )}</p><p>${xml(summaryText(paper))}</p><p><em>Why: ${xml(whyLabel(why))}</em></p></li>`;
  });
  return `<ul>${items.join('')}</ul>`;
}

async function feedXml(c: Ctx, subscriber: Subscriber): Promise<string> {
  const { config, db } = c.var.app;
  const deliveries = await listSentDeliveries(db, subscriber.id, FEED_ENTRIES);
  const allIds = [...new Set(deliveries.flatMap((delivery) => delivery.items.map((item) => item.id)))];
  const papers = new Map<string, Paper>((await getPapersByIds(db, allIds)).map((paper) => [paper.id, paper]));
  const self = await feedUrl(config, subscriber);
  const updated = deliveries[0]?.sentAt ?? subscriber.confirmedAt ?? subscriber.createdAt;
  const entries = await Promise.all(
    deliveries.map(async (delivery) => {
      const ranked = delivery.items.flatMap((item) => {
        const paper = papers.get(item.id);
        return paper ? [{ paper, score: item.score, why: item.why }] : [];
      });
      const link = await viewInBrowserUrl(config, subscriber, delivery.id);
      const title =
        delivery.subject ??
        `${editionLabel(delivery.plannedAt.slice(0, 10), delivery.frequency)}: ${ranked.length} papers`;
      return `  <entry>
    <id>urn:papers-digest:delivery:${xml(delivery.id)}</id>
    <title>${xml(title)}</title>
    <updated>${xml(delivery.sentAt!)}</updated>
    <published>${xml(delivery.sentAt!)}</published>
    <link rel="alternate" type="text/html" href="${xml(link)}"/>
    <summary>${xml(ranked.map((item) => clean(item.paper.title)).join(' · '))}</summary>
    <content type="html">${xml(entryContent(ranked))}</content>
  </entry>`;
    }),
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Papers Digest: your digests</title>
  <subtitle>Research papers picked for your interests</subtitle>
  <id>urn:papers-digest:feed:${xml(subscriber.id)}</id>
  <updated>${xml(updated)}</updated>
  <link rel="self" type="application/atom+xml" href="${xml(self)}"/>
  <link rel="alternate" type="text/html" href="${xml(config.PUBLIC_URL)}"/>
  <author><name>Papers Digest</name></author>
  <generator>papers-digest</generator>
${entries.join('\n')}
</feed>
`;
}

digestRoutes.get('/feed', async (c) => {
  const { subscriber } = await subscriberFromToken(c.var.app, c.req.query('token'), 'feed');
  const body = await feedXml(c, subscriber);
  c.header('X-Robots-Tag', 'noindex');
  return c.body(body, 200, {
    'Content-Type': 'application/atom+xml; charset=utf-8',
    'Cache-Control': 'private, max-age=300',
  });
});
