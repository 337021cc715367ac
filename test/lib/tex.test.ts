/**
 * TeX in arXiv titles and abstracts as readers see it (src/lib/tex.ts): realistic titles
 * and abstract phrases, the real samples of the arXiv API feed, and text that only looks
 * like TeX ("$5 million", "--help") left alone.
 */
import { describe, expect, it } from 'vitest';
import { parseArxivFeed } from '../../src/ingest/arxiv';
import { readableTex } from '../../src/lib/tex';
import { ARXIV } from '../ingest/fixtures';

describe('readableTex', () => {
  it.each([
    [
      '$\\alpha$-Divergence Variational Inference Meets Importance Weighting',
      'α-Divergence Variational Inference Meets Importance Weighting',
    ],
    [
      'Sorting in $O(n \\log n)$ Comparisons with Noisy Oracles',
      'Sorting in O(n log n) Comparisons with Noisy Oracles',
    ],
    ['$\\mathcal{O}(1)$-Memory Attention for Long Contexts', 'O(1)-Memory Attention for Long Contexts'],
    [
      '\\textit{FlashAttention}: Fast and \\emph{Exact} Attention with \\texttt{IO}-Awareness',
      'FlashAttention: Fast and Exact Attention with IO-Awareness',
    ],
    ['R$^{2}$-Tuning: Efficient Image-to-Video Transfer', 'R²-Tuning: Efficient Image-to-Video Transfer'],
    ['A $2\\times$ Faster Tokenizer', 'A 2× Faster Tokenizer'],
    ['achieving a 68.4\\% win rate on Q\\&A', 'achieving a 68.4% win rate on Q&A'],
    ['Pages 10--20 of the Fine--Tuning Guide---Revisited', 'Pages 10–20 of the Fine–Tuning Guide—Revisited'],
    ['Regret Bounds $\\leq \\tilde{O}(\\sqrt{T})$ for Bandits', 'Regret Bounds ≤ O(√T) for Bandits'],
    ['Learning Functions on $\\mathbb{R}^d$ with $\\epsilon$-Nets', 'Learning Functions on ℝᵈ with ε-Nets'],
    ['Code is at \\url{https://github.com/org/repo}.', 'Code is at https://github.com/org/repo.'],
    ['See \\href{https://example.org/demo}{our demo}.', 'See our demo (https://example.org/demo).'],
    ['the my\\_model\\_v2 checkpoint', 'the my_model_v2 checkpoint'],
    [
      "We consider the R\\'{e}nyi entropy and Erd\\H{o}s--R\\'enyi graphs",
      'We consider the Rényi entropy and Erdős–Rényi graphs',
    ],
    ['$x_{i}^{2}$ and $10^{-3}$ and $2^{O(1)}$', 'xᵢ² and 10⁻³ and 2^(O(1))'],
    ['a $\\sim$10\\% gain', 'a ∼10% gain'],
    // A tie is TeX on its own: an abstract with no other TeX (2602.21760's) showed its "~".
    [
      'using two NVIDIA RTX~3090 GPUs, while preserving image quality',
      'using two NVIDIA RTX 3090 GPUs, while preserving image quality',
    ],
    ['as shown in Fig.~3 and Table~\\ref{tab:main}', 'as shown in Fig. 3 and Table'],
    ['a ~2x speedup at https://example.org/~user', 'a ~2x speedup at https://example.org/~user'],
    // A tilde in a URL is part of the address, even after a letter, TeX around it or not.
    ['code at https://example.org/pkg~v2/readme', 'code at https://example.org/pkg~v2/readme'],
    ['$\\alpha$ at https://example.org/pkg~v2/readme', 'α at https://example.org/pkg~v2/readme'],
  ])('%s', (tex, readable) => {
    expect(readableTex(tex)).toBe(readable);
  });

  it('keeps a literal dollar: prices, an escaped one, a lone one', () => {
    const text = 'An investment of approximately $1.47 million, between $5 and $10 million, or $5-$10 a day';
    expect(readableTex(text)).toBe(text);
    expect(readableTex('\\$OneMillion-Bench: How Far are Language Agents from Human Experts?')).toBe(
      '$OneMillion-Bench: How Far are Language Agents from Human Experts?',
    );
    expect(readableTex('costs $ 3')).toBe('costs $ 3');
  });

  it('degrades unknown commands to their argument, or to their name when they have none', () => {
    expect(readableTex('We build \\system{LIVEditor}, a novel editor')).toBe(
      'We build LIVEditor, a novel editor',
    );
    expect(readableTex('we introduce \\OneMillion-Bench, a benchmark (\\eg divergence)')).toBe(
      'we introduce OneMillion-Bench, a benchmark (e.g. divergence)',
    );
    expect(readableTex('as shown in \\cite{smith2020} and Table~\\ref{tab:1}')).toBe('as shown in and Table');
  });

  it('leaves text without TeX alone, command-line flags included', () => {
    for (const text of [
      'Plain title: no TeX here',
      'run it with --help or --dry-run',
      'x{y}z and a < b & c',
    ]) {
      expect(readableTex(text)).toBe(text);
    }
  });

  it('never throws nor hangs on broken TeX, and adds no markup', () => {
    for (const text of [
      '$\\frac{1}{',
      '\\textit{unclosed',
      'end with \\',
      '$$',
      '{{{{{{{{{{{{{{{{{{{{{{x',
      '\\href{',
      '$^$',
      "\\'{}",
    ]) {
      const out = readableTex(text);
      expect(typeof out).toBe('string');
    }
    expect(readableTex('<b>$\\alpha$</b> & "q"')).toBe('<b>α</b> & "q"');
  });

  it('reads the real arXiv samples', () => {
    const { papers } = parseArxivFeed(ARXIV.sample);
    const shown = papers.map((paper) => readableTex(paper.abstract)).join(' ');
    expect(shown).toContain('Rényi entanglement entropy');
    expect(shown).toContain('δ-function interacting bosons');
    expect(shown).not.toMatch(/\\[A-Za-z'"]/);
  });
});
