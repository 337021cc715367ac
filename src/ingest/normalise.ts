/**
 * Normalisation shared by both sources, so a paper looks the same whichever feed brought
 * it: canonical arXiv ids (version split off), whitespace-collapsed NFC text, and only
 * http(s) links (anything else, e.g. `javascript:`, would end up clickable in emails).
 */
import { isPlainHttpUrl } from '../lib/url';

/** A whole upstream body that cannot be used (not JSON/XML, wrong shape, API error feed). */
export class UpstreamFormatError extends Error {
  override name = 'UpstreamFormatError';
}

/** Why one item of a payload was dropped; the rest of the payload is still ingested. */
export interface SkippedItem {
  index: number;
  reason: string;
}

const NEW_STYLE_ID = /^(\d{4}\.\d{4,5})(?:v(\d+))?$/;
/** archive[.SUBJECT-CLASS]/YYMMNNN: the subject class is not part of the identifier. */
const OLD_STYLE_ID = /^([a-z][a-z-]*)(?:\.[A-Za-z]{2})?\/(\d{7})(?:v(\d+))?$/;
const ABS_URL_PREFIX = /^(?:https?:\/\/(?:export\.|www\.)?arxiv\.org\/(?:abs|pdf)\/|arxiv:)/i;

export interface ArxivId {
  id: string;
  version: number | null;
}

/**
 * Accepts "2411.01234", "2411.01234v2", "hep-th/9901001v1", "arXiv:2411.01234" or an
 * abs/pdf URL of any of them; returns null for anything else (a HF item without an arXiv
 * id is not a paper we can link or dedupe). Old-style ids lose their subject class
 * ("math.GT/0309136" is "math/0309136", as arXiv's API and abs pages name it), so one
 * paper has one id whichever form a source wrote.
 */
export function parseArxivId(raw: string): ArxivId | null {
  const bare = raw
    .trim()
    .replace(ABS_URL_PREFIX, '')
    .replace(/\.pdf$/i, '');
  const modern = NEW_STYLE_ID.exec(bare);
  if (modern?.[1]) return { id: modern[1], version: modern[2] ? Number(modern[2]) : null };
  const old = OLD_STYLE_ID.exec(bare);
  if (!old?.[1] || !old[2]) return null;
  return { id: `${old[1]}/${old[2]}`, version: old[3] ? Number(old[3]) : null };
}

/** What a withdrawal notice calls the thing withdrawn, and what it says happened to it. */
const WITHDRAWN_THING = '(?:paper|article|manuscript|submission|preprint|work|version)';
const WITHDRAWN = '(?:withdrawn|retracted|removed\\s+by\\s+arxiv)';

/**
 * A withdrawal notice opening a sentence of an arXiv comment: "This paper has been withdrawn
 * by the author ...", "Withdrawn due to an error", "This version is withdrawn", "Retracted",
 * "removed by arXiv administrators", "We withdraw this paper ...", "The authors have withdrawn
 * this paper", "Withdrew the paper". Only at the start of a sentence, so "v2: replaces the
 * withdrawn arXiv:1234.5678" or "The previous version was withdrawn" is not one.
 */
const WITHDRAWAL_COMMENT = new RegExp(
  '(?:^|[.;:!?]\\s*)(?:' +
    [
      // "as been" is a real typo of "has been" in arXiv comments.
      `(?:(?:this|the|our)\\s+)?${WITHDRAWN_THING}?\\s*(?:(?:has|have|as)\\s+been|(?:is|are)\\s+being|is|was|are)?\\s*${WITHDRAWN}\\b`,
      '(?:we|the\\s+authors?|authors?)\\s+(?:have\\s+)?(?:decided\\s+to\\s+)?withdr[ae]w\\b',
      // Only with its object: "we have withdrawn the claim of Theorem 2" withdraws a claim.
      `(?:we|the\\s+authors?|authors?)\\s+(?:have|has)\\s+withdrawn\\s+(?:(?:this|the|our)\\s+${WITHDRAWN_THING}|it)\\b`,
      `withdr[ae]w\\s+(?:this|the|our)\\s+${WITHDRAWN_THING}\\b`,
    ].join('|') +
    ')',
  'i',
);
/** An abstract replaced by the notice; stricter, since abstracts may use the word for other things. */
const WITHDRAWAL_ABSTRACT =
  /^(?:this|the)\s+(?:paper|article|manuscript|submission|preprint)\s+(?:has\s+been|is|was)\s+withdrawn\b/i;

/**
 * Whether an arXiv entry is a withdrawal: arXiv publishes one as a new version whose comment
 * (and sometimes whose abstract) carries the notice, and keeps the paper's title.
 */
export function isWithdrawal(comment: string | null, abstract: string): boolean {
  return (comment !== null && WITHDRAWAL_COMMENT.test(comment)) || WITHDRAWAL_ABSTRACT.test(abstract);
}

/**
 * Hard-wrapped titles and abstracts ("...presence\n  of quenched...") become one line, and
 * control characters (U+0000–U+001F, U+007F–U+009F) a space: upstream text occasionally
 * carries one, and it would reach email subjects, HTML that may not contain it and
 * request bodies a mail API refuses. The text is also put in Unicode NFC: one source may
 * send "é" as e + combining accent and the other as one character, and the same title or
 * author name must compare (and dedupe, and match an interest) equal whichever sent it.
 */
export function collapseWhitespace(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[\s\p{Cc}]+/gu, ' ')
    .trim();
}

/**
 * The URL itself (trimmed) when it is one plain absolute http(s) URL that parses, else
 * null: nothing before or after it, no credentials (src/lib/url.ts).
 */
export function httpUrlOrNull(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  if (!isPlainHttpUrl(trimmed)) return null;
  try {
    new URL(trimmed);
    return trimmed;
  } catch {
    return null;
  }
}

/**
 * An ISO 8601 calendar date, optionally with a time (seconds and fraction optional) and a
 * zone (`Z`, `±hh`, `±hh:mm`, `±hhmm`); a time without a zone is read as UTC.
 */
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|([+-])(\d{2})(?::?(\d{2}))?)?)?$/i;

/**
 * The UTC ISO string of an ISO 8601 date, else null. Only ISO 8601: `Date.parse` also reads
 * "3/11/2025", "March 11" (as 2001) or "1" (as the year 2001), which would store a made-up
 * date; and the fields must exist (no 2025-02-30, no 24:61).
 */
export function isoOrNull(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = ISO_8601.exec(value.trim());
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offsetHours = Number(match[10] ?? 0);
  const offsetMinutes = Number(match[11] ?? 0);
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return null;
  }
  const sign = match[9] === '-' ? -1 : 1;
  date.setUTCHours(hour, minute, second, millis);
  return new Date(date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000).toISOString();
}

export const arxivAbsUrl = (id: string): string => `https://arxiv.org/abs/${id}`;
export const arxivPdfUrl = (id: string): string => `https://arxiv.org/pdf/${id}`;
export const huggingFacePaperUrl = (id: string): string => `https://huggingface.co/papers/${id}`;

/** Distinct non-empty strings, order kept (keywords, categories, author names). */
export function distinctStrings(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const value of values) {
    const clean = collapseWhitespace(value);
    if (clean && !seen.has(clean)) {
      seen.add(clean);
      result.push(clean);
    }
  }
  return result;
}
