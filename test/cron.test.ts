/**
 * The cron table in src/cron.ts must match the triggers wrangler deploys, or a job would
 * silently never run (or a trigger would fail every time with "no job configured").
 */
import { describe, expect, it } from 'vitest';
import { CRONS } from '../src/cron';
import wranglerToml from '../wrangler.toml?raw';

function cronLists(toml: string): string[][] {
  return [...toml.matchAll(/^crons\s*=\s*\[([^\]]*)\]/gm)].map((match) =>
    [...match[1]!.matchAll(/"([^"]+)"/g)].map((item) => item[1]!).sort(),
  );
}

describe('cron table', () => {
  it('matches the triggers of every wrangler environment', () => {
    const lists = cronLists(wranglerToml);
    expect(lists.length).toBe(2); // local and [env.production]
    for (const list of lists) expect(list).toEqual(Object.values(CRONS).sort());
  });
});
