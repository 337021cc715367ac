/**
 * The ranking's bounded LRU (`SizedLru`, which replaced lru-cache in the interest cache and
 * the edition memos) checked against lru-cache itself on random runs of gets, sets and
 * deletes: the same values found, the same keys kept in the same order, the same total
 * size and the same values evicted, so the caches behave as before, only cheaper.
 */
import { LRUCache } from 'lru-cache';
import { describe, expect, it } from 'vitest';
import { SizedLru } from '../../src/ranking/lru';
import { seededRandom } from '../factories';

describe('SizedLru', () => {
  it('keeps, finds and evicts exactly what lru-cache with the same size budget does', () => {
    const random = seededRandom(11);
    for (let round = 0; round < 50; round++) {
      const budget = 5 + Math.floor(random() * 40);
      const evicted: number[] = [];
      const expectedEvicted: number[] = [];
      const ours = new SizedLru<{ n: number }>(budget, (value) => evicted.push(value.n));
      const theirs = new LRUCache<string, { n: number }>({
        maxSize: budget,
        dispose: (value, _key, reason) => {
          if (reason === 'evict') expectedEvicted.push(value.n);
        },
      });
      for (let step = 0; step < 400; step++) {
        const key = `k${Math.floor(random() * 15)}`;
        const action = random();
        if (action < 0.45) {
          expect(ours.get(key)).toBe(theirs.get(key));
        } else if (action < 0.9) {
          // Now and then larger than the whole budget: not kept, by either.
          const size = random() < 0.05 ? budget + 1 : 1 + Math.floor(random() * 10);
          const value = { n: step };
          ours.set(key, value, size);
          if (size <= budget) theirs.set(key, value, { size });
          else theirs.delete(key);
        } else {
          ours.delete(key);
          theirs.delete(key);
        }
        expect([...ours.keys()]).toEqual([...theirs.rkeys()]);
        expect(ours.calculatedSize).toBe(theirs.calculatedSize);
        expect(ours.size).toBe(theirs.size);
        expect(evicted).toEqual(expectedEvicted);
      }
    }
  });

  it('evicts the least recently used first, a get counting as a use', () => {
    const evicted: string[] = [];
    const lru = new SizedLru<string>(3, (value) => evicted.push(value));
    lru.set('a', 'A', 1);
    lru.set('b', 'B', 1);
    lru.set('c', 'C', 1);
    expect(lru.get('a')).toBe('A');
    lru.set('d', 'D', 2);
    expect(evicted).toEqual(['B', 'C']);
    expect([...lru.keys()]).toEqual(['a', 'd']);
    expect(lru.calculatedSize).toBe(3);
    lru.set('e', 'E', 4);
    expect(lru.get('e')).toBeUndefined();
    expect(lru.size).toBe(2);
  });
});
