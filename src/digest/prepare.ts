/**
 * Per-edition preparation of the digest fast path: a few React Email renders per edition,
 * compiled into templates (see template.ts) that `assembleDigest` fills per subscriber.
 *
 * Cards are rendered by *shape*, not one by one: a card's markup depends on its paper only
 * through a handful of strings (title, URL, authors, stats, summary, link hrefs, the paper
 * parameter of its 👍/👎 links) and on which optional parts it has. Each shape is rendered
 * once with placeholders, HTML and text, and a paper of that shape fills the holes with its
 * own strings (escaped for HTML, as is for text) when a digest first needs its card (see
 * PreparedCards). Two safety nets keep this exact:
 * strings whose rendering is not a plain escape (non-http hrefs, which React may rewrite
 * and html-to-text may hide; a title equal to its URL, whose href html-to-text hides) send
 * their card through React; and per shape one real card is rendered with React and must
 * match its filled template, or the whole shape is rendered with React instead.
 * `stats` says how many cards needed React, so tests can insist on zero.
 */
import { LRUCache } from 'lru-cache';
import { createElement } from 'react';
import type { PaperCardProps } from '../../emails/_components/paper-card';
import { DigestEmail as DigestEmailTemplate } from '../../emails/digest-email';
import type { Frequency, Paper } from '../domain';
import type { Config } from '../env';
import { emailText, renderEmailHtml } from '../lib/email-html';
import { readableTex } from '../lib/tex';
import { type LinkBases, linkBases } from '../links';
import {
  cardHoles,
  fillsExactly,
  paperValues,
  renderCards,
  requireSplit,
  same,
  sentinelCard,
  shapeOf,
  shapeProps,
} from './cards';
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
import { escapeHtml, escapeProse } from './html';
import {
  bind,
  compile,
  fill,
  type JsonTemplate,
  jsonTemplate,
  type NamedTemplate,
  randomMarker,
  slot,
  type Template,
} from './template';
import {
  type HoleKind,
  LayoutLine,
  lineSlots,
  requireLineEnds,
  wrapCardText,
  wrapLayoutText,
} from './text-lines';

export interface PrepareEditionInput {
  /** YYYY-MM-DD of the edition (the planner's date). */
  editionDate: string;
  /** The edition's candidate papers: every paper a subscriber of this edition may get. */
  papers: Paper[];
  frequency?: Frequency;
  /** Bytes of filled cards kept at once (tests set it small); see PreparedCards. */
  cardBytes?: number;
}

export interface PreparedCard {
  /** Holes: CARD_SLOTS; kept as the JSON bytes they are sent as. */
  html: JsonTemplate;
  /** Holes: CARD_SLOTS, the why hole a whole line (text-lines.ts); wrapped per token length. */
  text: CardText;
  /** The paper title cut for the subject line and for the preheader. */
  subjectTitle: string;
  preheaderTitle: string;
}

/**
 * The cards of an edition's papers, by paper id. A card is filled from its shape's
 * template on first use and kept, least recently used first out, within a byte budget:
 * filled ahead of time, every candidate's card (a few hundred thousand string pieces at
 * 10,000 candidates, ~4 KB a card before its JSON bytes) took more memory than the
 * ranking index, for the few thousand papers any subscriber is actually sent.
 */
export interface PreparedCards {
  /** With `tokenChars`, the card's text wrapped for digest tokens that long is made too. */
  get(id: string, tokenChars?: number): PreparedCard | undefined;
  /** Papers that have a card. */
  readonly size: number;
  /** Cards filled now (for tests and the benchmark). */
  readonly filled: number;
  /** Bytes of filled cards kept at once. */
  readonly budget: number;
}

/**
 * Filled cards kept per edition: ~3,500 typical cards (~4.5 KB each: ~2,700 characters of
 * HTML and text as JSON bytes, and the views on them), every card of an edition of 3,000.
 */
export const DEFAULT_CARD_BYTES = 16 * 1024 * 1024;

/** A layout's text lines with per-subscriber words in them, over LAYOUT_SLOTS. */
export interface TextLayout {
  lines: LayoutLine[];
}

/**
 * A card's text part, wrapped for each length of digest token its 👍/👎 line is sent with
 * (text-lines.ts): one length in practice (a delivery's id, in the token, has a fixed
 * form), a few when subscribers' token versions differ in digits. Made on first use from
 * the unwrapped text, which is then dropped: `remake` makes it again for another length.
 */
export class CardText {
  private made: { chars: number; json: JsonTemplate }[] = [];
  // The length asked for last, read per card per email (one in practice): in fields of
  // its own, not behind the list, whose entries are two more reads across a large heap.
  private lastChars = -1;
  private last: JsonTemplate | undefined;
  constructor(
    private source: Template | undefined,
    private readonly remake: () => Template,
    private readonly marker: string,
  ) {}

  has(tokenChars: number): boolean {
    if (tokenChars === this.lastChars) return true;
    for (const entry of this.made) if (entry.chars === tokenChars) return true;
    return false;
  }

  wrapped(tokenChars: number): JsonTemplate {
    if (tokenChars === this.lastChars) return this.last!;
    let json = this.made.find((entry) => entry.chars === tokenChars)?.json;
    if (json === undefined) {
      const source = this.source ?? this.remake();
      this.source = undefined;
      const holes = CARD_SLOTS.map((name) => slot(this.marker, name));
      const text = wrapCardText(fill(source, holes), this.marker, tokenChars);
      json = jsonTemplate(bind(compile(text, this.marker), {}, CARD_SLOTS));
      if (this.made.length >= 4) this.made.shift();
      this.made.push({ chars: tokenChars, json });
    }
    this.lastChars = tokenChars;
    this.last = json;
    return json;
  }

  /** Bytes, as cardSize counts them (a string not yet wrapped: two a character). */
  get bytes(): number {
    let bytes = 0;
    for (const { json } of this.made) for (const part of json.parts) bytes += part.byteLength + 96;
    if (this.source) for (const part of this.source.parts) bytes += 2 * part.length + 32;
    return bytes;
  }
}

/** Per-edition render cache: built once, shared by every subscriber of the edition. */
export interface PreparedEdition {
  editionDate: string;
  frequency: Frequency;
  edition: EditionValues;
  cards: PreparedCards;
  /** Holes: LAYOUT_SLOTS. */
  html: { prefix: JsonTemplate; suffix: JsonTemplate };
  /** The link bases the templates were rendered with (links are base + token). */
  linkBases: LinkBases;
  /**
   * Wrapped at 78 characters (text-lines.ts): the holes of prefix and suffix are the lines
   * with per-subscriber words in them, `lines` (holes: LAYOUT_SLOTS), wrapped per email.
   */
  text: TextLayout & {
    prefix: JsonTemplate;
    between: string;
    suffix: JsonTemplate;
    /** An empty digest (rarely sent) has its own block spacing: rendered on first use. */
    empty: () => Promise<TextLayout & { text: JsonTemplate }>;
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

/**
 * How each layout hole moves the breaks of its line in the text part (text-lines.ts): the
 * tokens and the address by their length, the count by what it says (a few values), the
 * preheader (not in the text) and the interests anyhow.
 */
const LAYOUT_KINDS: readonly HoleKind[] = LAYOUT_SLOTS.map((name) =>
  name === 'countLabel' ? 'label' : name === 'preheader' || name === 'interestsLabel' ? 'prose' : 'word',
);

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

export async function prepareEdition(config: Config, input: PrepareEditionInput): Promise<PreparedEdition> {
  const frequency = input.frequency ?? 'daily';
  const edition = editionValues(config, input.editionDate, frequency);
  const bases = linkBases(config);
  const stats = { reactRenders: 0, shapes: 0, cardsViaReact: 0 };
  const { marker, cards, sentinels, sentinelRenders } = await prepareCards(
    dedupe(input.papers),
    edition,
    bases,
    stats,
    input.cardBytes ?? DEFAULT_CARD_BYTES,
  );

  // The layout around two sentinel cards shows where cards go, in HTML and in text.
  const [sentinelX, sentinelY] = sentinelRenders;
  const layoutHtml = await renderEmailHtml(
    createElement(DigestEmailTemplate, digestProps(edition, placeholderLayout(marker, bases), sentinels)),
  );
  stats.reactRenders++;
  const cardsAt = requireSplit(layoutHtml.indexOf(sentinelX.html + sentinelY.html), 'the card list');
  const htmlPrefix = layoutHtml.slice(0, cardsAt);
  const htmlSuffix = layoutHtml.slice(cardsAt + sentinelX.html.length + sentinelY.html.length);

  const layoutText = emailText(layoutHtml);
  const xAt = requireSplit(layoutText.indexOf(sentinelX.text), 'the first card text');
  const afterX = layoutText.slice(xAt + sentinelX.text.length);
  const yAt = requireSplit(afterX.indexOf(sentinelY.text), 'the second card text');
  const layout = (source: string) => jsonTemplate(bind(compile(source, marker), {}, LAYOUT_SLOTS));
  const textPrefix = layoutText.slice(0, xAt);
  const between = afterX.slice(0, yAt);
  const textSuffix = afterX.slice(yAt + sentinelY.text.length);
  requireLineEnds(textPrefix, between, 'a card');
  requireLineEnds(between, textSuffix, 'the text after the cards');
  const lines: string[] = [];
  const wrappedPrefix = wrapLayoutText(textPrefix, marker, lines);
  const wrappedSuffix = wrapLayoutText(textSuffix, marker, lines);
  const textLayout = (wrapped: string, holes: string[]) =>
    jsonTemplate(bind(compile(wrapped, marker), {}, lineSlots(holes)));
  const lineTemplates = (holes: string[]) =>
    holes.map((line) => new LayoutLine(line, marker, LAYOUT_SLOTS, LAYOUT_KINDS));
  let emptyText: Promise<TextLayout & { text: JsonTemplate }> | undefined;
  const empty = () => {
    emptyText ??= renderEmailHtml(
      createElement(DigestEmailTemplate, digestProps(edition, placeholderLayout(marker, bases), [])),
    ).then((html) => {
      stats.reactRenders++;
      const holes: string[] = [];
      const wrapped = wrapLayoutText(emailText(html), marker, holes);
      return { text: textLayout(wrapped, holes), lines: lineTemplates(holes) };
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
      prefix: textLayout(wrappedPrefix, lines),
      between: wrapLayoutText(between, marker, []),
      suffix: textLayout(wrappedSuffix, lines),
      lines: lineTemplates(lines),
      empty,
    },
    stats,
  };
}

/** Placeholders for the per-subscriber strings of a card; filled in by assembleDigest. */
const SUBSCRIBER_ONLY = { why: '', upUrl: '', downUrl: '' };

/**
 * The card shapes of an edition, each rendered once with React and checked on a canary,
 * and the cards they cannot reproduce rendered alone. Its own function so that the
 * per-paper props it makes on the way are garbage when it returns (closures made in one
 * scope keep all of that scope's captured variables alive).
 */
async function prepareCards(
  papers: Paper[],
  edition: EditionValues,
  bases: LinkBases,
  stats: PreparedEdition['stats'],
  cardBytes: number,
) {
  const props = papers.map((paper) => cardProps(paper, SUBSCRIBER_ONLY));
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
  const withHoles = props.map((card, position) =>
    withSubscriberHoles(papers[position]!, card, marker, bases),
  );

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

  const holes = CARD_SLOTS.map((name) => slot(marker, name));
  // Per paper, the shape whose template fills its card (-1: rendered by React below).
  const shapeAt = new Int32Array(papers.length).fill(-1);
  const shapeTemplates: ShapeTemplate[] = [];
  shapeList.forEach((members, shape) => {
    const html = compile(firstBatch[shape]!.html, marker);
    const text = compile(firstBatch[shape]!.text, marker);
    const canary = firstBatch[shapeList.length + shape]!;
    const canaryProps = withHoles[members[0]!]!;
    const filled = bindShape({ html, text }, canaryProps, papers[members[0]!]!.id);
    const exact = fill(filled.html, holes) === canary.html && fill(filled.text, holes) === canary.text;
    if (!exact) {
      console.warn(JSON.stringify({ event: 'digest_shape_mismatch', shape: shapeOf(canaryProps) }));
      viaReact.push(...members);
      return;
    }
    for (const position of members) shapeAt[position] = shapeTemplates.length;
    shapeTemplates.push({ html, text });
  });
  // Cards the shape templates cannot reproduce: rendered one by one with React (rare) and
  // kept for the edition.
  stats.cardsViaReact = viaReact.length;
  if (viaReact.length > 0) stats.reactRenders++;
  const rendered = await renderCards(
    viaReact.map((position) => withHoles[position]!),
    marker,
  );
  const rendersOnly = new Map<string, PreparedCard>();
  viaReact.forEach((position, index) => {
    const { html, text } = rendered[index]!;
    const source = bind(compile(text, marker), {}, CARD_SLOTS);
    rendersOnly.set(
      papers[position]!.id,
      preparedCard(
        papers[position]!.title,
        bind(compile(html, marker), {}, CARD_SLOTS),
        new CardText(source, () => source, marker),
      ),
    );
  });
  const cards = cardShelf(
    new Map(papers.map((paper, position) => [paper.id, position])),
    shapeAt,
    rendersOnly,
    cardFiller(papers, marker, bases, shapeAt, shapeTemplates),
    cardBytes,
  );
  const sentinelRenders = firstBatch.slice(-2) as [
    { html: string; text: string },
    { html: string; text: string },
  ];
  return { marker, cards, sentinels, sentinelRenders };
}

interface ShapeTemplate {
  html: NamedTemplate;
  text: NamedTemplate;
}

function preparedCard(title: string, html: Template, text: CardText): PreparedCard {
  const readable = readableTex(title);
  return {
    html: jsonTemplate(html),
    text,
    subjectTitle: truncate(readable, SUBJECT_TITLE_CHARS),
    preheaderTitle: truncate(readable, PREHEADER_TITLE_CHARS),
  };
}

/** Fills the card of the paper at `position` from its shape: its props are made again, not kept. */
function cardFiller(
  papers: Paper[],
  marker: string,
  bases: LinkBases,
  shapeAt: Int32Array,
  shapeTemplates: ShapeTemplate[],
): (position: number) => PreparedCard {
  const bound = (position: number) => {
    const paper = papers[position]!;
    const card = withSubscriberHoles(paper, cardProps(paper, SUBSCRIBER_ONLY), marker, bases);
    return bindShape(shapeTemplates[shapeAt[position]!]!, card, paper.id);
  };
  return (position) => {
    const { html, text } = bound(position);
    const remake = () => bound(position).text;
    return preparedCard(papers[position]!.title, html, new CardText(text, remake, marker));
  };
}

/** A card's props with placeholders for what each subscriber's copy fills in (why, 👍/👎 links). */
function withSubscriberHoles(
  paper: Paper,
  props: PaperCardProps,
  marker: string,
  bases: LinkBases,
): PaperCardProps {
  return { ...props, ...cardHoles(marker, bases, encodeURIComponent(paper.id)) };
}

/** A shape's templates filled with one paper's strings (escaped for HTML), the per-subscriber holes kept. */
function bindShape(
  shape: ShapeTemplate,
  card: PaperCardProps,
  paperId: string,
): { html: Template; text: Template } {
  return {
    html: bind(shape.html, paperValues(card, paperId, escapeHtml, escapeProse), CARD_SLOTS),
    text: bind(shape.text, paperValues(card, paperId, same), CARD_SLOTS),
  };
}

/** A card's bytes: its JSON bytes, and about as much again per part for the views on them. */
function cardSize(card: PreparedCard): number {
  let bytes = 256 + card.text.bytes;
  for (const part of card.html.parts) bytes += part.byteLength + 96;
  return bytes;
}

function cardShelf(
  positionOf: Map<string, number>,
  shapeAt: Int32Array,
  rendersOnly: Map<string, PreparedCard>,
  fillCard: (position: number) => PreparedCard,
  budget: number,
): PreparedCards {
  const filled = new LRUCache<string, PreparedCard>({ maxSize: budget, sizeCalculation: cardSize });
  return {
    get(id, tokenChars) {
      const position = positionOf.get(id);
      if (position === undefined) return undefined;
      if (shapeAt[position]! < 0) {
        const card = rendersOnly.get(id);
        if (card && tokenChars !== undefined) card.text.wrapped(tokenChars);
        return card;
      }
      let card = filled.get(id);
      if (card === undefined) {
        card = fillCard(position);
        if (tokenChars !== undefined) card.text.wrapped(tokenChars);
        // A card past the whole budget is simply not kept.
        if (cardSize(card) <= budget) filled.set(id, card);
      } else if (tokenChars !== undefined && !card.text.has(tokenChars)) {
        card.text.wrapped(tokenChars);
        // Counted again, with its new text (setting the same value again would not).
        filled.delete(id);
        if (cardSize(card) <= budget) filled.set(id, card);
      }
      return card;
    },
    size: positionOf.size,
    budget,
    get filled() {
      return filled.size + rendersOnly.size;
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
