/**
 * Everything the digest says in words, computed outside React so the per-edition render
 * and the per-subscriber assembly use exactly the same strings: labels, subject, card
 * fields and the props of the DigestEmail template. Free text (titles, interests, why
 * lines) is whitespace-normalised here, once, because HTML and plain-text rendering both
 * collapse whitespace and the fast path must reproduce them byte for byte.
 */

import type { PaperCardProps } from '../../emails/_components/paper-card';
import type { DigestEmailProps } from '../../emails/digest-email';
import type { Frequency, Paper } from '../domain';
import type { Config } from '../env';
import { readableTex } from '../lib/tex';
import { pickedForInterests, type RankedPaper } from '../ranking';
import { splitInterests } from '../subscriptions/interests';
import { escapeHtml } from './html';

export const MAX_AUTHORS_SHOWN = 3;
export const SUMMARY_MAX_CHARS = 320;
/**
 * A card's title, at most: longer than any arXiv title, and short enough for one line of
 * the HTML when it cannot be folded (foldText needs a space; Chinese and Japanese have
 * none): 300 characters are at most 900 bytes, under SMTP's 998.
 */
export const TITLE_MAX_CHARS = 300;

/**
 * Unicode's bidi controls that have a scope (embeddings, overrides, isolates): they turn
 * around what follows them to the end of the line. A title, summary or author name from
 * upstream with an override (U+202E) showed "gpj.exe" as "exe.jpg", and in the text part,
 * where a title and its URL share a line, the URL backwards. Text in Arabic or Hebrew
 * needs none of them (its letters carry their direction; the cards set dir="auto").
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

/** What clean() would change: whitespace other than single inner spaces, zero-width spaces, bidi controls. */
const UNCLEAN = /[^\S ]|[\u200b\u202a-\u202e\u2066-\u2069]| {2}|^ | $/;

/**
 * Collapses every whitespace run (including zero-width spaces) to one space, drops bidi
 * controls and trims.
 */
export function clean(text: string | null | undefined): string {
  const value = text ?? '';
  // Most strings are clean already (and get cleaned again per email): a test allocates nothing.
  return UNCLEAN.test(value)
    ? value
        .replace(BIDI_CONTROLS, '')
        .replace(/[\s\u200b]+/g, ' ')
        .trim()
    : value;
}

export function truncate(text: string, max: number): string {
  // Only the start of the cleaned text can show. Cleaning a whole abstract costs more than
  // the rest of a card, so clean a prefix first: clean(prefix) is a prefix of clean(text),
  // so when it is already longer than `max` the result below is the same.
  const head = text.length > 2 * max ? clean(text.slice(0, 2 * max)) : '';
  const value = head.length > max ? head : clean(text);
  if (value.length <= max) return value;
  // Never between the two halves of a surrogate pair (an emoji, a math letter): half of one
  // is not text, and shows as "�".
  const end = isHighSurrogate(value.charCodeAt(max - 2)) ? max - 2 : max - 1;
  const cut = value.slice(0, end);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, '')}…`;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

export function editionLabel(editionDate: string, frequency: Frequency = 'daily'): string {
  const date = new Date(`${editionDate}T12:00:00Z`);
  if (Number.isNaN(date.getTime())) return clean(editionDate);
  const long = new Intl.DateTimeFormat('en-GB', {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(date);
  return frequency === 'weekly' ? `Week of ${long}` : long;
}

export function shortDate(editionDate: string): string {
  const date = new Date(`${editionDate}T12:00:00Z`);
  if (Number.isNaN(date.getTime())) return clean(editionDate);
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(date);
}

/** Why a digest holds its papers: picked for the interests, or trending because nothing matched. */
export type DigestBasis = 'relevant' | 'trending';

/**
 * The intro's count: "picked for you" only for papers picked for the interests. Trending
 * places that no match filled (a subscriber with few matches this time, or with no
 * interests at all) are counted as trending, so the intro never claims more than the
 * "Why" lines show.
 */
export function countLabel(
  ranked: readonly Pick<RankedPaper, 'why'>[],
  basis: DigestBasis = 'relevant',
): string {
  const count = ranked.length;
  if (basis === 'trending')
    return `Nothing matched your interests this time: ${papers(count)} trending instead`;
  let picked = 0;
  for (const { why } of ranked) if (pickedForInterests(why)) picked++;
  if (picked === count) return `${papers(count)} picked for you`;
  if (picked === 0) return papers(count, 'trending ');
  return `${papers(picked)} on your interests, ${count - picked} trending`;
}

/** "1 paper", "3 papers", "3 trending papers". */
const papers = (count: number, kind = '') => `${count} ${kind}paper${count === 1 ? '' : 's'}`;

/** Title lengths in the subject and the preheader (the fast path caches them per paper). */
export const SUBJECT_TITLE_CHARS = 90;
export const PREHEADER_TITLE_CHARS = 60;

export function subjectFor(
  ranked: readonly RankedPaper[],
  editionDate: string,
  basis: DigestBasis = 'relevant',
): string {
  const top = ranked[0];
  return subjectLine(
    ranked.length,
    top ? truncate(readableTex(top.paper.title), SUBJECT_TITLE_CHARS) : undefined,
    editionDate,
    basis,
  );
}

/** The subject from the top paper's title already truncated to SUBJECT_TITLE_CHARS. */
export function subjectLine(
  count: number,
  topTitle: string | undefined,
  editionDate: string,
  basis: DigestBasis = 'relevant',
): string {
  if (topTitle === undefined) return `Papers Digest · ${shortDate(editionDate)}`;
  // A digest filled from trending must not read as a personal pick.
  if (basis === 'trending')
    return count === 1
      ? `Nothing on your interests; trending: ${topTitle}`
      : `Nothing on your interests; ${count} trending: ${topTitle} and ${count - 1} more`;
  return count === 1 ? `1 new paper: ${topTitle}` : `${count} new papers: ${topTitle} and ${count - 1} more`;
}

export function preheaderFor(ranked: readonly RankedPaper[]): string {
  const [top, ...rest] = ranked;
  return preheaderLine(
    top && readableTex(top.paper.title),
    rest.slice(0, 2).map((item) => truncate(readableTex(item.paper.title), PREHEADER_TITLE_CHARS)),
  );
}

/** The preheader from the raw top title and the next (up to two) truncated titles. */
export function preheaderLine(topTitle: string | undefined, others: readonly string[]): string {
  if (topTitle === undefined) return 'Nothing new today.';
  const also = others.join('; ');
  return truncate(also ? `${topTitle} · also: ${also}` : topTitle, 180);
}

/**
 * A memo keyed by a list of reasons, as a trie over them: no key string to build per card
 * (the reasons are fresh strings per subscriber) and no ambiguity whatever the reasons
 * contain. Cleared when it reaches `maxNodes`.
 */
export function reasonsMemo<T>(maxNodes: number, compute: (why: readonly string[]) => T) {
  interface Node {
    value?: T;
    next?: Map<string, Node>;
  }
  let root: Node = {};
  let nodes = 0;
  return (why: readonly string[]): T => {
    if (nodes >= maxNodes) {
      root = {};
      nodes = 0;
    }
    let node = root;
    for (const reason of why) {
      node.next ??= new Map();
      let next = node.next.get(reason);
      if (!next) {
        next = {};
        node.next.set(reason, next);
        nodes++;
      }
      node = next;
    }
    if (node.value === undefined) node.value = compute(why);
    return node.value;
  };
}

/** The why line of a card: its reasons, cleaned, joined. */
function whyText(why: readonly string[]): string {
  // One reason (most cards): cleaning is idempotent, so joining and cleaning again would
  // give the same.
  if (why.length === 1) return clean(why[0]) || NO_REASON;
  return clean(why.map(clean).filter(Boolean).join(' · ')) || NO_REASON;
}
const NO_REASON = 'new in this edition';

/** Memoised: the same few reasons ("matches “RLHF”") recur across thousands of cards. */
export const whyLabel = reasonsMemo(20_000, whyText);

/** `whyLabel` and something made of it, memoised as one (one lookup per card, not two). */
export const whyMemo = <T>(maxNodes: number, make: (label: string) => T) =>
  reasonsMemo(maxNodes, (why) => make(whyText(why)));

export function authorsLabel(authors: readonly string[]): string {
  const names = authors.map(clean).filter(Boolean);
  if (names.length <= MAX_AUTHORS_SHOWN) return names.join(', ');
  return `${names.slice(0, MAX_AUTHORS_SHOWN).join(', ')} et al.`;
}

export function statsLabel(paper: Paper): string {
  const parts: string[] = [];
  if (paper.upvotes > 0) parts.push(`▲ ${paper.upvotes} upvote${paper.upvotes === 1 ? '' : 's'}`);
  if (paper.numComments > 0) parts.push(`${paper.numComments} comment${paper.numComments === 1 ? '' : 's'}`);
  if (paper.githubStars && paper.githubStars > 0) parts.push(`★ ${paper.githubStars} on GitHub`);
  return parts.join(' · ');
}

/**
 * The AI summary, or the abstract when there is none (truncate is empty only for blank
 * text), its TeX shown as Unicode (lib/tex.ts: for display only, the stored text is kept).
 */
export function summaryText(paper: Paper): string {
  return (
    truncate(readableTex(paper.aiSummary ?? ''), SUMMARY_MAX_CHARS) ||
    truncate(readableTex(paper.abstract), SUMMARY_MAX_CHARS)
  );
}

/**
 * The paper as its card shows it: the abstract cut to what `summaryText` reads (none of it
 * when the AI summary is shown), so that its card is the same, byte for byte. An edition
 * kept in memory for sending needs no more, and abstracts are most of a paper's bytes.
 * The cut is a copy: a slice of a string can keep the whole string alive.
 */
export function cardPaper(paper: Paper): Paper {
  if (truncate(readableTex(paper.aiSummary ?? ''), SUMMARY_MAX_CHARS))
    return paper.abstract ? { ...paper, abstract: '' } : paper;
  const text = paper.abstract;
  // Usually the first 2 × max characters show the same (TeX aside, truncate() reads no
  // more); a cut that would show otherwise (TeX cut in half, a "$" whose pair is past the
  // cut) is not made.
  const room = 2 * SUMMARY_MAX_CHARS;
  if (text.length <= room + 1) return paper;
  const cut = text.slice(0, room + 1);
  if (LONE_SURROGATE.test(cut) || summaryText({ ...paper, abstract: cut }) !== summaryText(paper))
    return paper;
  // Copied through UTF-8, which only well-formed text survives unchanged.
  return { ...paper, abstract: copied.decode(utf8.encode(cut)) };
}

const utf8 = new TextEncoder();
const copied = new TextDecoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function paperUrl(paper: Paper): string {
  return paper.links.hf ?? paper.links.abs ?? `https://arxiv.org/abs/${paper.id}`;
}

/**
 * How long the links a paper's claimant types on Hugging Face (repository, project page)
 * may be in an email, in UTF-8 bytes. A URL cannot be folded, and SMTP allows 998 bytes a
 * line: each link is a line of the HTML, escaped (an "&" is five bytes), and together
 * they are most of the text part's one row of links (whose other links and labels are
 * ~170 bytes). A link that does not fit is left out rather than cut; arXiv's and Hugging
 * Face's own links are short and always there.
 */
export const CLAIMED_LINK_HTML_BYTES = 850;
export const CLAIMED_LINKS_TEXT_BYTES = 800;

export function paperLinks(paper: Paper): { label: string; href: string }[] {
  const links: { label: string; href: string }[] = [];
  const abs = paper.links.abs ?? `https://arxiv.org/abs/${paper.id}`;
  links.push({ label: 'arXiv', href: abs });
  if (paper.links.pdf) links.push({ label: 'PDF', href: paper.links.pdf });
  let room = CLAIMED_LINKS_TEXT_BYTES;
  const claimed = (label: string, href: string | null) => {
    if (!href) return;
    const bytes = utf8.encode(href).length;
    if (bytes > room || utf8.encode(escapeHtml(href)).length > CLAIMED_LINK_HTML_BYTES) return;
    room -= bytes;
    links.push({ label, href });
  };
  claimed('Code', paper.links.code);
  claimed('Project page', paper.links.project);
  if (paper.links.hf) links.push({ label: 'Hugging Face', href: paper.links.hf });
  return links;
}

/** The per-edition part of a card; `why`, `upUrl`, `downUrl` are the subscriber's. */
/** What a page showing a digest already sent says above a paper withdrawn since. */
export const WITHDRAWN_NOTICE = 'Withdrawn on arXiv after this digest was put together.';

export function cardProps(
  paper: Paper,
  perSubscriber: { why: string; upUrl: string; downUrl: string },
  notice?: string,
): PaperCardProps {
  return {
    title: truncate(readableTex(paper.title), TITLE_MAX_CHARS) || paper.id,
    url: paperUrl(paper),
    authors: authorsLabel(paper.authors),
    stats: statsLabel(paper),
    summary: summaryText(paper),
    links: paperLinks(paper),
    why: clean(perSubscriber.why),
    upUrl: perSubscriber.upUrl,
    downUrl: perSubscriber.downUrl,
    ...(notice ? { notice } : {}),
  };
}

export function senderName(config: Pick<Config, 'MAIL_FROM'>): string {
  const match = /^\s*"?([^"<]*?)"?\s*</.exec(config.MAIL_FROM);
  return clean(match?.[1]) || 'Papers Digest';
}

/**
 * How much of the interests the footer names. The form takes up to 2,000 characters, and
 * the footer sentence is one line of the plain-text part: all of it overran RFC 5322's
 * 998-character line limit (and filled a phone screen). The full list is one tap away on
 * the preferences page.
 */
export const INTERESTS_SHOWN_CHARS = 300;

export function interestsLabel(interests: string): string {
  const entries = splitInterests(interests).map(clean).filter(Boolean);
  if (entries.length === 0) return 'none yet, so you get the most upvoted papers';
  let shown = 0;
  let length = 0;
  for (const entry of entries) {
    const next = length + (shown > 0 ? 2 : 0) + entry.length;
    if (shown > 0 && next > INTERESTS_SHOWN_CHARS) break;
    length = next;
    shown++;
  }
  const listed = entries.slice(0, shown).join(', ');
  // A single entry longer than the budget (at most 100 characters on the form) is named whole.
  return shown === entries.length ? listed : `${listed} and ${entries.length - shown} more`;
}

/** The layout's per-subscriber values (links are added by the caller). */
export interface LayoutValues {
  preheader: string;
  countLabel: string;
  recipientEmail: string;
  interestsLabel: string;
  unsubscribeUrl: string;
  preferencesUrl: string;
  viewInBrowserUrl: string;
  feedUrl: string;
}

export interface EditionValues {
  editionLabel: string;
  senderName: string;
  postalAddress: string;
  siteUrl: string;
}

export function editionValues(
  config: Pick<Config, 'MAIL_FROM' | 'POSTAL_ADDRESS' | 'PUBLIC_URL'>,
  editionDate: string,
  frequency: Frequency = 'daily',
): EditionValues {
  return {
    editionLabel: editionLabel(editionDate, frequency),
    senderName: senderName(config),
    postalAddress: clean(config.POSTAL_ADDRESS) || config.PUBLIC_URL,
    siteUrl: config.PUBLIC_URL,
  };
}

export function digestProps(
  edition: EditionValues,
  layout: LayoutValues,
  cards: PaperCardProps[],
): DigestEmailProps {
  return {
    ...edition,
    preheader: clean(layout.preheader),
    countLabel: clean(layout.countLabel),
    recipientEmail: clean(layout.recipientEmail),
    interestsLabel: clean(layout.interestsLabel),
    unsubscribeUrl: layout.unsubscribeUrl,
    preferencesUrl: layout.preferencesUrl,
    viewInBrowserUrl: layout.viewInBrowserUrl,
    feedUrl: layout.feedUrl,
    papers: cards,
  };
}
