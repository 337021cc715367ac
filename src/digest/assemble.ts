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
import {
  asciiBytes,
  asciiJsonBytes,
  asciiJsonInner,
  chunksToString,
  type JsonChunks,
  sizedChunks,
} from '../lib/json';
import { readableTex } from '../lib/tex';
import { digestToken, type LinkBases, linkBases, subscriberLinks } from '../links';
import type { RankedPaper } from '../ranking';
import { largestThatFits, quotedPrintableWeight, sentBytes } from './fit';
import { clean, countLabel, interestsLabel, preheaderLine, subjectFor, subjectLine, whyMemo } from './format';
import { escapeHtml, escapeProse } from './html';
import type { PreparedCard, PreparedEdition } from './prepare';
import { type DigestEmail, type DigestRecipient, renderReference } from './reference';
import { filledWeight, fillJsonInto } from './template';
import { whyLine } from './text-lines';

/**
 * A label as plain text and as a piece of a JSON string literal of React's HTML escape of
 * it, in bytes: a request body is copied together from byte arrays, and copying bytes
 * costs less than encoding a string where it is used (a digest uses each label and token
 * in many places). The text part takes the label itself: its lines are wrapped with it
 * (text-lines.ts).
 */
interface TextPair {
  text: string;
  htmlJson: Uint8Array;
  /** The HTML's quoted-printable weight (fit.ts). */
  htmlWeight: number;
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

/** `prose`: free text the templates fold into lines (foldText), as the preheader, interests and why. */
function pairOf(text: string, prose = false): TextPair {
  const html = prose ? escapeProse(text) : escapeHtml(text);
  return { text, htmlJson: asciiJsonBytes(html), htmlWeight: quotedPrintableWeight(html) };
}

// Layout values are clean()ed as digestProps does, so they equal what the template got.
const interestsPair = memo(10_000, (interests) => pairOf(clean(interestsLabel(interests)), true));
const betweenJson = memo(4, asciiJsonBytes);
const countPair = memo(1_000, (label) => pairOf(clean(label)));
/**
 * A card's why line and its escaped forms, memoised by its reasons. The lines that recur
 * (shared interests, "trending") are made again at most once per clearing; 20,000 nodes
 * were up to 3.3 MB of the sender's peak (`npm run bench:memory`), mostly lines of
 * interests met once. In the text part the hole is the whole line, wrapped (text-lines.ts),
 * kept as a string of JSON: most are met by one email, where a buffer each cost more to
 * allocate than the line costs to copy.
 */
const whyPair = whyMemo(4_000, (why) => ({ ...pairOf(why, true), textJson: asciiJsonInner(whyLine(why)) }));

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

/**
 * The subscriber's digest: the most of `ranked`, best first, that fits Gmail's size as
 * sent (fit.ts), measured from the weights of its pieces, not decoded.
 */
export async function assembleDigest(
  prepared: PreparedEdition,
  config: Config,
  recipient: DigestRecipient,
  ranked: RankedPaper[],
): Promise<DigestEmail> {
  const fitted = await largestThatFits(
    ranked.length,
    (papers) => assembleAll(prepared, config, recipient, ranked.slice(0, papers)),
    (assembled) => sentBytes(assembled.htmlWeight),
  );
  return fitted.digest;
}

/** The digest of all of `ranked`, and its HTML's quoted-printable weight (fit.ts). */
async function assembleAll(
  prepared: PreparedEdition,
  config: Config,
  recipient: DigestRecipient,
  ranked: RankedPaper[],
): Promise<{ digest: DigestEmail; htmlWeight: number }> {
  const { subscriber, deliveryId } = recipient;
  const [own, token] = await Promise.all([
    subscriberLinks(config, subscriber),
    digestToken(config, subscriber, deliveryId),
  ]);
  const bases = linkBases(config);
  const cards: PreparedCard[] = [];
  // The 👍/👎 line of a card's text is wrapped for tokens of this length (text-lines.ts).
  const tokenChars = token.length;
  for (const item of ranked) {
    const card = prepared.cards.get(item.paper.id, tokenChars);
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
    return {
      digest: {
        subject: subjectFor(ranked, prepared.editionDate, recipient.basis),
        ...full,
        papers: ranked.length,
      },
      htmlWeight: quotedPrintableWeight(full.html),
    };
  }
  const basis = recipient.basis ?? 'relevant';
  const subject = subjectLine(cards.length, cards[0]?.subjectTitle, prepared.editionDate, basis);
  const preheader = clean(
    preheaderLine(
      ranked[0] && readableTex(ranked[0].paper.title),
      cards.slice(1, 3).map((card) => card.preheaderTitle),
    ),
  );
  const preheaderPair = pairOf(preheader, true);
  const emailPair = pairOf(clean(subscriber.email));
  const count = countPair(countLabel(ranked, basis));
  const interests = interestsPair(subscriber.interests);
  // In LAYOUT_SLOTS order, as JSON string pieces. Tokens are base64url and '.': the same
  // in text, HTML and JSON, and ASCII, so their bytes are their characters.
  const tokenBytes = asciiBytes(token);
  const unsubscribeBytes = asciiBytes(unsubscribe);
  const preferencesBytes = asciiBytes(preferences);
  const feedBytes = asciiBytes(feed);
  // The text part's lines with the subscriber's words in them, wrapped (text-lines.ts).
  const empty = cards.length === 0 ? await prepared.text.empty() : null;
  const layoutValues = [
    preheaderPair.text,
    count.text,
    emailPair.text,
    interests.text,
    unsubscribe,
    preferences,
    token,
    feed,
  ];
  // The holes a line may keep (the words of LAYOUT_KINDS) as JSON string pieces.
  const layoutWords = ['', '', asciiJsonInner(emailPair.text), '', unsubscribe, preferences, token, feed];
  const layoutText = (empty ?? prepared.text).lines.map((line) => line.json(layoutValues, layoutWords));
  const layoutHtml = [
    preheaderPair.htmlJson,
    count.htmlJson,
    emailPair.htmlJson,
    interests.htmlJson,
    unsubscribeBytes,
    preferencesBytes,
    tokenBytes,
    feedBytes,
  ];
  // The same, as quoted-printable weights of the HTML (fit.ts).
  const tokenWeight = quotedPrintableWeight(token);
  const layoutWeights = [preheaderPair, count, emailPair, interests].map((pair) => pair.htmlWeight);
  for (const value of [unsubscribe, preferences, token, feed])
    layoutWeights.push(quotedPrintableWeight(value));

  // The email is built once, as the JSON string literals the request body is joined from
  // (pieces escaped once per edition or per label); html and text are read back from them
  // only if someone asks (the outbox, the tests), never on the way to Resend.
  // Sizes counted on the way (2: the quotes), for the size check and the request body.
  const html: JsonChunks = ['"'];
  const text: JsonChunks = ['"'];
  let htmlBytes = 2 + fillJsonInto(html, prepared.html.prefix, layoutHtml);
  let htmlWeight =
    filledWeight(prepared.html.prefix, layoutWeights) + filledWeight(prepared.html.suffix, layoutWeights);
  let textBytes = 2 + fillJsonInto(text, empty ? empty.text : prepared.text.prefix, layoutText);
  // In CARD_SLOTS order; the token is the same for every card of the digest.
  const cardText: (string | Uint8Array)[] = [tokenBytes, tokenBytes];
  const cardHtml = [tokenBytes, tokenBytes];
  const cardWeights = [0, tokenWeight];
  const between = betweenJson(prepared.text.between);
  for (let position = 0; position < cards.length; position++) {
    const card = cards[position]!;
    const why = whyPair(ranked[position]!.why);
    cardText[0] = why.textJson;
    cardHtml[0] = why.htmlJson;
    cardWeights[0] = why.htmlWeight;
    htmlBytes += fillJsonInto(html, card.html, cardHtml);
    htmlWeight += filledWeight(card.html, cardWeights);
    if (position > 0) {
      text.push(between);
      textBytes += between.length;
    }
    textBytes += fillJsonInto(text, card.text.wrapped(tokenChars), cardText);
  }
  htmlBytes += fillJsonInto(html, prepared.html.suffix, layoutHtml);
  if (cards.length > 0) textBytes += fillJsonInto(text, prepared.text.suffix, layoutText);
  html.push('"');
  text.push('"');
  return {
    digest: fromJson(subject, sizedChunks(html, htmlBytes), sizedChunks(text, textBytes), cards.length),
    htmlWeight,
  };
}

/** A digest whose html and text are decoded from their JSON literals on first read. */
function fromJson(subject: string, htmlJson: JsonChunks, textJson: JsonChunks, papers: number): DigestEmail {
  let html: string | undefined;
  let text: string | undefined;
  return {
    subject,
    get html() {
      html ??= JSON.parse(chunksToString(htmlJson)) as string;
      return html;
    },
    get text() {
      text ??= JSON.parse(chunksToString(textJson)) as string;
      return text;
    },
    json: { html: htmlJson, text: textJson },
    papers,
  };
}
