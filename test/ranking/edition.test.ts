/**
 * The edition index's helpers that the scorer leans on in its hot paths, checked against
 * plain reference implementations: `topDocs` must pick and order exactly as sorting every
 * value would (ties by lower index), also from a shuffled list of candidates, since the
 * feedback rounds learn from what it picks; and the per-edition tables the scorer reads
 * instead of computing (idf by paper count) hold exactly what computing gives.
 */
import { describe, expect, it } from 'vitest';
import { buildEditionIndex, idfOf, topDocs } from '../../src/ranking/edition';
import { snapshotPapers } from './make-paper';

/** The reference: every index at or above the floor, sorted by value then index, the first k. */
function sortedTop(values: number[], k: number, floor: number): number[] {
  return values
    .map((value, index) => ({ value, index }))
    .filter(({ value }) => value >= floor)
    .sort((a, b) => b.value - a.value || a.index - b.index)
    .slice(0, Math.max(0, k))
    .map(({ index }) => index);
}

describe('topDocs', () => {
  it('picks the k highest at or above the floor, best first and ties by lower index, as a full sort does', () => {
    let seed = 3;
    const random = () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    for (let round = 0; round < 500; round++) {
      const length = Math.floor(random() * 60);
      // Few distinct values, so ties are common (repeated papers score alike).
      const values = Array.from({ length }, () => Math.floor(random() * 8) / 4);
      const k = Math.floor(random() * 12);
      const floor = random() < 0.3 ? Number.MIN_VALUE : Math.floor(random() * 6) / 4;
      expect(topDocs(values, k, floor)).toEqual(sortedTop(values, k, floor));
      expect(topDocs(Float32Array.from(values), k, floor)).toEqual(sortedTop(values, k, floor));
      // The same from a list of the candidates in any order, as long as it holds every one above the floor.
      const among = values.map((_, index) => index).filter((index) => values[index]! > 0 || random() < 0.5);
      for (let at = among.length - 1; at > 0; at--) {
        const other = Math.floor(random() * (at + 1));
        [among[at], among[other]] = [among[other]!, among[at]!];
      }
      if (floor > 0) expect(topDocs(values, k, floor, among)).toEqual(sortedTop(values, k, floor));
    }
    expect(topDocs([1, 2, 3], 0, 0)).toEqual([]);
  });
});

describe('the edition index', () => {
  it('holds idfOf of every paper count from 0 to the edition size, to the bit', () => {
    const index = buildEditionIndex(snapshotPapers());
    expect(index.idfByDf.length).toBe(index.total + 1);
    for (let df = 0; df <= index.total; df++) expect(index.idfByDf[df]).toBe(idfOf(df, index.total));
    expect(index.maxIdf).toBe(idfOf(0, index.total));
  });
});
