/**
 * Digest rendering, the contract the delivery consumer and the view-in-browser page use.
 *
 * Rendering React per subscriber costs milliseconds and, in workerd, leaves a timer behind
 * per call (a request may hold at most 10,000). So `prepareEdition` renders with React
 * Email a few times per edition — every paper card and the layout, with unique
 * placeholders where per-subscriber values go — and compiles the output into static
 * segments; `assembleDigest` then only signs the subscriber's links and concatenates
 * strings. HTML values are escaped exactly as React escapes them and plain text comes
 * from the same html-to-text conversion React Email uses, so the result is byte-identical
 * to `renderDigestReference` (a full React render of the same props), which the tests
 * check for many random subscribers.
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
  countLabel,
  digestProps,
  type EditionValues,
  editionValues,
  interestsLabel,
  type LayoutValues,
  preheaderFor,
  subjectFor,
  whyLabel,
} from './format';
import { syncLinks } from './signer';

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

/** Static text with named holes: output = parts[0] + value(slots[0]) + parts[1] + … */
interface Template {
  parts: string[];
  slots: string[];
}

interface PreparedCard {
  html: Template;
  /** Plain text of the card, converted lazily (only cards someone receives). */
  text: Template | null;
  rawHtml: string;
}

/** Per-edition render cache: built once, shared by every subscriber of the edition. */
export interface PreparedEdition {
  editionDate: string;
  frequency: Frequency;
  edition: EditionValues;
  cards: Map<string, PreparedCard>;
  html: { prefix: Template; suffix: Template };
  text: { prefix: Template; between: string; suffix: Template; empty: Template };
  marker: string;
}

const LAYOUT_SLOTS = [
  'preheader',
  'countLabel',
  'recipientEmail',
  'interestsLabel',
  'unsubscribeUrl',
  'preferencesUrl',
  'viewInBrowserUrl',
  'feedUrl',
] as const satisfies readonly (keyof LayoutValues)[];

/** Exactly React DOM's escaping of text and attribute values. */
const NEEDS_ESCAPE = /["&'<>]/;

export function escapeHtml(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/["&'<>]/g, (char) => {
    switch (char) {
      case '"':
        return '&quot;';
      case '&':
        return '&amp;';
      case "'":
        return '&#x27;';
      case '<':
        return '&lt;';
      default:
        return '&gt;';
    }
  });
}

function randomMarker(papers: readonly Paper[]): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (;;) {
    let nonce = '';
    for (const byte of crypto.getRandomValues(new Uint8Array(10))) nonce += letters[byte % 26];
    const marker = `PDSLOT${nonce}`;
    const clash = papers.some((paper) => JSON.stringify(paper).includes(marker));
    if (!clash) return marker;
  }
}

const slot = (marker: string, name: string) => `${marker}${name}Z`;

function compile(source: string, marker: string): Template {
  const pattern = new RegExp(`${marker}([A-Za-z]+)Z`, 'g');
  const parts: string[] = [];
  const slots: string[] = [];
  let last = 0;
  for (const match of source.matchAll(pattern)) {
    parts.push(source.slice(last, match.index));
    slots.push(match[1]!);
    last = match.index + match[0].length;
  }
  parts.push(source.slice(last));
  return { parts, slots };
}

function fill(template: Template, values: Record<string, string>): string {
  let out = template.parts[0]!;
  for (let index = 0; index < template.slots.length; index++) {
    out += values[template.slots[index]!]! + template.parts[index + 1]!;
  }
  return out;
}

function escapedValues(values: Record<string, string>): Record<string, string> {
  const escaped: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) escaped[name] = escapeHtml(value);
  return escaped;
}

function placeholderLayout(marker: string): LayoutValues {
  return Object.fromEntries(
    LAYOUT_SLOTS.map((name) => [name, slot(marker, name)]),
  ) as unknown as LayoutValues;
}

function sentinelCard(marker: string, name: string): PaperCardProps {
  return {
    title: slot(marker, `sentinel${name}`),
    url: 'https://example.invalid/sentinel',
    authors: 'Sentinel',
    stats: '',
    summary: 'Sentinel',
    links: [{ label: 'arXiv', href: 'https://example.invalid/sentinel' }],
    why: slot(marker, 'why'),
    upUrl: slot(marker, 'upUrl'),
    downUrl: slot(marker, 'downUrl'),
  };
}

function requireSplit(found: number, what: string): number {
  if (found < 0)
    throw new Error(`digest template cannot be pre-rendered: ${what} not found in the layout render`);
  return found;
}

export async function prepareEdition(config: Config, input: PrepareEditionInput): Promise<PreparedEdition> {
  const frequency = input.frequency ?? 'daily';
  const edition = editionValues(config, input.editionDate, frequency);
  const papers = dedupe(input.papers);
  const marker = randomMarker(papers);
  const split = slot(marker, 'split');
  const perSubscriber = {
    why: slot(marker, 'why'),
    upUrl: slot(marker, 'upUrl'),
    downUrl: slot(marker, 'downUrl'),
  };
  const sentinels = [sentinelCard(marker, 'x'), sentinelCard(marker, 'y')];

  // One render for every card (siblings separated by a marker text node) ...
  const cardElements = [...papers.map((paper) => cardProps(paper, perSubscriber)), ...sentinels].flatMap(
    (props, position) => [createElement(PaperCard, { key: `card${position}`, ...props }), split],
  );
  // The render wraps a non-document root in a Suspense marker; the cards sit inside our <div>.
  const cardsHtml = await render(createElement('div', null, ...cardElements));
  const open = requireSplit(cardsHtml.indexOf('<div>'), 'the card list start');
  const close = requireSplit(cardsHtml.lastIndexOf('</div>'), 'the card list end');
  const pieces = cardsHtml.slice(open + '<div>'.length, close).split(split);
  if (pieces.length !== papers.length + sentinels.length + 1) {
    throw new Error('digest template cannot be pre-rendered: card split mismatch');
  }
  const [sentinelX, sentinelY] = [pieces[papers.length]!, pieces[papers.length + 1]!];

  // ... and one for the layout around two sentinel cards, to find where cards go.
  const layoutProps = digestProps(edition, placeholderLayout(marker), sentinels);
  const layoutHtml = await render(createElement(DigestEmailTemplate, layoutProps));
  const cardsAt = requireSplit(layoutHtml.indexOf(sentinelX + sentinelY), 'the card list');
  const htmlPrefix = layoutHtml.slice(0, cardsAt);
  const htmlSuffix = layoutHtml.slice(cardsAt + sentinelX.length + sentinelY.length);

  const layoutText = toPlainText(layoutHtml);
  // An empty digest (not normally sent) has its own block spacing: render it as such.
  const emptyHtml = await render(
    createElement(DigestEmailTemplate, digestProps(edition, placeholderLayout(marker), [])),
  );
  const textX = toPlainText(sentinelX);
  const textY = toPlainText(sentinelY);
  const xAt = requireSplit(layoutText.indexOf(textX), 'the first card text');
  const afterX = layoutText.slice(xAt + textX.length);
  const yAt = requireSplit(afterX.indexOf(textY), 'the second card text');

  // Card texts in one html-to-text pass (each call recompiles its options, which dominates
  // for small inputs); a marker paragraph between cards splits them apart again.
  const textSplit = slot(marker, 'textsplit');
  const cardTexts =
    papers.length > 0
      ? toPlainText(pieces.slice(0, papers.length).join(`<p>${textSplit}</p>`))
          .split(textSplit)
          .map((text) => text.replace(/^\n+|\n+$/g, ''))
      : [];
  const textsUsable = cardTexts.length === papers.length;
  const cards = new Map<string, PreparedCard>();
  papers.forEach((paper, position) => {
    const rawHtml = pieces[position]!;
    const text = textsUsable ? compile(cardTexts[position]!, marker) : null;
    cards.set(paper.id, { html: compile(rawHtml, marker), text, rawHtml });
  });
  return {
    editionDate: input.editionDate,
    frequency,
    edition,
    cards,
    html: { prefix: compile(htmlPrefix, marker), suffix: compile(htmlSuffix, marker) },
    text: {
      prefix: compile(layoutText.slice(0, xAt), marker),
      between: afterX.slice(0, yAt),
      suffix: compile(afterX.slice(yAt + textY.length), marker),
      empty: compile(toPlainText(emptyHtml), marker),
    },
    marker,
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

interface SubscriberValues {
  layout: LayoutValues;
  cards: { why: string; upUrl: string; downUrl: string }[];
}

/**
 * Signs every link of one subscriber's digest (synchronously: see signer.ts) and computes
 * their per-subscriber strings. 👍 and 👎 share one token per paper.
 */
async function subscriberValues(
  config: Config,
  recipient: DigestRecipient,
  ranked: readonly RankedPaper[],
): Promise<SubscriberValues> {
  const { subscriber, deliveryId } = recipient;
  const links = syncLinks(config);
  return {
    layout: {
      preheader: preheaderFor(ranked),
      countLabel: countLabel(ranked.length),
      recipientEmail: subscriber.email,
      interestsLabel: interestsLabel(subscriber.interests),
      unsubscribeUrl: links.unsubscribe(subscriber),
      preferencesUrl: links.preferences(subscriber),
      viewInBrowserUrl: links.view(subscriber, deliveryId),
      feedUrl: links.feed(subscriber),
    },
    cards: ranked.map((item) => {
      const upUrl = links.feedback(subscriber, item.paper.id, 'up');
      return { why: whyLabel(item.why), upUrl, downUrl: `${upUrl.slice(0, -'up'.length)}down` };
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
  const values = await subscriberValues(config, recipient, ranked);
  const subject = subjectFor(ranked, prepared.editionDate);
  if (ranked.some((item) => !prepared.cards.has(item.paper.id))) {
    // A paper outside the prepared edition: correct but slow, so say so in the logs.
    console.warn(JSON.stringify({ event: 'digest_fallback_render', deliveryId: recipient.deliveryId }));
    const full = await renderProps(referenceProps(prepared.edition, values, ranked));
    return { subject, ...full };
  }
  const layout = normalisedLayout(values.layout);
  const layoutHtml = escapedValues(layout);

  let html = fill(prepared.html.prefix, layoutHtml);
  let text: string;
  if (ranked.length === 0) {
    text = fill(prepared.text.empty, layout);
  } else {
    text = fill(prepared.text.prefix, layout);
    ranked.forEach((item, position) => {
      const card = prepared.cards.get(item.paper.id)!;
      const cardValues = values.cards[position]!;
      const cardValuesText = { why: cardValues.why, upUrl: cardValues.upUrl, downUrl: cardValues.downUrl };
      html += fill(card.html, escapedValues(cardValuesText));
      card.text ??= compile(toPlainText(card.rawHtml), prepared.marker);
      if (position > 0) text += prepared.text.between;
      text += fill(card.text, cardValuesText);
    });
  }
  html += fill(prepared.html.suffix, layoutHtml);
  if (ranked.length > 0) text += fill(prepared.text.suffix, layout);
  return { subject, html, text };
}

/** Mirrors digestProps' normalisation so filled values equal what the template received. */
function normalisedLayout(layout: LayoutValues): Record<string, string> {
  const props = digestProps({ editionLabel: '', senderName: '', postalAddress: '', siteUrl: '' }, layout, []);
  return Object.fromEntries(LAYOUT_SLOTS.map((name) => [name, props[name]]));
}

async function renderProps(props: DigestEmailProps): Promise<{ html: string; text: string }> {
  const element = createElement(DigestEmailTemplate, props);
  const html = await render(element);
  return { html, text: toPlainText(html) };
}

/**
 * The same digest rendered from scratch with React (two renders' worth of work). The
 * reference the fast path must equal, the naive baseline of the benchmark, and the
 * renderer for one-off pages such as view-in-browser.
 */
/** Only the HTML of a full render: the view-in-browser page. */
export async function renderDigestHtml(
  config: Config,
  input: { editionDate: string; frequency?: Frequency },
  recipient: DigestRecipient,
  ranked: RankedPaper[],
): Promise<string> {
  const values = await subscriberValues(config, recipient, ranked);
  const edition = editionValues(config, input.editionDate, input.frequency ?? 'daily');
  return render(createElement(DigestEmailTemplate, referenceProps(edition, values, ranked)));
}

export async function renderDigestReference(
  config: Config,
  input: { editionDate: string; frequency?: Frequency },
  recipient: DigestRecipient,
  ranked: RankedPaper[],
): Promise<DigestEmail> {
  const values = await subscriberValues(config, recipient, ranked);
  const edition = editionValues(config, input.editionDate, input.frequency ?? 'daily');
  const element = createElement(DigestEmailTemplate, referenceProps(edition, values, ranked));
  const [html, text] = [await render(element), await render(element, { plainText: true })];
  return { subject: subjectFor(ranked, input.editionDate), html, text };
}
