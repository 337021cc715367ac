/**
 * Acronyms the papers of an edition define themselves: "Mixture-of-Experts (MoE)",
 * "optical character recognition (OCR)". Every field coins new ones faster than any list
 * can follow, and the paper that uses "MoE" throughout usually spells it out once, so an
 * edition teaches us which acronym means which words. The long form is found with the
 * Schwartz & Hearst (2003) idea, made stricter:
 * the short form's capitals must start the preceding words, in order.
 */
import { tokenize } from './text';

export interface AcronymTable {
  /** Acronym token ("moe") -> long forms as token streams, most often defined first. */
  expansions: Map<string, string[][]>;
  /** Long form key ("mixtur expert") -> acronym token. */
  abbreviations: Map<string, string>;
}

const DEFINITION = /\(\s*([A-Za-z][A-Za-z0-9-]{1,9})\s*\)/g;
const MAX_EXPANSIONS = 2;

/** The short form's own letters, with a trailing plural "s" dropped ("LLMs" -> "LLM"). */
function shortForm(raw: string): string | null {
  const singular = /[A-Z0-9]s$/.test(raw) ? raw.slice(0, -1) : raw;
  const uppers = singular.replace(/[^A-Z]/g, '').length;
  // "(see)" or "(Fig)" are not acronyms; at least two capitals or a capital after a lower.
  if (uppers < 2 && !/[a-z][A-Z]/.test(singular)) return null;
  return singular;
}

/** Little words a long form may contain without a letter in the acronym ("mixture of experts"). */
const LINKING = new Set([
  'of',
  'for',
  'and',
  'the',
  'in',
  'with',
  'to',
  'from',
  'via',
  'on',
  'by',
  'a',
  'an',
]);

/**
 * The long form ending just before the parenthesis whose words start with the short
 * form's capitals, in order (Schwartz & Hearst, 2003, made stricter: every capital must
 * start a word, so "Reward Model" is not taken for "RRM"). Lower-case letters and digits
 * of the short form may sit inside words ("MoE", "LoRA", "ViT"); linking words may be
 * skipped.
 */
export function longFormFor(short: string, words: readonly string[]): string | null {
  const capitals = short.replace(/[^A-Z]/g, '').toLowerCase();
  if (capitals.length < 2) return null;
  let needed = capitals.length - 1;
  for (let index = words.length - 1; index >= 0; index--) {
    const word = words[index]!;
    const lower = word.toLowerCase();
    if (LINKING.has(lower) && index < words.length - 1) continue;
    if (lower.replace(/[^a-z0-9]/g, '').charAt(0) !== capitals[needed]) return null;
    if (needed === 0) {
      const long = words.slice(index).join(' ');
      return long.length > short.length ? long : null;
    }
    needed--;
  }
  return null;
}

/**
 * Acronyms an edition defines, collected text by text (`add`, so no caller holds every
 * text at once), then counted into a table (`table`).
 */
export class AcronymMiner {
  private readonly counts = new Map<string, Map<string, { tokens: string[]; count: number }>>();

  add(text: string): void {
    const counts = this.counts;
    for (const match of text.matchAll(DEFINITION)) {
      const short = shortForm(match[1]!);
      if (!short) continue;
      const before = text.slice(Math.max(0, match.index! - 200), match.index!);
      const words = before
        .split(/[\s-]+/)
        .filter(Boolean)
        .slice(-Math.min(short.length + 5, short.length * 2));
      // A sentence boundary ends the search: the long form never spans two sentences.
      const lastStop = words.findLastIndex((word) => /[.;:!?]$/.test(word));
      const long = longFormFor(short, words.slice(lastStop + 1));
      if (!long) continue;
      const acronym = tokenize(short);
      const tokens = tokenize(long);
      if (acronym.length !== 1 || tokens.length < 2) continue;
      const key = acronym[0]!;
      const forms = counts.get(key) ?? new Map();
      const entry = forms.get(tokens.join(' ')) ?? { tokens, count: 0 };
      entry.count++;
      forms.set(tokens.join(' '), entry);
      counts.set(key, forms);
    }
  }

  table(): AcronymTable {
    const counts = this.counts;
    const expansions = new Map<string, string[][]>();
    const abbreviations = new Map<string, string>();
    for (const [acronym, forms] of counts) {
      const best = [...forms.values()].sort((a, b) => b.count - a.count).slice(0, MAX_EXPANSIONS);
      expansions.set(
        acronym,
        best.map((form) => form.tokens),
      );
      for (const form of best) {
        const key = form.tokens.join(' ');
        if (!abbreviations.has(key)) abbreviations.set(key, acronym);
      }
    }
    return { expansions, abbreviations };
  }
}
