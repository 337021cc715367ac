/**
 * The per-edition index: everything about the candidate papers that does not depend on a
 * subscriber, computed once (tokens, BM25F term saturations, idf, author keys, trending),
 * so that scoring one subscriber is a few array passes. The weighting is BM25F: a term's
 * frequencies in title, AI keywords, AI summary and abstract are length-normalised per
 * field, weighted (title highest), summed, then saturated once — so a word repeated in
 * the abstract never outweighs the same word in the title.
 */
import type { Paper } from '../domain';
import { findConcepts } from './concepts';
import { nameKey, tokenize } from './text';

export const K1 = 1.2;

interface FieldSpec {
  weight: number;
  b: number;
}

/** title, keywords, summary, abstract */
const FIELDS: readonly FieldSpec[] = [
  { weight: 3.0, b: 0.3 },
  { weight: 2.0, b: 0.2 },
  { weight: 1.0, b: 0.5 },
  { weight: 1.0, b: 0.75 },
];

/** Separates AI keywords so a phrase never matches across two of them. */
export const BOUNDARY = '\u0000';

export interface Posting {
  docs: number[];
  /** BM25F saturation tf~/(k1+tf~) of the term in each doc, in (0, 1). */
  sats: number[];
  idf: number;
}

export interface AuthorKey {
  full: string;
  /** "lecun y": surname plus first initial, for "Y. LeCun" vs "Yann LeCun". */
  short: string;
  initialOnly: boolean;
  display: string;
}

export interface DocFeatures {
  /** Token streams for phrase and proximity checks: title, keywords, summary + abstract. */
  title: string[];
  keywords: string[];
  body: string[];
  authors: AuthorKey[];
  categories: string[];
  /** term -> saturation, for learned weights and pseudo-relevance feedback. */
  terms: Map<string, number>;
}

export interface EditionIndexData {
  papers: Paper[];
  docs: DocFeatures[];
  postings: Map<string, Posting>;
  /** idf of a term no paper contains: the ceiling of every query's weight. */
  maxIdf: number;
  /** log(1 + upvotes) / log(1 + max upvotes), in [0, 1]. */
  trending: Float64Array;
  /** Per-interest relevance vectors, memoised: many subscribers share interests. */
  interestCache: Map<string, InterestScores>;
  /** Lower-cased category (and archive, e.g. "cs") -> docs, with the category's position. */
  categoryDocs: Map<string, { doc: number; position: number; category: string }[]>;
  /** Author name key (full, and "surname initial") -> docs with that author. */
  authorDocs: Map<string, { doc: number; author: AuthorKey }[]>;
}

export interface InterestScores {
  /** Relevance in [0, ~1.4] per doc. */
  scores: Float64Array;
  /** How much of the score came from the interest's own terms (vs related/expansion). */
  direct: Float64Array;
}

/** Sentences about code availability etc. carry no topic and would match "code" interests. */
const BOILERPLATE =
  /(https?:\/\/|github\.com|huggingface\.co|\b(code|data|dataset|datasets|models?|weights|checkpoints|demo|resources|benchmark)\b[^.]{0,80}\b(publicly available|available at|released at|open-sourced|will be released|are released|is released|can be found|will be made)\b)/i;

function stripBoilerplate(text: string): string {
  return text
    .split(/(?<=[.!?])\s+/)
    .filter((sentence) => !BOILERPLATE.test(sentence))
    .join(' ');
}

function keywordTokens(keywords: readonly string[]): string[] {
  const out: string[] = [];
  for (const keyword of keywords) {
    const tokens = tokenize(keyword);
    if (tokens.length === 0) continue;
    if (out.length > 0) out.push(BOUNDARY);
    out.push(...tokens);
  }
  return out;
}

export function authorKey(name: string): AuthorKey {
  const full = nameKey(name);
  const parts = full.split(' ').filter(Boolean);
  const surname = parts[parts.length - 1] ?? '';
  const first = parts[0] ?? '';
  return {
    full,
    short: `${surname} ${first.charAt(0)}`,
    initialOnly: parts.length > 1 && first.length === 1,
    display: name,
  };
}

export function authorsMatch(wanted: AuthorKey, paperAuthor: AuthorKey): boolean {
  if (!wanted.full) return false;
  if (wanted.full === paperAuthor.full) return true;
  return (wanted.initialOnly || paperAuthor.initialOnly) && wanted.short === paperAuthor.short;
}

/** Raw term frequencies of one field, concepts included. */
function fieldCounts(tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const token of tokens) {
    if (token === BOUNDARY) continue;
    counts.set(token, (counts.get(token) ?? 0) + 1);
  }
  for (const match of findConcepts(tokens)) {
    counts.set(match.concept.token, (counts.get(match.concept.token) ?? 0) + 1);
  }
  return counts;
}

const fieldLength = (tokens: readonly string[]) => tokens.filter((token) => token !== BOUNDARY).length;

export function idfOf(documentFrequency: number, total: number): number {
  return Math.log(1 + (total - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

export function buildIndexData(papers: Paper[]): EditionIndexData {
  const total = papers.length;
  const fieldTokens = papers.map((paper) => [
    tokenize(paper.title),
    keywordTokens(paper.aiKeywords ?? []),
    tokenize(paper.aiSummary ?? ''),
    tokenize(stripBoilerplate(paper.abstract ?? '')),
  ]);
  const averages = FIELDS.map((_, field) => {
    const sum = fieldTokens.reduce((acc, fields) => acc + fieldLength(fields[field]!), 0);
    return Math.max(1, sum / Math.max(1, total));
  });

  const postings = new Map<string, Posting>();
  const docs: DocFeatures[] = [];
  papers.forEach((paper, doc) => {
    const fields = fieldTokens[doc]!;
    const pseudoTf = new Map<string, number>();
    fields.forEach((tokens, field) => {
      const spec = FIELDS[field]!;
      const norm = 1 - spec.b + (spec.b * fieldLength(tokens)) / averages[field]!;
      for (const [term, count] of fieldCounts(tokens)) {
        pseudoTf.set(term, (pseudoTf.get(term) ?? 0) + (spec.weight * count) / norm);
      }
    });
    const terms = new Map<string, number>();
    for (const [term, tf] of pseudoTf) {
      const sat = tf / (K1 + tf);
      terms.set(term, sat);
      let posting = postings.get(term);
      if (!posting) {
        posting = { docs: [], sats: [], idf: 0 };
        postings.set(term, posting);
      }
      posting.docs.push(doc);
      posting.sats.push(sat);
    }
    docs.push({
      title: fields[0]!,
      keywords: fields[1]!,
      body: [...fields[2]!, BOUNDARY, ...fields[3]!],
      authors: (paper.authors ?? []).map(authorKey),
      categories: paper.categories ?? [],
      terms,
    });
  });
  for (const posting of postings.values()) posting.idf = idfOf(posting.docs.length, total);

  const maxUpvotes = papers.reduce((max, paper) => Math.max(max, paper.upvotes ?? 0), 0);
  const trending = new Float64Array(total);
  if (maxUpvotes > 0) {
    papers.forEach((paper, doc) => {
      trending[doc] = Math.log1p(Math.max(0, paper.upvotes ?? 0)) / Math.log1p(maxUpvotes);
    });
  }
  const categoryDocs: EditionIndexData['categoryDocs'] = new Map();
  const authorDocs: EditionIndexData['authorDocs'] = new Map();
  const push = <T>(map: Map<string, T[]>, key: string, value: T) => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  docs.forEach((features, doc) => {
    features.categories.forEach((category, position) => {
      const key = category.toLowerCase();
      push(categoryDocs, key, { doc, position, category });
      const archive = key.split('.')[0]!;
      if (archive !== key) push(categoryDocs, archive, { doc, position, category });
    });
    for (const author of features.authors) {
      push(authorDocs, `full:${author.full}`, { doc, author });
      push(authorDocs, `short:${author.short}`, { doc, author });
    }
  });
  return {
    categoryDocs,
    authorDocs,
    papers,
    docs,
    postings,
    maxIdf: idfOf(0, total),
    trending,
    interestCache: new Map(),
  };
}
