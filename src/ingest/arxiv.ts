/**
 * arXiv export API (Atom 1.0): `GET {ARXIV_API_URL}/api/query?search_query=...`. Parsed
 * with a real XML parser (fast-xml-parser, namespace prefixes removed so `arxiv:doi` and
 * `opensearch:totalResults` are found whatever prefix a response binds). An `<entry>` may
 * appear once or many times; the API reports errors as a feed with one entry titled
 * "Error" whose id is not a paper's, which fails the request like an HTTP error would.
 * Both response shapes are read: the one served until November 2025 and the one arXiv's
 * replacement backend has served since (namespaces bound on <feed>, other element order,
 * bare abs/pdf links).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import type { IncomingPaper } from '../domain';
import { bodyExcerpt } from './http';
import {
  arxivAbsUrl,
  arxivPdfUrl,
  collapseWhitespace,
  distinctStrings,
  isoOrNull,
  isWithdrawal,
  parseArxivId,
  type SkippedItem,
  UpstreamFormatError,
} from './normalise';

export interface ParsedArxivFeed {
  papers: IncomingPaper[];
  skipped: SkippedItem[];
  /** `opensearch:totalResults`: how many entries the whole query matches (null if absent). */
  totalResults: number | null;
}

const ARRAY_PATHS = new Set(['feed.entry', 'feed.entry.author', 'feed.entry.category', 'feed.entry.link']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  // Ids like "1201.4869" must stay strings, never become numbers.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  htmlEntities: true,
  isArray: (_name, jpath) => ARRAY_PATHS.has(String(jpath)),
});

/** Element text whether the parser gave a string or `{ '#text': ..., '@_attr': ... }`. */
const text = z
  .unknown()
  .optional()
  .transform((value): string | null => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object' && '#text' in value) {
      const inner = (value as { '#text': unknown })['#text'];
      return typeof inner === 'string' || typeof inner === 'number' ? String(inner) : null;
    }
    return null;
  });
/**
 * Text of an element the API may repeat: the current backend writes one `<arxiv:doi>` per
 * DOI, which the parser hands over as an array. Joined with spaces, the form arXiv's own
 * metadata keeps several DOIs in (and the old backend sent as one element), so both
 * backends store the same string.
 */
const repeatedText = z
  .unknown()
  .optional()
  .transform((value): string | null => {
    if (!Array.isArray(value)) return text.parse(value);
    const parts = value.flatMap((item) => text.parse(item)?.trim() || []);
    return parts.length > 0 ? parts.join(' ') : null;
  });
const attributes = z.object({ '@_term': z.string().optional(), '@_href': z.string().optional() }).loose();

const entrySchema = z.object({
  id: text,
  title: text,
  summary: text,
  published: text,
  updated: text,
  author: z.array(z.object({ name: text }).catch({ name: null })).default([]),
  primary_category: attributes.optional().catch(undefined),
  category: z.array(attributes.catch({})).default([]),
  link: z
    .array(attributes.extend({ '@_title': z.string().optional(), '@_type': z.string().optional() }).catch({}))
    .default([]),
  comment: text,
  doi: repeatedText,
  journal_ref: text,
});

/**
 * Parses one Atom response. Throws UpstreamFormatError for a body that is not XML, not an
 * Atom feed, or an arXiv error feed; entries that are not papers go to `skipped`.
 */
export function parseArxivFeed(xml: string): ParsedArxivFeed {
  // What a page served in place of the feed (maintenance, a gateway's error) says.
  const saying = () => (xml.trim() ? `: ${bodyExcerpt(xml, 120)}` : '');
  const validation = XMLValidator.validate(xml);
  if (validation !== true) {
    throw new UpstreamFormatError(`arXiv: response is not XML (${validation.err.msg})${saying()}`);
  }
  const document = parser.parse(xml) as { feed?: unknown };
  if (!document.feed || typeof document.feed !== 'object') {
    throw new UpstreamFormatError(`arXiv: response is XML but not an Atom feed${saying()}`);
  }
  const feed = document.feed as { entry?: unknown[]; totalResults?: unknown };
  const rawEntries = Array.isArray(feed.entry) ? feed.entry : [];
  const total = text.parse(feed.totalResults);
  const totalResults = total !== null && /^\d+$/.test(total.trim()) ? Number(total) : null;

  const apiError = arxivErrorMessage(rawEntries);
  if (apiError) throw new UpstreamFormatError(`arXiv API error: ${apiError}`);

  const papers: IncomingPaper[] = [];
  const skipped: SkippedItem[] = [];
  // Where each id's paper sits in `papers`, and which entry it came from.
  const kept = new Map<string, { position: number; index: number }>();
  rawEntries.forEach((raw, index) => {
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      skipped.push({
        index,
        reason: `invalid entry: ${issue?.path.join('.') || 'entry'}: ${issue?.message}`,
      });
      return;
    }
    const entry = parsed.data;
    const arxivId = entry.id ? parseArxivId(entry.id) : null;
    if (!arxivId) {
      skipped.push({ index, reason: `entry id is not an arXiv abs URL: ${JSON.stringify(entry.id)}` });
      return;
    }
    const title = collapseWhitespace(entry.title ?? '');
    if (!title) {
      skipped.push({ index, reason: `entry ${arxivId.id} has no title` });
      return;
    }
    // A feed may list several versions of one paper (an id_list query does): the newest one
    // is the paper, wherever it comes in the feed, as it would be across two runs.
    const earlier = kept.get(arxivId.id);
    if (earlier && (arxivId.version ?? 0) <= (papers[earlier.position]!.version ?? 0)) {
      skipped.push({ index, reason: `duplicate of entry ${arxivId.id} in the same feed` });
      return;
    }
    const primary = arxivCategory(entry.primary_category?.['@_term']);
    const categories = distinctStrings([
      ...(primary ? [primary] : []),
      ...entry.category.flatMap((category) => arxivCategory(category['@_term']) ?? []),
    ]);
    const hasPdf = entry.link.some(isPdfLink);
    const abstract = collapseWhitespace(entry.summary ?? '');
    const comment = optionalText(entry.comment);
    const paper: IncomingPaper = {
      id: arxivId.id,
      version: arxivId.version,
      title,
      abstract,
      authors: distinctStrings(entry.author.flatMap((author) => (author.name ? [author.name] : []))),
      categories,
      primaryCategory: primary ?? categories[0] ?? null,
      links: {
        abs: arxivAbsUrl(arxivId.id),
        // Version-less so the link always opens the latest version.
        pdf: hasPdf ? arxivPdfUrl(arxivId.id) : null,
        hf: null,
        code: null,
        project: null,
      },
      githubStars: null,
      thumbnailUrl: null,
      upvotes: null,
      numComments: null,
      aiSummary: null,
      aiKeywords: [],
      comment,
      doi: optionalText(entry.doi),
      journalRef: optionalText(entry.journal_ref),
      publishedAt: isoOrNull(entry.published),
      updatedAt: isoOrNull(entry.updated),
      hfDate: null,
      sources: ['arxiv'],
      withdrawn: isWithdrawal(comment, abstract),
    };
    if (earlier) {
      const older = papers[earlier.position]!;
      skipped.push({
        index: earlier.index,
        reason: `v${older.version ?? '?'} of entry ${arxivId.id} replaced by v${arxivId.version} in the same feed`,
      });
      papers[earlier.position] = paper;
      kept.set(arxivId.id, { position: earlier.position, index });
    } else {
      kept.set(arxivId.id, { position: papers.length, index });
      papers.push(paper);
    }
  });
  return { papers, skipped, totalResults };
}

/**
 * An arXiv category ("cs.CL", "hep-th", "cond-mat.str-el"), or null. The API (until November
 * 2025) listed ACM and MSC classes ("I.2.9; J.3", "68U35") as <category> elements too; they
 * are not categories anyone can follow.
 */
function arxivCategory(term: string | undefined): string | null {
  const category = term?.trim() ?? '';
  return /^[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[A-Za-z]+)*)?$/.test(category) ? category : null;
}

/**
 * The entry's PDF link. Until November 2025 the API marked it `title="pdf"
 * type="application/pdf"`; its new backend writes a bare `<link href="https://arxiv.org/pdf/...">`.
 */
function isPdfLink(link: { '@_href'?: string; '@_title'?: string; '@_type'?: string }): boolean {
  return (
    link['@_title'] === 'pdf' ||
    link['@_type'] === 'application/pdf' ||
    /^https?:\/\/(?:export\.|www\.)?arxiv\.org\/pdf\//i.test(link['@_href'] ?? '')
  );
}

/**
 * The API's error feed: one entry whose id points at /api/errors (or, for a bad sortBy, at
 * the manual) and whose title is "Error". Told apart by the id, never by the title alone:
 * a paper may be titled "Error", and its id is an arXiv abs URL, which no error's is.
 */
function arxivErrorMessage(entries: unknown[]): string | null {
  if (entries.length !== 1) return null;
  const entry = entrySchema.safeParse(entries[0]);
  if (!entry.success) return null;
  const id = entry.data.id ?? '';
  const isError =
    /\/api\/errors/.test(id) || (entry.data.title?.trim() === 'Error' && parseArxivId(id) === null);
  if (!isError) return null;
  return collapseWhitespace(entry.data.summary ?? '') || 'unknown error';
}

function optionalText(value: string | null): string | null {
  if (value === null) return null;
  return collapseWhitespace(value) || null;
}
