/**
 * Digest rendering, the contract the delivery consumer and the view-in-browser page use.
 *
 * Rendering React per subscriber costs milliseconds and, in workerd, leaves a timer behind
 * per call (a request may hold at most 10,000). So `prepareEdition` renders with React
 * Email a few times per edition and compiles the output into static text with holes;
 * `assembleDigest` then only signs the subscriber's links and concatenates strings. HTML
 * values are escaped exactly as React escapes them and plain text comes from the same
 * html-to-text conversion React Email uses, so the result is byte-identical to
 * `renderDigestReference` (a full React render of the same props), which the tests and
 * the benchmark check for many random subscribers.
 *
 * Cards are rendered by *shape*, not one by one: a card's markup depends on its paper only
 * through a handful of strings (title, URL, authors, stats, summary, link hrefs) and on
 * which optional parts it has (authors? stats? summary? which links?). Each shape is
 * rendered once with placeholders, HTML and text, and every paper of that shape fills
 * the holes with its own strings (escaped for HTML, as is for text). An edition of 300
 * papers has a handful of shapes, so preparation costs a few small renders instead of
 * rendering and converting 300 cards. Two safety nets keep this exact: strings whose
 * rendering is not a plain escape (non-http hrefs, which React may rewrite and
 * html-to-text may hide; a title equal to its URL, whose href html-to-text hides) send
 * their card through React; and per shape one real card is rendered with React and must
 * match its filled template, or the whole shape is rendered with React instead.
 */
import { render, toPlainText } from '@react-email/render';
import { createElement } from 'react';
import { PaperCard, type PaperCardProps } from '../../emails/_components/paper-card';
import { type DigestEmailProps, DigestEmail as DigestEmailTemplate } from '../../emails/digest-email';
import type { Frequency, Paper, Subscriber } from '../domain';
import type { Config } from '../env';
import type { RankedPaper } from '../ranking';
import {
  cardProps,
  clean,
  countLabel,
  digestProps,
  type EditionValues,
  editionValues,
  interestsLabel,
  type LayoutValues,
  PREHEADER_TITLE_CHARS,
  preheaderFor,
  preheaderLine,
  SUBJECT_TITLE_CHARS,
  subjectFor,
  subjectLine,
  truncate,
  whyLabel,
} from './format';
import { escapeHtml } from './html';
import { type SyncLinks, syncLinks, VOTE_QUERY } from './signer';

export { escapeHtml } from './html';

export interface DigestRecipient {
  subscriber: Subscriber;
  /** The delivery row id: the view-in-browser link points at it. */
  deliveryId: string;
}

export interface DigestEmail {
  subject: string;
  html: string;
  text: string;
}

export interface PrepareEditionInput {
  /** YYYY-MM-DD of the edition (the planner's date). */
  editionDate: string;
  /** The edition's candidate papers: every paper a subscriber of this edition may get. */
  papers: Paper[];
  frequency?: Frequency;
}

/** Static text with holes: output = parts[0] + values[slots[0]] + parts[1] + … */
interface Template {
  parts: string[];
  /** Indexes into the values array the template is filled with. */
  slots: number[];
}

/** A compiled render whose holes are still named (see `compile`). */
interface NamedTemplate {
  parts: string[];
  names: string[];
}

interface PreparedCard {
  /** Holes: CARD_SLOTS. */
  html: Template;
  text: Template;
  /** The paper title cut for the subject line and for the preheader. */
  subjectTitle: string;
  preheaderTitle: string;
}

/** Per-edition render cache: built once, shared by every subscriber of the edition. */
export interface PreparedEdition {
  editionDate: string;
  frequency: Frequency;
  edition: EditionValues;
  cards: Map<string, PreparedCard>;
  /** Holes: LAYOUT_SLOTS. */
  html: { prefix: Template; suffix: Template };
  /** The link bases the templates were rendered with (links are base + token). */
  linkBases: SyncLinks['bases'];
  text: {
    prefix: Template;
    between: string;
    suffix: Template;
    /** An empty digest (rarely sent) has its own block spacing: rendered on first use. */
    empty: () => Promise<Template>;
  };
}

/**
 * The layout's per-subscriber holes; the order is the order of the values arrays. Links
 * are rendered as their real base URL followed by a token hole: tokens are base64url and
 * '.', the same in text and in HTML, so the assembler drops them in as they are.
 */
const LAYOUT_SLOTS = [
  'preheader',
  'countLabel',
  'recipientEmail',
  'interestsLabel',
  'unsubscribeToken',
  'preferencesToken',
  'viewToken',
  'feedToken',
] as const;

/** A card's per-subscriber holes: the why line and the (shared) 👍/👎 token. */
const CARD_SLOTS = ['why', 'token'] as const;

function randomMarker(rendered: readonly string[]): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  // Markers are PDSLOT + random letters: if no rendered string contains the prefix, any
  // marker is safe, which spares checking each candidate against every string.
  const prefixSeen = rendered.some((value) => value.includes('PDSLOT'));
  for (;;) {
    let nonce = '';
    for (const byte of crypto.getRandomValues(new Uint8Array(10))) nonce += letters[byte % 26];
    const marker = `PDSLOT${nonce}`;
    if (!prefixSeen || !rendered.some((value) => value.includes(marker))) return marker;
  }
}

const slot = (marker: string, name: string) => `${marker}${name}Z`;

/** Splits a render at its placeholders (slot names are letters and digits, never Z). */
function compile(source: string, marker: string): NamedTemplate {
  const pattern = new RegExp(`${marker}([A-Za-z0-9]+?)Z`, 'g');
  const parts: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const match of source.matchAll(pattern)) {
    parts.push(source.slice(last, match.index));
    names.push(match[1]!);
    last = match.index + match[0].length;
  }
  parts.push(source.slice(last));
  return { parts, names };
}

/**
 * Fills the holes named in `values` and keeps those in `keep` (numbered by their position
 * there), merging the static text around filled holes.
 */
function bind(
  template: NamedTemplate,
  values: Readonly<Record<string, string>>,
  keep: readonly string[],
): Template {
  const parts = [template.parts[0]!];
  const slots: number[] = [];
  template.names.forEach((name, index) => {
    const kept = keep.indexOf(name);
    if (kept >= 0) {
      slots.push(kept);
      parts.push(template.parts[index + 1]!);
    } else {
      const value = values[name];
      if (value === undefined) throw new Error(`digest template: no value for placeholder ${name}`);
      parts[parts.length - 1] += value + template.parts[index + 1]!;
    }
  });
  return { parts, slots };
}

function fill(template: Template, values: readonly string[]): string {
  const { parts, slots } = template;
  let out = parts[0]!;
  for (let index = 0; index < slots.length; index++) out += values[slots[index]!]! + parts[index + 1]!;
  return out;
}

function placeholderLayout(marker: string, bases: SyncLinks['bases']): LayoutValues {
  return {
    preheader: slot(marker, 'preheader'),
    countLabel: slot(marker, 'countLabel'),
    recipientEmail: slot(marker, 'recipientEmail'),
    interestsLabel: slot(marker, 'interestsLabel'),
    unsubscribeUrl: bases.unsubscribe + slot(marker, 'unsubscribeToken'),
    preferencesUrl: bases.preferences + slot(marker, 'preferencesToken'),
    viewInBrowserUrl: bases.view + slot(marker, 'viewToken'),
    feedUrl: bases.feed + slot(marker, 'feedToken'),
  };
}

function cardHoles(marker: string, bases: SyncLinks['bases']) {
  return {
    why: slot(marker, 'why'),
    upUrl: bases.feedback + slot(marker, 'token') + VOTE_QUERY.up,
    downUrl: bases.feedback + slot(marker, 'token') + VOTE_QUERY.down,
  };
}

function sentinelCard(marker: string, name: string, bases: SyncLinks['bases']): PaperCardProps {
  return {
    title: slot(marker, `sentinel${name}`),
    url: 'https://example.invalid/sentinel',
    authors: 'Sentinel',
    stats: '',
    summary: 'Sentinel',
    links: [{ label: 'arXiv', href: 'https://example.invalid/sentinel' }],
    ...cardHoles(marker, bases),
  };
}

function requireSplit(found: number, what: string): number {
  if (found < 0)
    throw new Error(`digest template cannot be pre-rendered: ${what} not found in the layout render`);
  return found;
}

/** The optional parts a card has; cards of one shape differ only in their strings. */
function shapeOf(props: PaperCardProps): string {
  const parts = `${props.authors ? 'a' : '-'}${props.stats ? 's' : '-'}${props.summary ? 'm' : '-'}`;
  return `${parts}:${props.links.map((link) => link.label).join('|')}`;
}

/** The card with its paper strings replaced by placeholders named as in `paperValues`. */
function shapeProps(props: PaperCardProps, marker: string): PaperCardProps {
  return {
    ...props,
    title: slot(marker, 'title'),
    url: slot(marker, 'url'),
    authors: props.authors ? slot(marker, 'authors') : '',
    stats: props.stats ? slot(marker, 'stats') : '',
    summary: props.summary ? slot(marker, 'summary') : '',
    links: props.links.map((link, position) => ({
      label: link.label,
      href: slot(marker, `href${position}`),
    })),
  };
}

/** The paper strings of a card by placeholder name, as text or HTML-escaped. */
function paperValues(props: PaperCardProps, encode: (value: string) => string): Record<string, string> {
  const values: Record<string, string> = {
    title: encode(props.title),
    url: encode(props.url),
    authors: encode(props.authors),
    stats: encode(props.stats),
    summary: encode(props.summary),
  };
  props.links.forEach((link, position) => {
    values[`href${position}`] = encode(link.href);
  });
  return values;
}

const same = (value: string) => value;

/** http(s) URLs without whitespace or control characters: React and html-to-text keep them as they are. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const PLAIN_URL = /^https?:\/\/[^\s\u0000-\u001f\u007f-\u009f]+$/i;

/** Whether filling a shape template gives exactly what React + html-to-text would. */
function fillsExactly(props: PaperCardProps): boolean {
  if (!PLAIN_URL.test(props.url) || !props.links.every((link) => PLAIN_URL.test(link.href))) return false;
  // html-to-text drops a link's href when it equals the link's words run together.
  return props.title.replaceAll(' ', '') !== props.url;
}

/**
 * Renders cards with React in ONE render (one timer) and converts them to text in ONE
 * html-to-text pass (each call recompiles its options, which dominates for small inputs).
 * Returns each card's HTML and text.
 */
async function renderCards(
  cards: readonly PaperCardProps[],
  marker: string,
): Promise<{ html: string; text: string }[]> {
  if (cards.length === 0) return [];
  const split = slot(marker, 'split');
  // Siblings separated by a marker text node; the render wraps a non-document root in a
  // Suspense marker, so the cards are found inside our <div>.
  const elements = cards.flatMap((props, position) => [
    createElement(PaperCard, { key: `card${position}`, ...props }),
    split,
  ]);
  const rendered = await render(createElement('div', null, ...elements));
  const open = requireSplit(rendered.indexOf('<div>'), 'the card list start');
  const close = requireSplit(rendered.lastIndexOf('</div>'), 'the card list end');
  const pieces = rendered.slice(open + '<div>'.length, close).split(split);
  if (pieces.length !== cards.length + 1) {
    throw new Error('digest template cannot be pre-rendered: card split mismatch');
  }
  const textSplit = slot(marker, 'textsplit');
  let texts = toPlainText(pieces.slice(0, cards.length).join(`<p>${textSplit}</p>`))
    .split(textSplit)
    .map((text) => text.replace(/^\n+|\n+$/g, ''));
  if (texts.length !== cards.length) {
    // Cannot happen with a fresh marker; stay correct (and slow) if it does.
    texts = pieces.slice(0, cards.length).map((piece) => toPlainText(piece));
  }
  return cards.map((_, position) => ({ html: pieces[position]!, text: texts[position]! }));
}

export async function prepareEdition(config: Config, input: PrepareEditionInput): Promise<PreparedEdition> {
  const frequency = input.frequency ?? 'daily';
  const edition = editionValues(config, input.editionDate, frequency);
  const bases = syncLinks(config).bases;
  const papers = dedupe(input.papers);
  // Placeholders for the per-subscriber strings; filled in by assembleDigest.
  const subscriberOnly = { why: '', upUrl: '', downUrl: '' };
  const props = papers.map((paper) => cardProps(paper, subscriberOnly));
  const marker = randomMarker([
    ...Object.values(edition),
    ...Object.values(bases),
    ...props.flatMap((card) => [
      card.title,
      card.url,
      card.authors,
      card.stats,
      card.summary,
      ...card.links.map((link) => link.href),
    ]),
  ]);
  const perSubscriber = cardHoles(marker, bases);
  const withHoles = props.map((card) => ({ ...card, ...perSubscriber }));

  // Group by shape; one paper per shape is the canary rendered for real.
  const shapes = new Map<string, number[]>();
  const viaReact: number[] = [];
  withHoles.forEach((card, position) => {
    if (!fillsExactly(card)) {
      viaReact.push(position);
      return;
    }
    const key = shapeOf(card);
    const members = shapes.get(key);
    if (members) members.push(position);
    else shapes.set(key, [position]);
  });
  const shapeList = [...shapes.values()];
  const sentinels = [sentinelCard(marker, 'x', bases), sentinelCard(marker, 'y', bases)];
  const firstBatch = await renderCards(
    [
      ...shapeList.map((members) => shapeProps(withHoles[members[0]!]!, marker)),
      ...shapeList.map((members) => withHoles[members[0]!]!),
      ...sentinels,
    ],
    marker,
  );

  const cards = new Map<string, PreparedCard>();
  const addCard = (position: number, html: Template, text: Template) => {
    const title = papers[position]!.title;
    cards.set(papers[position]!.id, {
      html,
      text,
      subjectTitle: truncate(title, SUBJECT_TITLE_CHARS),
      preheaderTitle: truncate(title, PREHEADER_TITLE_CHARS),
    });
  };
  const holes = CARD_SLOTS.map((name) => slot(marker, name));
  shapeList.forEach((members, shape) => {
    const html = compile(firstBatch[shape]!.html, marker);
    const text = compile(firstBatch[shape]!.text, marker);
    const canary = firstBatch[shapeList.length + shape]!;
    const canaryProps = withHoles[members[0]!]!;
    const exact =
      fill(bind(html, paperValues(canaryProps, escapeHtml), CARD_SLOTS), holes) === canary.html &&
      fill(bind(text, paperValues(canaryProps, same), CARD_SLOTS), holes) === canary.text;
    if (!exact) {
      console.warn(JSON.stringify({ event: 'digest_shape_mismatch', shape: shapeOf(canaryProps) }));
      viaReact.push(...members);
      return;
    }
    for (const position of members) {
      const card = withHoles[position]!;
      addCard(
        position,
        bind(html, paperValues(card, escapeHtml), CARD_SLOTS),
        bind(text, paperValues(card, same), CARD_SLOTS),
      );
    }
  });
  // Cards the shape templates cannot reproduce: rendered one by one with React (rare).
  const rendered = await renderCards(
    viaReact.map((position) => withHoles[position]!),
    marker,
  );
  viaReact.forEach((position, index) => {
    const { html, text } = rendered[index]!;
    addCard(
      position,
      bind(compile(html, marker), {}, CARD_SLOTS),
      bind(compile(text, marker), {}, CARD_SLOTS),
    );
  });

  // The layout around two sentinel cards shows where cards go, in HTML and in text.
  const [sentinelX, sentinelY] = firstBatch.slice(-2) as [
    { html: string; text: string },
    { html: string; text: string },
  ];
  const layoutHtml = await render(
    createElement(DigestEmailTemplate, digestProps(edition, placeholderLayout(marker, bases), sentinels)),
  );
  const cardsAt = requireSplit(layoutHtml.indexOf(sentinelX.html + sentinelY.html), 'the card list');
  const htmlPrefix = layoutHtml.slice(0, cardsAt);
  const htmlSuffix = layoutHtml.slice(cardsAt + sentinelX.html.length + sentinelY.html.length);

  const layoutText = toPlainText(layoutHtml);
  const xAt = requireSplit(layoutText.indexOf(sentinelX.text), 'the first card text');
  const afterX = layoutText.slice(xAt + sentinelX.text.length);
  const yAt = requireSplit(afterX.indexOf(sentinelY.text), 'the second card text');
  const layout = (source: string) => bind(compile(source, marker), {}, LAYOUT_SLOTS);
  let emptyText: Promise<Template> | undefined;
  const empty = () => {
    emptyText ??= render(
      createElement(DigestEmailTemplate, digestProps(edition, placeholderLayout(marker, bases), [])),
    ).then((html) => layout(toPlainText(html)));
    return emptyText;
  };
  return {
    editionDate: input.editionDate,
    frequency,
    edition,
    cards,
    html: { prefix: layout(htmlPrefix), suffix: layout(htmlSuffix) },
    linkBases: bases,
    text: {
      prefix: layout(layoutText.slice(0, xAt)),
      between: afterX.slice(0, yAt),
      suffix: layout(afterX.slice(yAt + sentinelY.text.length)),
      empty,
    },
  };
}

function dedupe(papers: readonly Paper[]): Paper[] {
  const seen = new Set<string>();
  return papers.filter((paper) => {
    if (seen.has(paper.id)) return false;
    seen.add(paper.id);
    return true;
  });
}

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

interface SubscriberValues {
  layout: LayoutValues;
  cards: { why: string; upUrl: string; downUrl: string }[];
}

/** The per-subscriber props of the reference render: signed links and labels. */
function subscriberValues(
  config: Config,
  recipient: DigestRecipient,
  ranked: readonly RankedPaper[],
): SubscriberValues {
  const { subscriber, deliveryId } = recipient;
  const { bases, tokens } = syncLinks(config);
  const signed = tokens(subscriber, deliveryId);
  return {
    layout: {
      preheader: preheaderFor(ranked),
      countLabel: countLabel(ranked.length),
      recipientEmail: subscriber.email,
      interestsLabel: interestsLabel(subscriber.interests),
      unsubscribeUrl: bases.unsubscribe + signed.unsubscribe,
      preferencesUrl: bases.preferences + signed.preferences,
      viewInBrowserUrl: bases.view + signed.view,
      feedUrl: bases.feed + signed.feed,
    },
    cards: ranked.map((item) => {
      const token = signed.feedback(item.paper.id);
      return {
        why: whyLabel(item.why),
        upUrl: bases.feedback + token + VOTE_QUERY.up,
        downUrl: bases.feedback + token + VOTE_QUERY.down,
      };
    }),
  };
}

function referenceProps(
  edition: EditionValues,
  values: SubscriberValues,
  ranked: readonly RankedPaper[],
): DigestEmailProps {
  return digestProps(
    edition,
    values.layout,
    ranked.map((item, position) => cardProps(item.paper, values.cards[position]!)),
  );
}

export async function assembleDigest(
  prepared: PreparedEdition,
  config: Config,
  recipient: DigestRecipient,
  ranked: RankedPaper[],
): Promise<DigestEmail> {
  const links = syncLinks(config);
  const cards: PreparedCard[] = [];
  for (const item of ranked) {
    const card = prepared.cards.get(item.paper.id);
    if (card) cards.push(card);
  }
  if (cards.length < ranked.length || !sameBases(links.bases, prepared.linkBases)) {
    // A paper outside the prepared edition, or links for another PUBLIC_URL than the
    // edition was prepared with: correct but slow, so say so in the logs.
    console.warn(JSON.stringify({ event: 'digest_fallback_render', deliveryId: recipient.deliveryId }));
    const values = subscriberValues(config, recipient, ranked);
    const full = await renderProps(referenceProps(prepared.edition, values, ranked));
    return { subject: subjectFor(ranked, prepared.editionDate), ...full };
  }
  const { subscriber, deliveryId } = recipient;
  const signed = links.tokens(subscriber, deliveryId);
  const top = cards[0];
  const subject = subjectLine(cards.length, top?.subjectTitle, prepared.editionDate);
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
  const layoutText = [
    preheader,
    count.text,
    email,
    interests.text,
    signed.unsubscribe,
    signed.preferences,
    signed.view,
    signed.feed,
  ];
  const layoutHtml = [
    escapeHtml(preheader),
    count.html,
    escapeHtml(email),
    interests.html,
    signed.unsubscribe,
    signed.preferences,
    signed.view,
    signed.feed,
  ];

  let html = fill(prepared.html.prefix, layoutHtml);
  let text =
    cards.length === 0
      ? fill(await prepared.text.empty(), layoutText)
      : fill(prepared.text.prefix, layoutText);
  // In CARD_SLOTS order; reused for every card.
  const cardText = ['', ''];
  const cardHtml = ['', ''];
  for (let position = 0; position < cards.length; position++) {
    const card = cards[position]!;
    const item = ranked[position]!;
    const why = whyPair(item.why);
    const token = signed.feedback(item.paper.id);
    cardText[0] = why.text;
    cardText[1] = token;
    cardHtml[0] = why.html;
    cardHtml[1] = token;
    html += fill(card.html, cardHtml);
    if (position > 0) text += prepared.text.between;
    text += fill(card.text, cardText);
  }
  html += fill(prepared.html.suffix, layoutHtml);
  if (cards.length > 0) text += fill(prepared.text.suffix, layoutText);
  return { subject, html, text };
}

function sameBases(a: SyncLinks['bases'], b: SyncLinks['bases']): boolean {
  return (
    a === b ||
    (a.unsubscribe === b.unsubscribe &&
      a.preferences === b.preferences &&
      a.feedback === b.feedback &&
      a.view === b.view &&
      a.feed === b.feed)
  );
}

async function renderProps(props: DigestEmailProps): Promise<{ html: string; text: string }> {
  const element = createElement(DigestEmailTemplate, props);
  const html = await render(element);
  return { html, text: toPlainText(html) };
}

/** Only the HTML of a full render: the view-in-browser page. */
export async function renderDigestHtml(
  config: Config,
  input: { editionDate: string; frequency?: Frequency },
  recipient: DigestRecipient,
  ranked: RankedPaper[],
): Promise<string> {
  const values = subscriberValues(config, recipient, ranked);
  const edition = editionValues(config, input.editionDate, input.frequency ?? 'daily');
  return render(createElement(DigestEmailTemplate, referenceProps(edition, values, ranked)));
}

/**
 * The same digest rendered from scratch with React (two renders' worth of work). The
 * reference the fast path must equal, and the naive baseline of the benchmark.
 */
export async function renderDigestReference(
  config: Config,
  input: { editionDate: string; frequency?: Frequency },
  recipient: DigestRecipient,
  ranked: RankedPaper[],
): Promise<DigestEmail> {
  const values = subscriberValues(config, recipient, ranked);
  const edition = editionValues(config, input.editionDate, input.frequency ?? 'daily');
  const element = createElement(DigestEmailTemplate, referenceProps(edition, values, ranked));
  const [html, text] = [await render(element), await render(element, { plainText: true })];
  return { subject: subjectFor(ranked, input.editionDate), html, text };
}
