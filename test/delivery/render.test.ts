/**
 * The sender's cache of editions is bounded by their size in candidates, not only by
 * count: an edition in memory costs ~17 kB per candidate, so three large ones would not
 * fit in an isolate. The newest edition is always kept.
 */
import { describe, expect, it } from 'vitest';
import { editionsToDrop } from '../../src/delivery/render';

const edition = (id: string, candidates: number) => ({ id, candidates });

describe('editionsToDrop', () => {
  it('keeps small editions up to the count', () => {
    expect(editionsToDrop([edition('a', 300), edition('b', 300), edition('c', 300)], 4_000, 3)).toEqual([]);
    expect(
      editionsToDrop([edition('a', 300), edition('b', 300), edition('c', 300), edition('d', 300)], 4_000, 3),
    ).toEqual(['a']);
  });

  it('drops the oldest large editions until the rest fit the candidate budget', () => {
    expect(editionsToDrop([edition('a', 3_000), edition('b', 3_000)], 4_000, 3)).toEqual(['a']);
    expect(editionsToDrop([edition('a', 3_000), edition('b', 500), edition('c', 3_000)], 4_000, 3)).toEqual([
      'a',
    ]);
  });

  it('always keeps the newest edition, however large', () => {
    expect(editionsToDrop([edition('a', 300), edition('b', 10_000)], 4_000, 3)).toEqual(['a']);
    expect(editionsToDrop([edition('b', 10_000)], 4_000, 3)).toEqual([]);
  });

  it('counts an edition still being built as nothing yet', () => {
    expect(editionsToDrop([edition('a', 3_000), edition('b', 0)], 4_000, 3)).toEqual([]);
  });
});
