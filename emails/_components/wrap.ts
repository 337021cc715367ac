/**
 * The plain-text part of an email wrapped at 78 characters a line, as RFC 5322 2.1.1 asks
 * (SHOULD; 998 is the MUST, which fold.ts keeps): html-to-text writes each paragraph as one
 * line, and a plain-text client shows such a line as it comes, as wide as it is, or folds
 * it wherever the window ends. A line is broken at its spaces, fewest lines first-fit, and
 * no word is cut: a URL (or any other run without a space) longer than a line stands whole
 * on a line of its own, where a client can still open it. Chinese and Japanese put no space
 * between words, so a run of their characters breaks between two of them, but never before
 * closing punctuation (、。」) nor after opening (「): a line does not start with a comma.
 * Lines already short enough, most of them, are returned as they are.
 *
 * The digest wraps its text part ahead of time (src/digest/text-lines.ts), with link
 * tokens still holes: `Hole` lets a line be wrapped as it will be once its holes are filled.
 */

/** Characters a line, the line break aside (RFC 5322 2.1.1). */
export const TEXT_LINE_CHARS = 78;

/** Han, kana, Hangul syllables, CJK punctuation and full-width forms: a break may fall between two. */
const WIDE = /[\u2e80-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/;
/** No line starts with these (closing punctuation, small kana, the prolonged sound mark). */
const NO_START =
  /[、。，．：；？！）」』】〕〉》〙〛ー々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ・）］｝,.:;?!)\]}%”’]/;
/** No line ends with these (opening punctuation). */
const NO_END = /[（「『【〔〈《〘〚（［｛(“‘]/;

/**
 * A placeholder in a line, and how many characters its value will have: the line breaks
 * where it will once filled, if the value has no space and none of the characters that
 * break between them (`hasWide`), as a link token.
 */
export interface Hole {
  placeholder: string;
  chars: number;
}

/** `text` with each of its lines wrapped at TEXT_LINE_CHARS. */
export function wrapText(text: string): string {
  return text
    .split('\n')
    .map((line) => wrapLine(line))
    .join('\n');
}

const SURROGATE = /[\ud800-\udfff]/;

/** Whether `text` has characters a line may break between (Chinese, Japanese, Korean). */
export const hasWide = (text: string): boolean => WIDE.test(text);

/** One line, wrapped (see above); the placeholders of `holes` counted as their values will be. */
export function wrapLine(line: string, holes?: readonly Hole[]): string {
  // Code units bound characters from above: a line this short is short in characters too.
  if (line.length <= TEXT_LINE_CHARS && !holes) return line;
  // Without surrogate pairs (emoji, math letters) a word's characters are its code units:
  // most lines, and the digest wraps a few per card.
  const count = SURROGATE.test(line) ? charCount : (word: string) => word.length;
  const charsOf = holes ? (word: string) => count(word) + holeStretch(word, holes) : count;
  const lines: string[] = [];
  // The line being filled (null: none yet) and its characters.
  let current: string | null = null;
  let width = 0;
  for (const word of line.split(' ')) {
    const length = charsOf(word);
    if (current !== null && width + 1 + length <= TEXT_LINE_CHARS) {
      current += ` ${word}`;
      width += 1 + length;
      continue;
    }
    if (length <= TEXT_LINE_CHARS || !WIDE.test(word)) {
      // Fits a line of its own, or cannot be broken (a URL, a long name): a line of its own.
      if (current !== null) lines.push(current);
      current = word;
      width = length;
      continue;
    }
    // A long run of Chinese or Japanese: fill the current line, then whole lines, from it.
    let rest = [...word];
    const head = breakAt(rest, current === null ? TEXT_LINE_CHARS : TEXT_LINE_CHARS - width - 1);
    if (head > 0) {
      current =
        current === null ? rest.slice(0, head).join('') : `${current} ${rest.slice(0, head).join('')}`;
      rest = rest.slice(head);
    }
    if (current !== null) lines.push(current);
    while (rest.length > TEXT_LINE_CHARS) {
      const cut = breakAt(rest, TEXT_LINE_CHARS) || rest.length;
      lines.push(rest.slice(0, cut).join(''));
      rest = rest.slice(cut);
    }
    current = rest.length > 0 ? rest.join('') : null;
    width = rest.length;
  }
  if (current !== null) lines.push(current);
  return lines.join('\n');
}

/**
 * How many of `chars` go on a line of `room` characters: the most that end between two
 * wide characters and keep punctuation where it belongs; 0 if there is no such place.
 */
function breakAt(chars: readonly string[], room: number): number {
  for (let cut = Math.min(room, chars.length - 1); cut > 0; cut--) {
    const before = chars[cut - 1]!;
    const after = chars[cut]!;
    if ((WIDE.test(before) || WIDE.test(after)) && !NO_START.test(after) && !NO_END.test(before)) return cut;
  }
  return 0;
}

/** How many more characters `word` has once its holes are filled. */
function holeStretch(word: string, holes: readonly Hole[]): number {
  let stretch = 0;
  for (const { placeholder, chars } of holes) {
    for (let at = word.indexOf(placeholder); at >= 0; at = word.indexOf(placeholder, at + placeholder.length))
      stretch += chars - placeholder.length;
  }
  return stretch;
}

/** Characters (code points), not UTF-16 code units: an emoji is one. */
function charCount(word: string): number {
  let count = 0;
  for (let index = 0; index < word.length; index++) {
    const code = word.charCodeAt(index);
    if (code < 0xdc00 || code > 0xdfff) count++;
  }
  return count;
}
