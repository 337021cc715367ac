/**
 * Per-subscriber assembly of the digest fast path: the templates prepared once per
 * edition (prepare.ts) are filled with the subscriber's labels and link tokens, which is
 * string concatenation. A digest needs two kinds of tokens: its own (one per delivered
 * digest, for "view in browser" and every 👍/👎) and the subscriber's own links
 * (unsubscribe, preferences, feed), signed once per subscriber and remembered; both are
 * WebCrypto HMACs. The result is byte-identical to a full React render of the same props
 * (reference.ts), which tests and the benchmark check.
 */
import type { Config } from '../env';
import { digestToken, type LinkBases, linkBases, subscriberLinks } from '../links';
import type { RankedPaper } from '../ranking';
import {
  clean,
  countLabel,
  interestsLabel,
  preheaderLine,
  subjectFor,
  subjectLine,
  whyLabel,
} from './format';
import { escapeHtml } from './html';
import type { PreparedCard, PreparedEdition } from './prepare';
import { type DigestEmail, type DigestRecipient, renderReference } from './reference';
import { fillInto } from './template';

/** A string as plain text and as React would escape it in HTML. */
interface TextPair {
  text: string;
  html: string;
}

/**
 * Small bounded memo for labels that recur across subscribers (the same few "why" lines,
 * interests and counts), so each is computed and escaped once rather than per card.
 */
function memo<T>(limit: number, compute: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = compute(key);
      if (cache.size >= limit) cache.clear();
      cache.set(key, value);
    }
    return value;
  };
}

const pairOf = (text: string): TextPair => ({ text, html: escapeHtml(text) });
// Layout values are clean()ed as digestProps does, so they equal what the template got.
const interestsPair = memo(10_000, (interests) => pairOf(clean(interestsLabel(interests))));
const countPair = memo(1_000, (count) => pairOf(clean(countLabel(Number(count)))));
const escapedWhy = memo(10_000, escapeHtml);
/** whyLabel is memoised itself; the escaped form is memoised by label. */
function whyPair(why: readonly string[]): TextPair {
  const text = whyLabel(why);
  return { text, html: escapedWhy(text) };
}

/** The token at the end of a link built on `base`, or null if the link is not built on it. */
function tokenAfter(url: string, base: string): string | null {
  return url.startsWith(base) ? url.slice(base.length) : null;
}

function sameBases(a: LinkBases, b: LinkBases): boolean {
  return (
    a === b ||
    (a.unsubscribe === b.unsubscribe &&
      a.preferences === b.preferences &&
      a.feedback === b.feedback &&
      a.view === b.view &&
      a.feed === b.feed)
  );
}

/** Counts renders that had to leave the fast path (tests insist on none for normal digests). */
export const fallbackRenders = { count: 0 };

export async function assembleDigest(
  prepared: PreparedEdition,
  config: Config,
  recipient: DigestRecipient,
  ranked: RankedPaper[],
): Promise<DigestEmail> {
  const { subscriber, deliveryId } = recipient;
  const [own, token] = await Promise.all([
    subscriberLinks(config, subscriber),
    digestToken(config, subscriber, deliveryId),
  ]);
  const bases = linkBases(config);
  const cards: PreparedCard[] = [];
  for (const item of ranked) {
    const card = prepared.cards.get(item.paper.id);
    if (card) cards.push(card);
  }
  const unsubscribe = tokenAfter(own.unsubscribe, bases.unsubscribe);
  const preferences = tokenAfter(own.preferences, bases.preferences);
  const feed = tokenAfter(own.feed, bases.feed);
  if (
    cards.length < ranked.length ||
    !sameBases(bases, prepared.linkBases) ||
    unsubscribe === null ||
    preferences === null ||
    feed === null
  ) {
    // A paper outside the prepared edition, or links for another PUBLIC_URL than the
    // edition was prepared with: correct but slow, so say so in the logs.
    fallbackRenders.count++;
    console.warn(JSON.stringify({ event: 'digest_fallback_render', deliveryId }));
    const full = await renderReference(config, prepared.edition, recipient, ranked, { text: 'convert' });
    return { subject: subjectFor(ranked, prepared.editionDate), ...full };
  }
  const subject = subjectLine(cards.length, cards[0]?.subjectTitle, prepared.editionDate);
  const preheader = clean(
    preheaderLine(
      ranked[0]?.paper.title,
      cards.slice(1, 3).map((card) => card.preheaderTitle),
    ),
  );
  const email = clean(subscriber.email);
  const count = countPair(String(cards.length));
  const interests = interestsPair(subscriber.interests);
  // In LAYOUT_SLOTS order.
  const layoutText = [preheader, count.text, email, interests.text, unsubscribe, preferences, token, feed];
  const layoutHtml = [
    escapeHtml(preheader),
    count.html,
    escapeHtml(email),
    interests.html,
    unsubscribe,
    preferences,
    token,
    feed,
  ];

  const html: string[] = [];
  const text: string[] = [];
  fillInto(html, prepared.html.prefix, layoutHtml);
  fillInto(text, cards.length === 0 ? await prepared.text.empty() : prepared.text.prefix, layoutText);
  // In CARD_SLOTS order; the token is the same for every card of the digest.
  const cardText = ['', token];
  const cardHtml = ['', token];
  for (let position = 0; position < cards.length; position++) {
    const card = cards[position]!;
    const why = whyPair(ranked[position]!.why);
    cardText[0] = why.text;
    cardHtml[0] = why.html;
    fillInto(html, card.html, cardHtml);
    if (position > 0) text.push(prepared.text.between);
    fillInto(text, card.text, cardText);
  }
  fillInto(html, prepared.html.suffix, layoutHtml);
  if (cards.length > 0) fillInto(text, prepared.text.suffix, layoutText);
  return { subject, html: html.join(''), text: text.join('') };
}
