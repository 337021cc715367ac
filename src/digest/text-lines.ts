/**
 * The digest's text part wrapped at 78 characters (emails/_components/wrap.ts, the same
 * wrap as the notice emails and as the reference render: reference.ts wraps its whole
 * text), made ahead of time rather than per email, where wrapping a whole digest costs
 * several times the rest of its text. The wrap works line by line, so a template's lines
 * can be wrapped apart: a line without holes once per edition (layout) or per card, a card's
 * why line once per set of reasons (the assembler's memo, which wraps it with WHY_PREFIX),
 * its 👍/👎 line once per card and length of digest token (the holes are tokens: no spaces,
 * so only their length moves a break), and the few layout lines with the subscriber's
 * words in them (the count, the address, the interests, the signed links) per email.
 */
import { WHY_PREFIX } from '../../emails/_components/paper-card';
import { hasWide, wrapLine } from '../../emails/_components/wrap';
import { fill, slot, type Template } from './template';

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

/** Each layout line (a template over the layout's values) filled with `values` and wrapped. */
export function wrapLines(lines: readonly Template[], values: readonly string[]): string[] {
  return lines.map((line) => wrapLine(fill(line, values)));
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
      return wrapLine(line, { placeholder: token, chars: tokenChars });
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
