/**
 * The reservation of requested mail (reserveMailRequest) against real D1: the cap on all
 * kinds of one mailbox together holds in the same single INSERT as each kind's own cap
 * and gap, and checking it reads no more than the mailbox's rows of the last 24 h through
 * the (address_hash, created_at) index, however many rows other mailboxes or older days
 * hold.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { type MailCap, type MailKind, reserveMailRequest } from '../../src/db/mail-requests';
import { spyD1 } from '../helpers/d1-spy';

const HOUR = 3_600_000;
const start = Date.parse('2026-06-01T00:00:00Z');
const at = (hours: number) => new Date(start + hours * HOUR);
const capOf = (kinds: MailKind[]): MailCap => ({ kinds, perDay: 3, minGapMs: 10 * 60_000 });
const limits = (kind: MailKind) => ({
  ...capOf(kind === 'confirm' || kind === 'already_subscribed' ? ['confirm', 'already_subscribed'] : [kind]),
  mailboxPerDay: 4,
});

function reserve(addressHash: string, kind: MailKind, when: Date, db: D1Database = env.DB) {
  return reserveMailRequest(
    db,
    { id: crypto.randomUUID(), addressHash, kind, subscriberId: null, settings: null },
    limits(kind),
    when,
  );
}

describe('reserveMailRequest', () => {
  it('counts every kind of one mailbox together, within a rolling 24 h', async () => {
    const kinds: MailKind[] = ['confirm', 'export', 'already_subscribed', 'erase'];
    for (const [index, kind] of kinds.entries())
      expect(await reserve('box-a', kind, at(index))).not.toBeNull();
    // Every kind is under its own cap (2 sign-up mails, 1 export, 1 erase, hours apart).
    for (const kind of ['confirm', 'export', 'erase'] as const)
      expect(await reserve('box-a', kind, at(5))).toBeNull();
    expect(await reserve('box-b', 'export', at(5))).not.toBeNull();
    // The first one is a day old at hour 24: one slot is free again, and only one.
    expect(await reserve('box-a', 'export', at(24.01))).not.toBeNull();
    expect(await reserve('box-a', 'erase', at(24.5))).toBeNull();
    const count = env.DB.prepare(`SELECT COUNT(*) AS n FROM mail_requests WHERE address_hash = 'box-a'`);
    expect(await count.first('n')).toBe(5);
  });

  it("still keeps each kind's own cap and gap", async () => {
    expect(await reserve('box-c', 'export', at(0))).not.toBeNull();
    expect(await reserve('box-c', 'export', at(0.1))).toBeNull(); // 6 minutes later
    expect(await reserve('box-c', 'export', at(1))).not.toBeNull();
    expect(await reserve('box-c', 'export', at(2))).not.toBeNull();
    // 3 exports today, the mailbox's fourth email still free: for another kind only.
    expect(await reserve('box-c', 'export', at(3))).toBeNull();
    expect(await reserve('box-c', 'erase', at(3))).not.toBeNull();
  });

  it('reads only the mailbox rows of the last 24 h, through the address index', async () => {
    const old = at(-48).toISOString();
    const rows = [
      ...Array.from({ length: 60 }, (_, i) => [`other-${i % 20}`, 'export', at(-1 - i / 100).toISOString()]),
      ...Array.from({ length: 40 }, (_, i) => [
        'box-d',
        'confirm',
        old.replace('00:00:00', `00:00:${String(i).padStart(2, '0')}`),
      ]),
    ];
    await env.DB.batch(
      rows.map(([hash, kind, createdAt]) =>
        env.DB.prepare(
          'INSERT INTO mail_requests (id, address_hash, kind, created_at) VALUES (?, ?, ?, ?)',
        ).bind(crypto.randomUUID(), hash, kind, createdAt),
      ),
    );
    for (const [index, kind] of (['confirm', 'export', 'erase', 'already_subscribed'] as const).entries())
      expect(await reserve('box-d', kind, at(index))).not.toBeNull();
    const spy = spyD1(env.DB);
    expect(await reserve('box-d', 'erase', at(5), spy.db)).toBeNull();
    const [call] = spy.calls;
    // The 4 rows of the window (7 with the index seek and the subquery; the same data
    // counted per kind read 10), nothing of the 60 rows of other mailboxes or the 40 older ones.
    expect(call!.rowsRead).toBeLessThanOrEqual(8);
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${call!.sql}`)
      .bind(...call!.params)
      .all<{ detail: string }>();
    // One pass over the mailbox's rows, through its index: no SCAN, nothing else read.
    expect(plan.results.map((step) => step.detail).filter((step) => /^(SCAN|SEARCH) /.test(step))).toEqual([
      'SEARCH mail_requests USING INDEX mail_requests_address (address_hash=? AND created_at>?)',
      'SCAN (subquery-1)',
    ]);
  });
});
