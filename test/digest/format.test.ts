/**
 * The paper as its card shows it (`cardPaper`): the sender keeps an edition's papers in
 * memory with only the start of each abstract, so the card made from it must be the one
 * made from the whole paper, whatever the abstract looks like.
 */
import { describe, expect, it } from 'vitest';
import { cardPaper, cardProps, SUMMARY_MAX_CHARS, truncate } from '../../src/digest/format';
import type { Paper } from '../../src/domain';
import { makePaper, snapshotPapers } from '../factories';

const none = { why: '', upUrl: '', downUrl: '' };
const long = (unit: string) => unit.repeat(Math.ceil(3000 / unit.length));

describe('cardPaper', () => {
  const papers: Paper[] = [
    ...snapshotPapers().slice(0, 20),
    makePaper({
      id: '2611.00001',
      title: 'A paper 1',
      abstract: long('Word after word, and more words. '),
      aiSummary: null,
    }),
    makePaper({
      id: '2611.00002',
      title: 'A paper 2',
      abstract: long('Émigré naïve café — ≥ 3 × 4 ✓ 𝒜𝒷𝒸 '),
      aiSummary: null,
    }),
    // Mostly whitespace: cleaned, its first 640 characters are shorter than a summary.
    makePaper({
      id: '2611.00003',
      title: 'A paper 3',
      abstract: `${' '.repeat(700)}${long('tail text ')}`,
      aiSummary: null,
    }),
    makePaper({
      id: '2611.00004',
      title: 'A paper 4',
      abstract: long('Shown nowhere. '),
      aiSummary: 'The AI summary is shown.',
    }),
    makePaper({
      id: '2611.00005',
      title: 'A paper 5',
      abstract: long('Blank AI summary. '),
      aiSummary: '   ',
    }),
    makePaper({ id: '2611.00006', title: 'A paper 6', abstract: 'Short abstract.', aiSummary: null }),
    // An unpaired surrogate right where the cut falls.
    makePaper({
      id: '2611.00007',
      title: 'A paper 7',
      abstract: `${'a'.repeat(2 * SUMMARY_MAX_CHARS)}\ud835${long('b')}`,
      aiSummary: null,
    }),
    // TeX right where the cut falls, and a "$" whose pair lies past the cut.
    makePaper({
      id: '2611.00008',
      title: 'A paper 8',
      abstract: `${long('With $\\alpha$-divergence in $O(n \\log n)$ time, ').slice(0, 2 * SUMMARY_MAX_CHARS - 8)}${long(' $\\frac{a}{b}$')}`,
      aiSummary: null,
    }),
    makePaper({
      id: '2611.00009',
      title: 'A paper 9',
      abstract: `Costs $${'x'.repeat(2 * SUMMARY_MAX_CHARS)}$ and ${long('more ')}`,
      aiSummary: null,
    }),
  ];

  it('makes the same card as the whole paper', () => {
    for (const paper of papers) expect(cardProps(cardPaper(paper), none)).toEqual(cardProps(paper, none));
  });

  it('keeps no more of the abstract than the card can show', () => {
    for (const paper of papers) {
      const shown = cardPaper(paper);
      expect(shown.id).toBe(paper.id);
      expect(shown.title).toBe(paper.title);
      if (paper.aiSummary?.trim()) expect(shown.abstract).toBe('');
      else if (!['2611.00003', '2611.00007', '2611.00009'].includes(paper.id))
        expect(shown.abstract.length).toBeLessThanOrEqual(2 * SUMMARY_MAX_CHARS + 1);
    }
    expect(cardPaper(papers.find((paper) => paper.id === '2611.00001')!).abstract.length).toBe(
      2 * SUMMARY_MAX_CHARS + 1,
    );
  });
});

describe('truncate', () => {
  it('never cuts between the two halves of a surrogate pair', () => {
    // No space to cut at: the cut falls inside the last emoji.
    for (let width = 10; width < 20; width++) {
      const text = `${'x'.repeat(width)}${'🦙'.repeat(30)}`;
      for (const max of [20, 21, 24, 25]) {
        const cut = truncate(text, max);
        // Booleans only: a lone surrogate in a failure message breaks the test runner's pipe.
        expect(cut.length <= max && cut.endsWith('…')).toBe(true);
        expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(cut)).toBe(false);
      }
    }
  });
});
