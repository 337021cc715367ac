/**
 * The card side of the digest's per-edition preparation: how a card's markup depends on
 * its paper (its *shape*: which optional parts it has, and a handful of strings), the
 * placeholder props a shape is rendered with, the strings that fill it (escaped for HTML,
 * as is for text), which cards must be rendered by React instead (hrefs React or
 * html-to-text would rewrite or hide), and one React render for many cards at once.
 */
import { render } from '@react-email/render';
import { createElement } from 'react';
import { PaperCard, type PaperCardProps } from '../../emails/_components/paper-card';
import { breakLines, emailText } from '../lib/email-html';
import { feedbackQuery, type LinkBases } from '../links';
import { slot } from './template';

/** A card's per-subscriber props with holes; `paper` is the (URL-encoded) paper parameter. */
export function cardHoles(marker: string, bases: LinkBases, paper: string) {
  const token = bases.feedback + slot(marker, 'token');
  return {
    why: slot(marker, 'why'),
    upUrl: token + feedbackQuery(paper, 'up'),
    downUrl: token + feedbackQuery(paper, 'down'),
  };
}

export function sentinelCard(marker: string, name: string, bases: LinkBases): PaperCardProps {
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

export function requireSplit(found: number, what: string): number {
  if (found < 0)
    throw new Error(`digest template cannot be pre-rendered: ${what} not found in the layout render`);
  return found;
}

/** The optional parts a card has; cards of one shape differ only in their strings. */
export function shapeOf(props: PaperCardProps): string {
  const parts = `${props.authors ? 'a' : '-'}${props.stats ? 's' : '-'}${props.summary ? 'm' : '-'}`;
  return `${parts}:${props.links.map((link) => link.label).join('|')}`;
}

/** The card with its paper strings replaced by placeholders named as in `paperValues`. */
export function shapeProps(props: PaperCardProps, marker: string, bases: LinkBases): PaperCardProps {
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

/**
 * The paper strings of a card by placeholder name, as text or HTML-escaped; `prose`
 * encodes the free text the card folds into lines (title, authors, summary: foldText).
 */
export function paperValues(
  props: PaperCardProps,
  paperId: string,
  encode: (value: string) => string,
  prose: (value: string) => string = encode,
): Record<string, string> {
  const values: Record<string, string> = {
    title: prose(props.title),
    url: encode(props.url),
    authors: prose(props.authors),
    stats: encode(props.stats),
    summary: prose(props.summary),
    paper: encode(encodeURIComponent(paperId)),
  };
  props.links.forEach((link, position) => {
    values[`href${position}`] = encode(link.href);
  });
  return values;
}

export const same = (value: string) => value;

/** http(s) URLs without whitespace or control characters: React and html-to-text keep them as they are. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const PLAIN_URL = /^https?:\/\/[^\s\u0000-\u001f\u007f-\u009f]+$/i;

/** Whether filling a shape template gives exactly what React + html-to-text would. */
export function fillsExactly(props: PaperCardProps): boolean {
  if (!PLAIN_URL.test(props.url) || !props.links.every((link) => PLAIN_URL.test(link.href))) return false;
  // html-to-text drops a link's href when it equals the link's words run together.
  return props.title.replaceAll(' ', '') !== props.url;
}

/**
 * Renders cards with React in ONE render (one timer) and converts them to text in ONE
 * html-to-text pass (each call recompiles its options, which dominates for small inputs).
 * Returns each card's HTML and text.
 */
export async function renderCards(
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
  // Line breaks as renderEmailHtml makes them in the whole digest.
  const rendered = breakLines(await render(createElement('div', null, ...elements)));
  const open = requireSplit(rendered.indexOf('<div>'), 'the card list start');
  const close = requireSplit(rendered.lastIndexOf('</div>'), 'the card list end');
  const pieces = rendered.slice(open + '<div>'.length, close).split(split);
  if (pieces.length !== cards.length + 1) {
    throw new Error('digest template cannot be pre-rendered: card split mismatch');
  }
  const textSplit = slot(marker, 'textsplit');
  let texts = emailText(pieces.slice(0, cards.length).join(`<p>${textSplit}</p>`))
    .split(textSplit)
    .map((text) => text.replace(/^\n+|\n+$/g, ''));
  if (texts.length !== cards.length) {
    // Cannot happen with a fresh marker; stay correct (and slow) if it does.
    texts = pieces.slice(0, cards.length).map((piece) => emailText(piece));
  }
  return cards.map((_, position) => ({ html: pieces[position]!, text: texts[position]! }));
}
