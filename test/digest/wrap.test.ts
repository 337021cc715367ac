/**
 * The plain-text wrap (emails/_components/wrap.ts): lines of at most 78 characters, as
 * RFC 5322 asks, made only by turning spaces into line breaks (and, in Chinese and
 * Japanese, by breaking between two characters where punctuation allows), so the text
 * reads the same; a URL or other unbreakable run longer than a line stands whole alone.
 */
import { describe, expect, it } from 'vitest';
import { type Hole, wrapLine, wrapText } from '../../emails/_components/wrap';
import { seededRandom } from '../factories';

const chars = (line: string) => [...line].length;
const words = (text: string) => text.split(/\s+/).filter(Boolean);

describe('wrapText', () => {
  it('leaves short lines, blank lines and line ends as they are', () => {
    const text = 'Papers Digest\n\nThursday, 26 November 2026\n';
    expect(wrapText(text)).toBe(text);
    expect(wrapLine('x'.repeat(78))).toBe('x'.repeat(78));
  });

  it('breaks prose at spaces into lines of at most 78 characters, first fit', () => {
    const prose =
      'Multilingual language model (LM) have become a powerful tool in NLP especially for non-English languages. Nevertheless, model parameters of multilingual LMs remain large due to the larger embedding matrix.';
    const lines = wrapLine(prose).split('\n');
    expect(lines.length).toBe(3);
    for (const line of lines) expect(chars(line)).toBeLessThanOrEqual(78);
    // First fit: the next line's first word would not have fitted on the line before.
    for (let index = 1; index < lines.length; index++) {
      expect(chars(lines[index - 1]!) + 1 + chars(words(lines[index]!)[0]!)).toBeGreaterThan(78);
    }
    expect(lines.join(' ')).toBe(prose);
  });

  it('puts a URL longer than a line whole on a line of its own', () => {
    const url = `https://github.com/an-organisation/${'a-long-repository-name-'.repeat(5)}?tab=readme&x=1`;
    const line = `arXiv https://arxiv.org/abs/2411.10000 · PDF https://arxiv.org/pdf/2411.10000 · Code ${url} · Hugging Face https://huggingface.co/papers/2411.10000`;
    const lines = wrapLine(line).split('\n');
    expect(lines).toContain(url);
    for (const wrapped of lines) if (wrapped !== url) expect(chars(wrapped)).toBeLessThanOrEqual(78);
    expect(lines.join(' ')).toBe(line);
  });

  it('breaks Chinese and Japanese between characters, never before closing punctuation', () => {
    const japanese = `${'大規模言語モデルの強化学習による推論能力の向上と評価、'.repeat(12)}。`;
    const title = `${japanese} https://huggingface.co/papers/2411.10000`;
    const lines = wrapLine(title).split('\n');
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) {
      expect(chars(line)).toBeLessThanOrEqual(78);
      expect(line).not.toMatch(/^[、。]/);
    }
    // Only line breaks were added (one maybe for the space before the URL).
    expect(lines.join('').replace(' ', '')).toBe(title.replace(' ', ''));
    expect(lines.at(-1)).toMatch(/ https:\/\/huggingface\.co\/papers\/2411\.10000$/);
  });

  it('counts an emoji as one character and never splits it', () => {
    const line = `👍 ${'🚀'.repeat(40)} ${'🚀'.repeat(40)}`;
    const lines = wrapLine(line).split('\n');
    expect(lines).toEqual([`👍 ${'🚀'.repeat(40)}`, '🚀'.repeat(40)]);
  });

  it('wraps a line with a hole as it wraps the line once the hole is filled', () => {
    // The digest wraps its 👍/👎 line before the digest's token is known (src/digest).
    const placeholder = 'HOLE';
    const line = `👍 More like this https://d.test/feedback?token=${placeholder}&paper=1&vote=up 👎 Less like this https://d.test/feedback?token=${placeholder}&paper=1&vote=down`;
    const breaks = new Set<string>();
    for (let chars = 1; chars <= 120; chars++) {
      const token = 't'.repeat(chars);
      const wrapped = wrapLine(line, [{ placeholder, chars }]);
      expect(wrapped.replaceAll(placeholder, token)).toBe(wrapLine(line.replaceAll(placeholder, token)));
      breaks.add(wrapped);
    }
    // The token's length moved the breaks (URL beside its label, or on its own line).
    expect(breaks.size).toBeGreaterThan(3);
    // Short once filled, or short with the placeholder and long once filled.
    expect(wrapLine('a HOLE b', [{ placeholder, chars: 2 }])).toBe('a HOLE b');
    expect(wrapLine('a HOLE b', [{ placeholder, chars: 80 }])).toBe('a\nHOLE\nb');
  });
});

/**
 * `wrapLine` as it was before it scanned the line by indexes (a string per word, a copy of
 * 2863bcf): the digest's text part must not change by a byte, so the new scan is checked
 * against it on lines made to hit every rule at once.
 */
function referenceWrapLine(line: string, holes?: readonly Hole[]): string {
  const WIDE =
    /[\u2e80-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/;
  const NO_START =
    /[、。，．：；？！）」』】〕〉》〙〛ー々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ・）］｝,.:;?!)\]}%”’]/;
  const NO_END = /[（「『【〔〈《〘〚（［｛(“‘]/;
  const breakAt = (chars: readonly string[], room: number): number => {
    for (let cut = Math.min(room, chars.length - 1); cut > 0; cut--) {
      const before = chars[cut - 1]!;
      const after = chars[cut]!;
      if ((WIDE.test(before) || WIDE.test(after)) && !NO_START.test(after) && !NO_END.test(before))
        return cut;
    }
    return 0;
  };
  const holeStretch = (word: string): number => {
    let stretch = 0;
    for (const { placeholder, chars } of holes ?? []) {
      for (
        let at = word.indexOf(placeholder);
        at >= 0;
        at = word.indexOf(placeholder, at + placeholder.length)
      )
        stretch += chars - placeholder.length;
    }
    return stretch;
  };
  const charCount = (word: string): number => {
    let count = 0;
    for (let index = 0; index < word.length; index++) {
      const code = word.charCodeAt(index);
      if (code < 0xdc00 || code > 0xdfff) count++;
    }
    return count;
  };
  if (line.length <= 78 && !holes) return line;
  const count = /[\ud800-\udfff]/.test(line) ? charCount : (word: string) => word.length;
  const charsOf = holes ? (word: string) => count(word) + holeStretch(word) : count;
  const lines: string[] = [];
  let current: string | null = null;
  let width = 0;
  for (const word of line.split(' ')) {
    const length = charsOf(word);
    if (current !== null && width + 1 + length <= 78) {
      current += ` ${word}`;
      width += 1 + length;
      continue;
    }
    if (length <= 78 || !WIDE.test(word)) {
      if (current !== null) lines.push(current);
      current = word;
      width = length;
      continue;
    }
    let rest = [...word];
    const head = breakAt(rest, current === null ? 78 : 78 - width - 1);
    if (head > 0) {
      current =
        current === null ? rest.slice(0, head).join('') : `${current} ${rest.slice(0, head).join('')}`;
      rest = rest.slice(head);
    }
    if (current !== null) lines.push(current);
    while (rest.length > 78) {
      const cut = breakAt(rest, 78) || rest.length;
      lines.push(rest.slice(0, cut).join(''));
      rest = rest.slice(cut);
    }
    current = rest.length > 0 ? rest.join('') : null;
    width = rest.length;
  }
  if (current !== null) lines.push(current);
  return lines.join('\n');
}

const PLACEHOLDER = 'PDSLOTabcdefghijtokenZ';

/**
 * A line of pieces drawn with `random`, each run a rule of the wrap meets: words of every
 * length around a line's (77–80 characters), URLs longer than a line, runs of Chinese and
 * Japanese with their punctuation, emoji and other surrogate pairs (one lone), combining
 * marks, tabs, runs of spaces, spaces at either end, and link-token placeholders.
 */
function randomLine(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const repeat = (text: string, times: number) => text.repeat(Math.max(0, times));
  const letters = (count: number) =>
    Array.from({ length: count }, () => pick([...'abcdefghijklmnopqrstuvwxyz0123456789-.,;:!?()%'])).join('');
  const cjk = () =>
    Array.from({ length: 1 + Math.floor(random() * 120) }, () =>
      pick([
        ...'大規模言語モデルの強化学習による推論能力向上と評価基于多模态规划한국어문장',
        ...'、。，「」『』（）ーっャ・🚀𠮷',
      ]),
    ).join('');
  const pieces = [
    () => letters(1 + Math.floor(random() * 12)),
    () => letters(76 + Math.floor(random() * 6)),
    () => letters(78),
    () => letters(79),
    () => `https://example.org/${letters(Math.floor(random() * 110))}?q=${letters(5)}`,
    () => `https://d.test/feedback?token=${PLACEHOLDER}&paper=${letters(4)}&vote=up`,
    () => `${PLACEHOLDER}${random() < 0.5 ? PLACEHOLDER : ''}`,
    cjk,
    () => `${letters(3)}${cjk()}`,
    () => repeat('🚀', Math.floor(random() * 90)),
    () => `𝔸𝔹${letters(2)}👍🏽`,
    () => '\ud83d',
    () => `e\u0301${letters(3)}\u0308\u0301`,
    () => '\t',
    () => `${letters(4)}\t${letters(4)}`,
    () => '',
    () => '  ',
  ];
  const count = Math.floor(random() * 40);
  const line = Array.from({ length: count }, () => pick(pieces)()).join(
    random() < 0.8 ? ' ' : pick(['', '  ']),
  );
  return random() < 0.1 ? ` ${line} ` : line;
}

describe('wrapLine, scanned by indexes', () => {
  it('wraps 10,000 random lines, with and without holes, exactly as the string-per-word wrap did', () => {
    const random = seededRandom(20261204);
    let broken = 0;
    let wide = 0;
    for (let run = 0; run < 10_000; run++) {
      const line = randomLine(random);
      const holes =
        random() < 0.4 ? [{ placeholder: PLACEHOLDER, chars: Math.floor(random() * 130) }] : undefined;
      const wrapped = wrapLine(line, holes);
      // Reported as JSON: a lone surrogate would not survive the test runner's report.
      if (wrapped !== referenceWrapLine(line, holes)) {
        expect(JSON.stringify({ line, holes, wrapped })).toBe(
          JSON.stringify({ line, holes, wrapped: referenceWrapLine(line, holes) }),
        );
      }
      if (wrapped !== line) broken++;
      if (/[\u3040-\u30ff\u4e00-\u9fff、。」]\n[\u3040-\u30ff\u4e00-\u9fff「]/.test(wrapped)) wide++;
    }
    // The lines met the rules: most broken, many between Chinese or Japanese characters.
    expect(broken).toBeGreaterThan(7_000);
    expect(wide).toBeGreaterThan(3_000);
  });

  it('keeps lines of exactly 78 characters and breaks those of 79, in code units or in characters', () => {
    for (const line of ['a'.repeat(78), `${'a'.repeat(39)} ${'b'.repeat(38)}`, `${'🚀'.repeat(76)} x`]) {
      expect(wrapLine(line)).toBe(line);
      expect(wrapLine(line)).toBe(referenceWrapLine(line));
    }
    for (const line of [
      `${'a'.repeat(39)} ${'b'.repeat(39)}`,
      `${'🚀'.repeat(76)} xy`,
      `x ${'大'.repeat(77)}`,
    ]) {
      expect(wrapLine(line)).not.toBe(line);
      expect(wrapLine(line)).toBe(referenceWrapLine(line));
    }
    const holes = [{ placeholder: PLACEHOLDER, chars: 1 }];
    const fits = `${'a'.repeat(76)} ${PLACEHOLDER}`;
    expect(wrapLine(fits, holes)).toBe(fits);
    expect(wrapLine(`${fits}x`, holes)).toBe(`${'a'.repeat(76)}\n${PLACEHOLDER}x`);
  });
});
