/**
 * Turns one interest ("mixture of experts", "LLM pretraining") into a query: its stemmed
 * words in order, plus other spellings of spans of them — listed synonyms, and acronyms
 * the edition's papers define. A spelling stands in for the whole span it replaces, so a
 * paper that writes "MoE" matches every word of "mixture of experts" and the phrase
 * between them, and "large language model pretraining" matches "LLM pretraining" as a
 * phrase. Scoring then sees the interest's words and their adjacency, never a bag of
 * words that happens to share a generic one.
 */
import type { AcronymTable } from './acronyms';
import { type EditionIndex, editionMemo } from './edition';
import { tokenize } from './text';
import { SYNONYMS } from './vocabulary';

/** Weight of a broader form ("language model" for "LLM") relative to an exact one. */
export const BROADER_WEIGHT = 0.6;
/** Longest span looked up: long forms of acronyms rarely exceed this. */
const MAX_SPAN = 8;

export interface Alternative {
  tokens: string[];
  weight: number;
}

/** Other spellings of the query words [from, to). */
export interface SpanForms {
  from: number;
  to: number;
  forms: Alternative[];
}

export interface InterestQuery {
  /** The reading as written ("image editing"), for explanations. */
  text: string;
  tokens: string[];
  spans: SpanForms[];
  /** Per token, set when an earlier reading already scored it: it counts in the ideal only. */
  counted?: boolean[];
}

function addForm(forms: Alternative[], literal: string, tokens: string[], weight: number): void {
  const key = tokens.join(' ');
  if (key === literal) return;
  const existing = forms.find((form) => form.tokens.join(' ') === key);
  if (existing) existing.weight = Math.max(existing.weight, weight);
  else forms.push({ tokens, weight });
}

/** What an edition teaches about spellings: the acronyms its papers define, the stage compounds they hyphenate. */
export interface EditionSpellings {
  acronyms: AcronymTable;
  stageHeads: ReadonlyMap<string, string>;
}

/** Every other spelling of `span` we know: listed synonyms, then what the edition's papers define. */
function formsFor(span: string[], { acronyms, stageHeads }: EditionSpellings): Alternative[] {
  const literal = span.join(' ');
  const group = SYNONYMS.get(literal);
  const forms: Alternative[] = [];
  if (group) {
    for (const form of group.forms) addForm(forms, literal, form, 1);
    for (const form of group.broader) addForm(forms, literal, form, BROADER_WEIGHT);
  }
  // "pretraining" is a kind of training: the head is weaker evidence, like a broader form.
  const head = span.length === 1 ? stageHeads.get(span[0]!) : undefined;
  if (head) addForm(forms, literal, [head], BROADER_WEIGHT);
  for (const form of group ? group.forms : [span]) {
    if (form.length === 1) {
      for (const expansion of acronyms.expansions.get(form[0]!) ?? []) addForm(forms, literal, expansion, 1);
    } else {
      const acronym = acronyms.abbreviations.get(form.join(' '));
      if (acronym) addForm(forms, literal, [acronym], 1);
    }
  }
  return forms;
}

/** Words joining coordinated parts of one interest: "image & video editing", "OCR and parsing". */
const CONJUNCTION = /\s*(?:&|\/|\+)\s*|\s+(?:and|or)\s+/i;

/**
 * The readings of an interest with a coordination in it. "image & video editing" shares
 * its head: "image editing", "video editing"; "document OCR and parsing" shares its
 * modifier: "document OCR", "document parsing"; "code generation and coding agents" is
 * two phrases. Without a conjunction the interest is its only reading.
 */
export function readings(text: string): string[] {
  return coordination(text).readings;
}

/** The readings, and whether they are the parts as written (no head or modifier shared out among them). */
function coordination(text: string): { readings: string[]; asWritten: boolean } {
  const pieces = text.split(CONJUNCTION);
  // Most interests join nothing: no part to tokenize (buildQuery tokenizes the reading anyway).
  if (pieces.length < 2) return { readings: [text], asWritten: false };
  const parts = pieces.map((part) => part.trim()).filter((part) => tokenize(part).length > 0);
  if (parts.length < 2) return { readings: [text], asWritten: false };
  const words = parts.map((part) => part.split(/\s+/));
  const last = words[words.length - 1]!;
  const first = words[0]!;
  const singles = (list: string[][]) => list.every((part) => part.length === 1);
  if (last.length > 1 && singles(words.slice(0, -1))) {
    // "image & video editing": each single word takes the last part's head.
    const shared = [
      ...words.slice(0, -1).map((part) => [...part, ...last.slice(1)].join(' ')),
      last.join(' '),
    ];
    return { readings: shared, asWritten: false };
  }
  if (first.length > 1 && singles(words.slice(1))) {
    // "document OCR and parsing": each single word takes the first part's modifiers.
    const shared = [
      first.join(' '),
      ...words.slice(1).map((part) => [...first.slice(0, -1), ...part].join(' ')),
    ];
    return { readings: shared, asWritten: false };
  }
  return { readings: parts, asWritten: true };
}

/**
 * The queries of an interest, one per reading. A head or modifier shared out among the
 * readings ("document" in "document OCR and parsing") is what each of them is about, and
 * counts in each; but readings written as separate phrases that happen to share a word
 * ("code" in "code generation and coding agents") would count a paper that has only that
 * word twice, so there the word counts in the first reading that has it.
 */
export function buildQueries(text: string, spellings: EditionSpellings): InterestQuery[] {
  // Readings that stem alike ("robot / robotic") would count one topic twice.
  const seen = new Set<string>();
  const { readings, asWritten } = coordination(text);
  const scored = new Set<string>();
  return readings
    .map((reading) => buildQuery(reading, spellings))
    .filter((query) => {
      const key = query.tokens.join(' ');
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((query) => {
      if (!asWritten) return query;
      const counted = query.tokens.map((token) => scored.has(token));
      for (const token of query.tokens) scored.add(token);
      return counted.some(Boolean) ? { ...query, counted } : query;
    });
}

/**
 * The queries of interests (and of single readings) built in an edition, by kind and text
 * as written (a reading's text is shown in reasons). The scorer builds an interest's
 * queries, then the reasons of every digest paper with that interest built them again,
 * which was a fifth of a subscriber's ranking at 300 candidates. Shared, so read-only.
 */
const builtQueries = editionMemo<InterestQuery[]>(4_000, (queries) => queries.length);

/** `buildQueries` of the edition's spellings, built once per edition and text. */
export function queriesOf(index: EditionIndex, text: string): readonly InterestQuery[] {
  return builtQueries(index, `*${text}`, () => buildQueries(text, index));
}

/** `buildQuery` of the edition's spellings, built once per edition and text. */
export function queryOf(index: EditionIndex, text: string): InterestQuery {
  return builtQueries(index, `1${text}`, () => [buildQuery(text, index)])[0]!;
}

export function buildQuery(text: string, spellings: EditionSpellings): InterestQuery {
  const tokens = tokenize(text);
  const spans: SpanForms[] = [];
  for (let from = 0; from < tokens.length; from++) {
    for (let to = from + 1; to <= Math.min(tokens.length, from + MAX_SPAN); to++) {
      const forms = formsFor(tokens.slice(from, to), spellings);
      if (forms.length > 0) spans.push({ from, to, forms });
    }
  }
  return { text, tokens, spans };
}
