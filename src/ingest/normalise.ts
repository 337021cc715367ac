/**
 * Normalisation shared by both sources, so a paper looks the same whichever feed brought
 * it: canonical arXiv ids (version split off), whitespace-collapsed text, and only
 * http(s) links (anything else, e.g. `javascript:`, would end up clickable in emails).
 */

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
const OLD_STYLE_ID = /^([a-z][a-z-]*(?:\.[A-Za-z]{2})?\/\d{7})(?:v(\d+))?$/;
const ABS_URL_PREFIX = /^https?:\/\/(?:export\.|www\.)?arxiv\.org\/(?:abs|pdf)\//i;

export interface ArxivId {
  id: string;
  version: number | null;
}

/**
 * Accepts "2411.01234", "2411.01234v2", "hep-th/9901001v1" or an abs/pdf URL of any of
 * them; returns null for anything else (a HF item without an arXiv id is not a paper we
 * can link or dedupe).
 */
export function parseArxivId(raw: string): ArxivId | null {
  const bare = raw
    .trim()
    .replace(ABS_URL_PREFIX, '')
    .replace(/\.pdf$/i, '');
  const match = NEW_STYLE_ID.exec(bare) ?? OLD_STYLE_ID.exec(bare);
  if (!match?.[1]) return null;
  return { id: match[1], version: match[2] ? Number(match[2]) : null };
}

/** Hard-wrapped titles and abstracts ("...presence\n  of quenched...") become one line. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The URL itself (trimmed) when it is an absolute http(s) URL, else null. */
export function httpUrlOrNull(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  if (!/^https?:\/\//i.test(trimmed)) return null;
  try {
    new URL(trimmed);
    return trimmed;
  } catch {
    return null;
  }
}

/** ISO-8601 UTC string of a parseable date, else null. */
export function isoOrNull(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
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
