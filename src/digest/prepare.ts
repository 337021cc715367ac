/**
 * Per-edition preparation of the digest fast path: a few React Email renders per edition,
 * compiled into templates (see template.ts) that `assembleDigest` fills per subscriber.
 *
 * Cards are rendered by *shape*, not one by one: a card's markup depends on its paper only
 * through a handful of strings (title, URL, authors, stats, summary, link hrefs, the paper
 * parameter of its 👍/👎 links) and on which optional parts it has. Each shape is rendered
 * once with placeholders, HTML and text, and every paper of that shape fills the holes with
 * its own strings (escaped for HTML, as is for text). Two safety nets keep this exact:
 * strings whose rendering is not a plain escape (non-http hrefs, which React may rewrite
 * and html-to-text may hide; a title equal to its URL, whose href html-to-text hides) send
 * their card through React; and per shape one real card is rendered with React and must
 * match its filled template, or the whole shape is rendered with React instead.
 * `stats` says how many cards needed React, so tests can insist on zero.
 */
import { render, toPlainText } from '@react-email/render';
import { createElement } from 'react';
import { PaperCard, type PaperCardProps } from '../../emails/_components/paper-card';
import { DigestEmail as DigestEmailTemplate } from '../../emails/digest-email';
import type { Frequency, Paper } from '../domain';
import type { Config } from '../env';
import { feedbackQuery, type LinkBases, linkBases } from '../links';
import {
  cardProps,
  digestProps,
  type EditionValues,
  editionValues,
  type LayoutValues,
  PREHEADER_TITLE_CHARS,
  SUBJECT_TITLE_CHARS,
  truncate,
} from './format';
import { escapeHtml } from './html';
import { bind, compile, fill, randomMarker, slot, type Template } from './template';

export interface PrepareEditionInput {
  /** YYYY-MM-DD of the edition (the planner's date). */
  editionDate: string;
  /** The edition's candidate papers: every paper a subscriber of this edition may get. */
  papers: Paper[];
  frequency?: Frequency;
}

export interface PreparedCard {
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
  linkBases: LinkBases;
  text: {
    prefix: Template;
    between: string;
    suffix: Template;
    /** An empty digest (rarely sent) has its own block spacing: rendered on first use. */
    empty: () => Promise<Template>;
  };
  /** How the edition was prepared: React renders used, card shapes, cards React rendered alone. */
  stats: { reactRenders: number; shapes: number; cardsViaReact: number };
}

/**
 * The layout's per-subscriber holes; the order is the order of the values arrays. Links
 * are rendered as their real base URL followed by a token hole: tokens are base64url, '-'
 * and '.', the same in text and in HTML, so the assembler drops them in as they are.
 */
export const LAYOUT_SLOTS = [
  'preheader',
  'countLabel',
  'recipientEmail',
  'interestsLabel',
  'unsubscribeToken',
  'preferencesToken',
  'digestToken',
  'feedToken',
] as const;

/** A card's per-subscriber holes: the why line and the digest token of its 👍/👎 links. */
export const CARD_SLOTS = ['why', 'token'] as const;

function placeholderLayout(marker: string, bases: LinkBases): LayoutValues {
  return {
    preheader: slot(marker, 'preheader'),
    countLabel: slot(marker, 'countLabel'),
    recipientEmail: slot(marker, 'recipientEmail'),
    interestsLabel: slot(marker, 'interestsLabel'),
    unsubscribeUrl: bases.unsubscribe + slot(marker, 'unsubscribeToken'),
    preferencesUrl: bases.preferences + slot(marker, 'preferencesToken'),
    viewInBrowserUrl: bases.view + slot(marker, 'digestToken'),
    feedUrl: bases.feed + slot(marker, 'feedToken'),
  };
}

/** A card's per-subscriber props with holes; `paper` is the (URL-encoded) paper parameter. */
function cardHoles(marker: string, bases: LinkBases, paper: string) {
  const token = bases.feedback + slot(marker, 'token');
  return {
    why: slot(marker, 'why'),
    upUrl: token + feedbackQuery(paper, 'up'),
    downUrl: token + feedbackQuery(paper, 'down'),
  };
}

function sentinelCard(marker: string, name: string, bases: LinkBases): PaperCardProps {
  return {
    title: slot(marker, `sentinel${name}`),
    url: 'https://example.invalid/sentinel',
    authors: 'Sentinel',
    stats: '',
    summary: 'Sentinel',
    links: [{ label: 'arXiv', href: 'https://example.invalid/sentinel' }],
    ...cardHoles(marker, bases, 'sentinel'),
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
function shapeProps(props: PaperCardProps, marker: string, bases: LinkBases): PaperCardProps {
  return {
    ...props,
    ...cardHoles(marker, bases, slot(marker, 'paper')),
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
function paperValues(
  props: PaperCardProps,
  paperId: string,
  encode: (value: string) => string,
): Record<string, string> {
  const values: Record<string, string> = {
    title: encode(props.title),
    url: encode(props.url),
    authors: encode(props.authors),
    stats: encode(props.stats),
    summary: encode(props.summary),
    paper: encode(encodeURIComponent(paperId)),
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
  const bases = linkBases(config);
  const papers = dedupe(input.papers);
  const stats = { reactRenders: 0, shapes: 0, cardsViaReact: 0 };
  // Placeholders for the per-subscriber strings; filled in by assembleDigest.
  const subscriberOnly = { why: '', upUrl: '', downUrl: '' };
  const props = papers.map((paper) => cardProps(paper, subscriberOnly));
  const marker = randomMarker([
    ...Object.values(edition),
    ...Object.values(bases),
    ...papers.map((paper) => paper.id),
    ...props.flatMap((card) => [
      card.title,
      card.url,
      card.authors,
      card.stats,
      card.summary,
      ...card.links.map((link) => link.href),
    ]),
  ]);
  const withHoles = props.map((card, position) => ({
    ...card,
    ...cardHoles(marker, bases, encodeURIComponent(papers[position]!.id)),
  }));

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
  stats.shapes = shapeList.length;
  const sentinels = [sentinelCard(marker, 'x', bases), sentinelCard(marker, 'y', bases)];
  const firstBatch = await renderCards(
    [
      ...shapeList.map((members) => shapeProps(withHoles[members[0]!]!, marker, bases)),
      ...shapeList.map((members) => withHoles[members[0]!]!),
      ...sentinels,
    ],
    marker,
  );
  stats.reactRenders++;

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
    const canaryId = papers[members[0]!]!.id;
    const exact =
      fill(bind(html, paperValues(canaryProps, canaryId, escapeHtml), CARD_SLOTS), holes) === canary.html &&
      fill(bind(text, paperValues(canaryProps, canaryId, same), CARD_SLOTS), holes) === canary.text;
    if (!exact) {
      console.warn(JSON.stringify({ event: 'digest_shape_mismatch', shape: shapeOf(canaryProps) }));
      viaReact.push(...members);
      return;
    }
    for (const position of members) {
      const card = withHoles[position]!;
      const id = papers[position]!.id;
      addCard(
        position,
        bind(html, paperValues(card, id, escapeHtml), CARD_SLOTS),
        bind(text, paperValues(card, id, same), CARD_SLOTS),
      );
    }
  });
  // Cards the shape templates cannot reproduce: rendered one by one with React (rare).
  stats.cardsViaReact = viaReact.length;
  if (viaReact.length > 0) stats.reactRenders++;
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
  stats.reactRenders++;
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
    ).then((html) => {
      stats.reactRenders++;
      return layout(toPlainText(html));
    });
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
    stats,
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
