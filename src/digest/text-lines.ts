/**
 * The digest's text part wrapped at 78 characters (emails/_components/wrap.ts, the same
 * wrap as the notice emails and as the reference render: reference.ts wraps its whole
 * text), made ahead of time rather than per email, where wrapping a whole digest costs
 * several times the rest of its text. The wrap works line by line, so a template's lines
 * can be wrapped apart: a line without holes once per edition (layout) or per card, a card's
 * why line once per set of reasons (the assembler's memo, which wraps it with WHY_PREFIX),
 * its 👍/👎 line once per card and length of digest token (the holes are tokens: no spaces,
 * so only their length moves a break), and the five layout lines with the subscriber's
 * words in them (the count, the address, the interests, the signed links) per email, but
 * for those whose holes are tokens, an address or a count: wrapped once per their lengths.
 */
import { WHY_PREFIX } from '../../emails/_components/paper-card';
import { type Hole, hasWide, wrapLine } from '../../emails/_components/wrap';
import { asciiJsonInner } from '../lib/json';
import { bind, compile, fill, slot, type Template } from './template';

function cannotWrap(what: string): never {
  throw new Error(`digest text cannot be wrapped ahead: ${what}`);
}

/**
 * A layout's text with its lines that have no holes wrapped, and each line that has one
 * replaced by a hole of its own (`line0`, `line1`, … numbered on from `lines`, where the
 * line is added): the assembler fills and wraps those per email (`wrapLines`).
 */
export function wrapLayoutText(text: string, marker: string, lines: string[]): string {
  return text
    .split('\n')
    .map((line) => {
      if (!line.includes(marker)) return wrapLine(line);
      const hole = slot(marker, `line${lines.length}`);
      lines.push(line);
      return hole;
    })
    .join('\n');
}

/** The names of the line holes `wrapLayoutText` made for `lines`. */
export const lineSlots = (lines: readonly unknown[]): string[] => lines.map((_, index) => `line${index}`);

/**
 * How a layout hole's value moves the breaks of its line: by its length alone (a `word`,
 * such as a token: no space, none of the characters that break between them), by what it
 * says (a `label` of a few values, the count), or anyhow (`prose`, the interests).
 */
export type HoleKind = 'word' | 'label' | 'prose';

/**
 * A layout line with per-subscriber holes, wrapped per email: once per lengths of its
 * words and values of its labels (kept, a few), or, with prose in it, each time. Filled
 * per email as a string of JSON: its pieces are a few short strings joined, where bytes
 * would be a buffer of its own per line and email, which costs more to allocate (and to
 * collect, in an isolate holding a large edition) than the line costs to copy.
 */
export class LayoutLine {
  private readonly template: Template;
  private readonly prose: boolean;
  private readonly made = new Map<string, Template>();

  constructor(
    source: string,
    private readonly marker: string,
    private readonly names: readonly string[],
    private readonly kinds: readonly HoleKind[],
  ) {
    this.template = bind(compile(source, marker), {}, names);
    this.prose = hasWide(source) || this.template.slots.some((index) => kinds[index] === 'prose');
  }

  /**
   * The line filled with `values` (by hole, as text) and wrapped, as a piece of a JSON
   * string literal (ASCII); `words` are the word holes' values as such pieces.
   */
  json(values: readonly string[], words: readonly string[]): string {
    if (this.prose) return this.wrapped(values);
    let key = '';
    for (const index of this.template.slots) {
      const value = values[index]!;
      // A label breaks at its spaces only if it has no Chinese or Japanese.
      if (hasWide(value) || (this.kinds[index] === 'word' && value.includes(' ')))
        return this.wrapped(values);
      key += this.kinds[index] === 'word' ? `${value.length} ` : `${value}\u0000`;
    }
    let line = this.made.get(key);
    if (line === undefined) {
      line = this.make(values);
      if (this.made.size >= 64) this.made.clear();
      this.made.set(key, line);
    }
    return fill(line, words);
  }

  private wrapped(values: readonly string[]): string {
    return asciiJsonInner(wrapLine(fill(this.template, values)));
  }

  /**
   * The line wrapped for these lengths of words, its labels in, its words still holes; its
   * parts as pieces of a JSON string literal.
   */
  private make(values: readonly string[]): Template {
    const holes: Hole[] = [];
    const filled = this.names.map((name, index) => {
      if (this.kinds[index] !== 'word') return values[index]!;
      const placeholder = slot(this.marker, name);
      holes.push({ placeholder, chars: values[index]!.length });
      return placeholder;
    });
    const wrapped = wrapLine(fill(this.template, filled), holes);
    const { parts, slots } = bind(compile(wrapped, this.marker), {}, this.names);
    return { parts: parts.map(asciiJsonInner), slots };
  }
}

/**
 * A card's text, holes `why` and `token` in it, wrapped as it will be for digest tokens of
 * `tokenChars` characters: the why line becomes the `why` hole alone (its value is the
 * whole line, WHY_PREFIX and all, wrapped), the 👍/👎 line is broken where it will be once
 * its tokens are in, every other line is wrapped as it is.
 */
export function wrapCardText(text: string, marker: string, tokenChars: number): string {
  const why = slot(marker, 'why');
  const token = slot(marker, 'token');
  return text
    .split('\n')
    .map((line) => {
      if (!line.includes(marker)) return wrapLine(line);
      if (line === WHY_PREFIX + why) return why;
      // Tokens are base64url and dots, in URLs of ASCII: no character that breaks apart.
      if (line.includes(why) || line.replaceAll(token, '').includes(marker) || hasWide(line))
        cannotWrap(`a card line with holes other than its links' tokens: ${line}`);
      return wrapLine(line, [{ placeholder: token, chars: tokenChars }]);
    })
    .join('\n');
}

/** A card's why line as the text part shows it: its own line, wrapped. */
export const whyLine = (why: string): string => wrapLine(`${WHY_PREFIX}${why}`);

/**
 * Templates are joined at line ends (a card's text starts and ends a line, the layout
 * around it ends and starts one): wrapping each piece is wrapping the whole.
 */
export function requireLineEnds(before: string, after: string, what: string): void {
  if (!before.endsWith('\n') || !after.startsWith('\n')) cannotWrap(`${what} does not start a line`);
}
