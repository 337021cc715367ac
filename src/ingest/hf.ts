/**
 * Hugging Face Daily Papers: `GET {HF_API_URL}/api/daily_papers?date=YYYY-MM-DD` answers a
 * bare JSON array of items `{paper: {...}, title, summary, thumbnail, numComments, ...}`.
 * Older responses lack the optional fields (ai_summary, githubRepo, ...), newer ones add
 * fields we do not know yet: both are fine. Required fields decide whether an item is a
 * paper; malformed optional fields are dropped instead of costing the whole item, counts
 * may come as digit strings, dates count only in ISO 8601, and an item may carry the paper
 * fields itself instead of under `paper`. A paper the API marks withdrawn (any non-blank
 * `paper.withdrawnAt`) is skipped, so it never becomes news, and its id is returned so that
 * a copy stored before the mark stops being mailed too.
 */
import { z } from 'zod';
import type { IncomingPaper } from '../domain';
import {
  arxivAbsUrl,
  arxivPdfUrl,
  collapseWhitespace,
  distinctStrings,
  httpUrlOrNull,
  huggingFacePaperUrl,
  isoOrNull,
  parseArxivId,
  type SkippedItem,
  UpstreamFormatError,
} from './normalise';

/**
 * A count that may be missing or garbage in a given response; it never rejects the item.
 * Some responses send counts as digit strings ("12"): those are the number; anything else
 * that is not a non-negative number ("lots", "1e3", "-2") is unknown.
 */
const lenientCount = z
  .unknown()
  .optional()
  .transform((value) => {
    const count = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    return typeof count === 'number' &&
      Number.isFinite(count) &&
      count >= 0 &&
      count <= Number.MAX_SAFE_INTEGER
      ? Math.floor(count)
      : null;
  });
const lenientText = z
  .unknown()
  .optional()
  .transform((value) => (typeof value === 'string' ? value : null));
const lenientStringList = z
  .unknown()
  .optional()
  .transform((value) =>
    Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [],
  );

const authorSchema = z.object({ name: z.string() });

/**
 * The same paper in the flat shape (huggingface_hub's `PaperInfo`, the Hub's /api/papers
 * answers): paper fields on the item itself, no `paper` object. Read as the nested shape;
 * its `publishedAt` is the paper's, not the day it was listed.
 */
function nestFlatItem(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const item = raw as Record<string, unknown>;
  if (item.paper != null || !('id' in item)) return raw;
  return {
    paper: item,
    title: item.title,
    summary: item.summary,
    thumbnail: item.thumbnail,
    numComments: item.numComments,
  };
}

const hfItemSchema = z.object({
  paper: z.object({
    id: z.string().min(1),
    // Title and abstract come twice (item and paper); a null or blank copy must not cost the
    // item when the other copy is there.
    title: lenientText,
    summary: lenientText,
    authors: z.array(z.unknown()).optional().catch(undefined),
    publishedAt: lenientText,
    submittedOnDailyAt: lenientText,
    upvotes: lenientCount,
    ai_summary: lenientText,
    ai_keywords: lenientStringList,
    githubRepo: lenientText,
    githubStars: lenientCount,
    projectPage: lenientText,
    // Any mark at all, even one that is not a date: wrongly skipping a paper costs less
    // than mailing a withdrawn one.
    withdrawnAt: z.unknown().optional(),
  }),
  title: lenientText,
  summary: lenientText,
  publishedAt: lenientText,
  thumbnail: lenientText,
  numComments: lenientCount,
});

export interface ParsedHfDailyPapers {
  papers: IncomingPaper[];
  skipped: SkippedItem[];
  /** arXiv ids of the items marked withdrawn (also in `skipped`). */
  withdrawn: string[];
}

export interface HfParseOptions {
  /** The daily list (YYYY-MM-DD) the body was fetched for; otherwise taken from each item. */
  date?: string;
}

/**
 * Parses a Daily Papers response body (already JSON-decoded). Throws UpstreamFormatError
 * when the body is not an array at all; invalid items are returned in `skipped`.
 */
export function parseHfDailyPapers(body: unknown, options: HfParseOptions = {}): ParsedHfDailyPapers {
  if (!Array.isArray(body)) {
    const detail =
      body && typeof body === 'object' && 'error' in body
        ? `: ${String((body as { error: unknown }).error)}`
        : '';
    throw new UpstreamFormatError(`Hugging Face daily papers: expected a JSON array${detail}`);
  }
  const papers: IncomingPaper[] = [];
  const skipped: SkippedItem[] = [];
  const withdrawn: string[] = [];
  const seen = new Set<string>();
  body.forEach((raw, index) => {
    const parsed = hfItemSchema.safeParse(nestFlatItem(raw));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      skipped.push({ index, reason: `invalid item: ${issue?.path.join('.') || 'item'}: ${issue?.message}` });
      return;
    }
    const item = parsed.data;
    const arxivId = parseArxivId(item.paper.id);
    if (!arxivId) {
      skipped.push({ index, reason: `not an arXiv id: ${JSON.stringify(item.paper.id.slice(0, 40))}` });
      return;
    }
    const title = firstText(item.title, item.paper.title);
    if (!title) {
      skipped.push({ index, reason: `paper ${arxivId.id} has no title` });
      return;
    }
    if (isWithdrawnMark(item.paper.withdrawnAt)) {
      const on = isoOrNull(item.paper.withdrawnAt);
      const when = on ? `on ${on}` : `(withdrawnAt: ${JSON.stringify(item.paper.withdrawnAt).slice(0, 40)})`;
      skipped.push({ index, reason: `paper ${arxivId.id} was withdrawn ${when}` });
      if (!withdrawn.includes(arxivId.id)) withdrawn.push(arxivId.id);
      return;
    }
    if (seen.has(arxivId.id)) {
      skipped.push({ index, reason: `duplicate of paper ${arxivId.id} in the same list` });
      return;
    }
    seen.add(arxivId.id);
    papers.push({
      id: arxivId.id,
      version: arxivId.version,
      title,
      abstract: firstText(item.paper.summary, item.summary),
      authors: paperAuthors(item.paper.authors ?? []),
      categories: [],
      primaryCategory: null,
      links: {
        abs: arxivAbsUrl(arxivId.id),
        pdf: arxivPdfUrl(arxivId.id),
        hf: huggingFacePaperUrl(arxivId.id),
        code: httpUrlOrNull(item.paper.githubRepo),
        project: httpUrlOrNull(item.paper.projectPage),
      },
      githubStars: item.paper.githubStars,
      thumbnailUrl: httpUrlOrNull(item.thumbnail),
      upvotes: item.paper.upvotes,
      numComments: item.numComments,
      aiSummary: item.paper.ai_summary ? collapseWhitespace(item.paper.ai_summary) || null : null,
      aiKeywords: distinctStrings(item.paper.ai_keywords),
      comment: null,
      doi: null,
      journalRef: null,
      publishedAt: isoOrNull(item.paper.publishedAt),
      updatedAt: null,
      // A submittedOnDailyAt that is not a date must not hide the item's own listing date.
      hfDate: options.date ?? dailyDate(item.paper.submittedOnDailyAt) ?? dailyDate(item.publishedAt),
      sources: ['hf'],
    });
  });
  // Listed twice, once marked withdrawn: the mark wins.
  const kept = withdrawn.length > 0 ? papers.filter((paper) => !withdrawn.includes(paper.id)) : papers;
  return { papers: kept, skipped, withdrawn };
}

/**
 * Every author named on the paper. `hidden: true` is a claimed author's "don't show on my
 * Hub profile" choice: it hides the paper from their profile, not their name from the
 * paper, so it must not cost them their byline or an author-interest match.
 */
function paperAuthors(authors: unknown[]): string[] {
  const names: string[] = [];
  for (const raw of authors) {
    const author = authorSchema.safeParse(raw);
    if (author.success) names.push(author.data.name);
  }
  return distinctStrings(names);
}

/** The first copy that has any text, whitespace-collapsed ('' when none has). */
function firstText(...copies: (string | null)[]): string {
  for (const copy of copies) {
    const text = copy === null ? '' : collapseWhitespace(copy);
    if (text) return text;
  }
  return '';
}

/** Null, absent, false or blank mean "stands"; every other value marks the paper withdrawn. */
function isWithdrawnMark(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  return typeof value !== 'string' || value.trim() !== '';
}

function dailyDate(value: string | null): string | null {
  return isoOrNull(value)?.slice(0, 10) ?? null;
}
