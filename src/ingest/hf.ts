/**
 * Hugging Face Daily Papers: `GET {HF_API_URL}/api/daily_papers?date=YYYY-MM-DD` answers a
 * bare JSON array of items `{paper: {...}, title, summary, thumbnail, numComments, ...}`.
 * Older responses lack the optional fields (ai_summary, githubRepo, ...), newer ones add
 * fields we do not know yet: both are fine. Required fields decide whether an item is a
 * paper; malformed optional fields are dropped instead of costing the whole item. A paper
 * the API marks withdrawn (`paper.withdrawnAt`) is skipped, so it never becomes news, and
 * its id is returned so that a copy stored before the mark stops being mailed too.
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

/** A count that may be missing or garbage in a given response; it never rejects the item. */
const lenientCount = z
  .unknown()
  .optional()
  .transform((value) =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : null,
  );
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
    withdrawnAt: lenientText,
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
    const parsed = hfItemSchema.safeParse(raw);
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
    const withdrawnAt = isoOrNull(item.paper.withdrawnAt);
    if (withdrawnAt) {
      skipped.push({ index, reason: `paper ${arxivId.id} was withdrawn on ${withdrawnAt}` });
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
      hfDate: options.date ?? dailyDate(item.paper.submittedOnDailyAt ?? item.publishedAt),
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

function dailyDate(value: string | null): string | null {
  return isoOrNull(value)?.slice(0, 10) ?? null;
}
