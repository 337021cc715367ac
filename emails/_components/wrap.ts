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

/** Whether `text` has characters a line may break between (Chinese, Japanese, Korean). */
export const hasWide = (text: string): boolean => WIDE.test(text);

const SPACE = 0x20;

/**
 * One line, wrapped (see above); the placeholders of `holes` counted as their values will be.
 *
 * Every line it makes is a piece of `line` as it stands (words keep the spaces between them,
 * a break replaces a space or falls between two characters), so it scans `line` by index
 * and cuts it only where a line ends: a string per line made, not one per word. The digest
 * wraps a few lines per card and per email with it (src/digest/text-lines.ts).
 */
export function wrapLine(line: string, holes?: readonly Hole[]): string {
  // Code units bound characters from above: a line this short is short in characters too.
  if (line.length <= TEXT_LINE_CHARS && !holes) return line;
  const stretches = holes ? holeStretches(line, holes) : NO_STRETCHES;
  let stretchAt = 0;
  // The lines made so far, each followed by a line break.
  let done = '';
  // The line being filled: line.slice(start, end) (start -1: none yet), and its characters.
  let start = -1;
  let end = 0;
  let width = 0;
  // The words between spaces, as `line.split(' ')` has them (empty ones too).
  for (let from = 0; from <= line.length; ) {
    let to = from;
    // Characters (code points, not UTF-16 code units: an emoji is one).
    let length = 0;
    for (; to < line.length; to++) {
      const code = line.charCodeAt(to);
      if (code === SPACE) break;
      if (code < 0xdc00 || code > 0xdfff) length++;
    }
    // A placeholder has no space: it lies in the word it starts in.
    for (; stretchAt < stretches.length && stretches[stretchAt]! < to; stretchAt += 2)
      length += stretches[stretchAt + 1]!;
    if (start >= 0 && width + 1 + length <= TEXT_LINE_CHARS) {
      end = to;
      width += 1 + length;
    } else if (length <= TEXT_LINE_CHARS || !WIDE.test(line.slice(from, to))) {
      // Fits a line of its own, or cannot be broken (a URL, a long name): a line of its own.
      if (start >= 0) done += `${line.slice(start, end)}\n`;
      start = from;
      end = to;
      width = length;
    } else {
      // A long run of Chinese or Japanese: fill the current line, then whole lines, from it.
      let rest = [...line.slice(from, to)];
      let restAt = from;
      const head = breakAt(rest, start < 0 ? TEXT_LINE_CHARS : TEXT_LINE_CHARS - width - 1);
      if (head > 0) {
        // The current line ends at the space before this word: it goes on, space and all.
        if (start < 0) start = from;
        restAt += codeUnits(rest, head);
        end = restAt;
        rest = rest.slice(head);
      }
      if (start >= 0) done += `${line.slice(start, end)}\n`;
      while (rest.length > TEXT_LINE_CHARS) {
        const cut = breakAt(rest, TEXT_LINE_CHARS) || rest.length;
        const cutAt = restAt + codeUnits(rest, cut);
        done += `${line.slice(restAt, cutAt)}\n`;
        restAt = cutAt;
        rest = rest.slice(cut);
      }
      start = rest.length > 0 ? restAt : -1;
      end = to;
      width = rest.length;
    }
    from = to + 1;
  }
  if (start < 0) return done.slice(0, -1);
  // Nothing broken: the line itself, not a copy.
  return done === '' && start === 0 && end === line.length ? line : done + line.slice(start, end);
}

const NO_STRETCHES: readonly number[] = [];

/**
 * Where the placeholders of `holes` start in `line`, in order, each with how many more
 * characters its value has: [start, stretch, start, stretch, …]. A placeholder with a
 * space in it is in no word, so it stretches none (as a word's `indexOf` would not find it).
 */
function holeStretches(line: string, holes: readonly Hole[]): number[] {
  const found: [number, number][] = [];
  for (const { placeholder, chars } of holes) {
    if (placeholder === '' || placeholder.includes(' ')) continue;
    for (let at = line.indexOf(placeholder); at >= 0; at = line.indexOf(placeholder, at + placeholder.length))
      found.push([at, chars - placeholder.length]);
  }
  found.sort((a, b) => a[0] - b[0]);
  return found.flat();
}

/** The UTF-16 code units of the first `count` of `chars`. */
function codeUnits(chars: readonly string[], count: number): number {
  let units = 0;
  for (let index = 0; index < count; index++) units += chars[index]!.length;
  return units;
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
