/**
 * Parses the free-text interests field into what ranking uses. Entries are separated by
 * commas, semicolons or new lines. An entry that looks like an arXiv category (`cs.CL`,
 * `stat.ML`, `hep-th`) is a category; one written `author: Name`, `by Name` or `@Name` is a
 * followed author; everything else is a topic phrase ("diffusion models", "RLHF"). People
 * paste lists, so list bullets and numbers are dropped (a bullet between words, where the
 * line breaks were lost, separates entries), text is compared in NFC, several categories
 * in one entry ("cs.CL and cs.LG") are several categories, and `authors: A, B` follows
 * both authors.
 */
import { ARXIV_CATEGORIES } from './arxiv-categories';

export interface Interests {
  phrases: string[];
  categories: string[];
  authors: string[];
}

export const MAX_INTERESTS = 30;
export const MAX_INTEREST_LENGTH = 100;
export const MAX_INTERESTS_TEXT = 2000;

const ARXIV_ARCHIVES =
  'cs|math|stat|physics|q-bio|q-fin|econ|eess|astro-ph|cond-mat|gr-qc|hep-ex|hep-lat|hep-ph|hep-th|math-ph|nlin|nucl-ex|nucl-th|quant-ph';
const CATEGORY = new RegExp(`^(?:${ARXIV_ARCHIVES})(?:\\.[A-Za-z-]{2,})?$`, 'i');
const AUTHOR = /^(?:authors?\s*:\s*|by\s+|@)(.+)$/i;
/** "authors:" (plural) opens a list: the entries after it, up to the next ; or line, are authors too. */
const AUTHORS_LIST = /^authors\s*:/i;
/**
 * Bullet characters lists are pasted with: typographic ones, word processors' (Word's
 * Symbol-font bullet arrives as U+F0B7), arrows and ticks.
 */
const BULLETS = '•·◦▪▫▸▹‣●○■□◆◇❖➢➤►▶✓✔⁃∙\uF0B7';
/** A pasted list's bullet ("- ", "* ", "• ") or number ("1. ", "2) "), not part of the interest. */
const LIST_MARKER = new RegExp(`^(?:[-*+]\\s+|[${BULLETS}–—]\\s*|\\(?\\d{1,2}[.)]\\s+)`);
/**
 * Where a list's line breaks were lost (pasted into a one-line field, or from a web page as
 * "RLHF • DPO • agents"): a bullet between spaces separates entries like a new line. Dashes
 * are not among them: "diffusion – a survey" is one topic.
 */
const INLINE_BULLET = new RegExp(`\\s[${BULLETS}]\\s`, 'g');
/** Words people put between categories in one entry: "cs.CL and cs.LG", "cs.AI / cs.LG". */
const CATEGORY_JOINERS = /\s+(?:and|or|&|\+)\s+|\s*[/|]\s*|\s+/i;

/** Splits the raw field into trimmed, non-empty entries (before capping). */
export function splitInterests(text: string): string[] {
  const entries: string[] = [];
  // NFC, so that texts stored before the schema normalised them also de-duplicate "café" typed two ways.
  for (const segment of text
    .normalize('NFC')
    .replace(INLINE_BULLET, '\n')
    .split(/[;\n\r]+/)) {
    let authorsList = false;
    for (const raw of segment.split(',')) {
      const entry = raw.replace(/\s+/g, ' ').trim().replace(LIST_MARKER, '').trim();
      if (!entry) continue;
      if (AUTHORS_LIST.test(entry)) authorsList = true;
      else if (authorsList && !AUTHOR.test(entry)) {
        entries.push(`author: ${entry}`);
        continue;
      }
      const categories = entry.split(CATEGORY_JOINERS).filter(Boolean);
      if (categories.length > 1 && categories.every((part) => CATEGORY.test(part)))
        entries.push(...categories);
      else entries.push(entry);
    }
  }
  return entries;
}

/**
 * The entries written as an arXiv category (`archive.subject`) that arXiv does not have,
 * as typed, once each. Archives alone (`hep-th`, `cs`) are left to the reader as before.
 */
export function unknownCategories(text: string): string[] {
  const unknown = new Set<string>();
  for (const entry of splitInterests(text)) {
    if (AUTHOR.test(entry) || !CATEGORY.test(entry) || !entry.includes('.')) continue;
    if (!ARXIV_CATEGORIES.has(normaliseCategory(entry))) unknown.add(entry);
  }
  return [...unknown];
}

export function parseInterests(text: string): Interests {
  const interests: Interests = { phrases: [], categories: [], authors: [] };
  const seen = new Set<string>();
  for (const entry of splitInterests(text)) {
    const key = entry.toLowerCase();
    if (seen.has(key)) continue;
    // The cap counts distinct entries, as the schema does: repeats must not push out later ones.
    if (seen.size === MAX_INTERESTS) break;
    seen.add(key);
    const author = AUTHOR.exec(entry);
    if (author?.[1]) interests.authors.push(author[1].trim());
    else if (CATEGORY.test(entry)) interests.categories.push(normaliseCategory(entry));
    else interests.phrases.push(entry);
  }
  return interests;
}

/**
 * The arXiv categories of an interests text, as stored beside it (subscribers.categories,
 * migrations/0017) so the arXiv ingest can ask D1 for them without reading every text.
 */
export function categoriesOf(text: string): string[] {
  return parseInterests(text).categories;
}

/** arXiv spells categories `cs.CL`: archive lower-case, subject class upper-case for cs/math/etc. */
function normaliseCategory(entry: string): string {
  const [archive, subject] = entry.split('.');
  if (!subject) return archive!.toLowerCase();
  const lowerArchive = archive!.toLowerCase();
  // physics-style archives use lower-case subject classes (e.g. cond-mat.mes-hall, astro-ph.CO is upper).
  const upper = subject.length <= 2 || /^(cs|math|stat|q-bio|q-fin|econ|eess|astro-ph)$/.test(lowerArchive);
  return `${lowerArchive}.${upper ? subject.toUpperCase() : subject.toLowerCase()}`;
}
