/**
 * The interests field as people actually fill it in: pasted bulleted or numbered lists,
 * several arXiv categories in one entry, an "authors:" list, and non-Latin text, each
 * read into the topics, categories and authors that ranking uses.
 */
import { describe, expect, it } from 'vitest';
import { parseInterests, splitInterests } from '../../src/subscriptions/interests';

describe('parseInterests', () => {
  it('reads "cs.CL and cs.LG" as two categories', () => {
    expect(parseInterests('LLMs, RLHF; cs.CL and cs.LG')).toEqual({
      phrases: ['LLMs', 'RLHF'],
      categories: ['cs.CL', 'cs.LG'],
      authors: [],
    });
    expect(parseInterests('cs.AI / cs.LG').categories).toEqual(['cs.AI', 'cs.LG']);
    expect(parseInterests('cs.cv cs.ro').categories).toEqual(['cs.CV', 'cs.RO']);
  });

  it('keeps a topic that merely contains "and" whole', () => {
    expect(parseInterests('vision and language').phrases).toEqual(['vision and language']);
  });

  it('drops the bullets and numbers of a pasted list', () => {
    const pasted =
      '- diffusion models\n* RLHF\n• cs.CL\n– author: Yejin Choi\n1. graph neural networks\n2) robotics';
    expect(parseInterests(pasted)).toEqual({
      phrases: ['diffusion models', 'RLHF', 'graph neural networks', 'robotics'],
      categories: ['cs.CL'],
      authors: ['Yejin Choi'],
    });
  });

  it('follows every name of an "authors:" list, up to the next semicolon or line', () => {
    expect(parseInterests('authors: Yann LeCun, Yejin Choi; world models')).toEqual({
      phrases: ['world models'],
      categories: [],
      authors: ['Yann LeCun', 'Yejin Choi'],
    });
    expect(parseInterests('author: Yann LeCun, world models').phrases).toEqual(['world models']);
  });

  it('keeps emoji and non-Latin topics as typed', () => {
    expect(parseInterests('🤖 robotics, 強化学習, обучение с подкреплением').phrases).toEqual([
      '🤖 robotics',
      '強化学習',
      'обучение с подкреплением',
    ]);
  });

  it.each([
    ['• LLM agents\n• RLHF', ['LLM agents', 'RLHF']],
    ['- LLM agents\r\n- RLHF', ['LLM agents', 'RLHF']],
    ['* LLM agents\n  * RLHF', ['LLM agents', 'RLHF']],
    ['● LLM agents\n○ RLHF\n■ cs.CL', ['LLM agents', 'RLHF', 'cs.CL']],
    ['\uF0B7\tLLM agents\n\uF0B7\tRLHF', ['LLM agents', 'RLHF']],
    ['➢ LLM agents\n► RLHF\n✓ DPO', ['LLM agents', 'RLHF', 'DPO']],
    ['• LLM agents • RLHF • cs.CL', ['LLM agents', 'RLHF', 'cs.CL']],
    ['LLM agents · RLHF', ['LLM agents', 'RLHF']],
  ])('splits the pasted list %j into its entries, bullets removed', (text, entries) => {
    expect(splitInterests(text)).toEqual(entries);
  });

  it('keeps a dash inside a topic as typed', () => {
    expect(splitInterests('diffusion – a survey, state-of-the-art RL')).toEqual([
      'diffusion – a survey',
      'state-of-the-art RL',
    ]);
  });

  it('reads "café" typed with a combining accent as the precomposed one, once', () => {
    const decomposed = 'cafe\u0301 culture';
    expect(parseInterests(`${decomposed}, café culture, Cafe\u0301 Culture`).phrases).toEqual([
      'café culture',
    ]);
    expect(parseInterests(decomposed).phrases[0]).toBe('caf\u00e9 culture');
  });

  it('counts the entries it reads (the caps apply to them)', () => {
    expect(splitInterests('- a\n- b\ncs.CL and cs.LG')).toEqual(['a', 'b', 'cs.CL', 'cs.LG']);
  });
});
