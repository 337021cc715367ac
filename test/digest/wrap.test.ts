/**
 * The plain-text wrap (emails/_components/wrap.ts): lines of at most 78 characters, as
 * RFC 5322 asks, made only by turning spaces into line breaks (and, in Chinese and
 * Japanese, by breaking between two characters where punctuation allows), so the text
 * reads the same; a URL or other unbreakable run longer than a line stands whole alone.
 */
import { describe, expect, it } from 'vitest';
import { wrapLine, wrapText } from '../../emails/_components/wrap';

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
