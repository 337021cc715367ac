/**
 * Suppression hashes as the importer, the sign-up flow and erasure use them: keyed with
 * EMAIL_HASH_SECRET (issue 12: "the hash kept after erasure is an unsalted SHA-256 of the
 * address, reversible by guessing addresses"), letter case ignored, legacy unkeyed rows
 * still recognised until the housekeeping cron re-keys them, lookups in batches larger
 * than D1's parameter limit.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { listSuppressedHashes, removeSuppression } from '../../src/db/suppressions';
import { sha256Hex } from '../../src/lib/crypto';
import { rekeyLegacySuppressions } from '../../src/subscriptions/housekeeping';
import { addressHash, addressLookupHashes, emailKey } from '../../src/subscriptions/identity';
import { suppress, suppressionOf, suppressLegacy } from '../helpers/suppressions';

const app = { db: env.DB, config: { EMAIL_HASH_SECRET: env.EMAIL_HASH_SECRET } } as Parameters<
  typeof rekeyLegacySuppressions
>[0];

describe('identity keys', () => {
  it('compares addresses whatever the letter case, normalising first', () => {
    expect(emailKey('  Someone@EXAMPLE.org ')).toBe('someone@example.org');
    expect(emailKey('Victim@Example.org')).toBe(emailKey('victim@example.org'));
    expect(emailKey('user@Bücher.example')).toBe('user@xn--bcher-kva.example');
  });

  // Issue 12, smaller items: the erasure hash was an unsalted SHA-256 of the address.
  it('stores a keyed hash: not the SHA-256 of any spelling, and different under another secret', async () => {
    const hash = await addressHash(env.EMAIL_HASH_SECRET, 'Someone@Example.org');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    for (const spelling of ['Someone@Example.org', 'someone@example.org', 'Someone@example.org']) {
      expect(hash).not.toBe(await sha256Hex(spelling));
    }
    expect(hash).toBe(await addressHash(env.EMAIL_HASH_SECRET, 'SOMEONE@example.ORG'));
    expect(hash).not.toBe(
      await addressHash('another-secret-of-at-least-32-characters', 'someone@example.org'),
    );
    const stored = await env.DB.prepare('SELECT email_hash FROM suppressions').all();
    expect(JSON.stringify(stored)).not.toContain(await sha256Hex('someone@example.org'));
  });
});

describe('suppressions', () => {
  it('matches any letter case of the address', async () => {
    await suppress('Someone@EXAMPLE.org', 'bounced');
    expect((await suppressionOf('someone@example.org'))?.reason).toBe('bounced');
    expect((await suppressionOf('SOMEONE@example.org'))?.reason).toBe('bounced');
    expect(await suppressionOf('someone.else@example.org')).toBeNull();
    const row = await env.DB.prepare('SELECT keyed FROM suppressions WHERE email_hash = ?')
      .bind(await addressHash(env.EMAIL_HASH_SECRET, 'someone@example.org'))
      .first<{ keyed: number }>();
    expect(row!.keyed).toBe(1);
  });

  it('is idempotent, and a delivery problem outranks an erasure', async () => {
    await suppress('gone@example.org', 'erased');
    await suppress('gone@example.org', 'erased');
    expect((await suppressionOf('gone@example.org'))!.reason).toBe('erased');
    await suppress('gone@example.org', 'complained');
    expect((await suppressionOf('gone@example.org'))!.reason).toBe('complained');
    await suppress('gone@example.org', 'erased');
    expect((await suppressionOf('gone@example.org'))!.reason).toBe('complained');
    await removeSuppression(env.DB, await addressLookupHashes(env.EMAIL_HASH_SECRET, 'gone@example.org'), [
      'erased',
    ]);
    expect(await suppressionOf('gone@example.org')).not.toBeNull();
  });

  it('looks up more hashes than one statement may bind', async () => {
    const emails = Array.from({ length: 250 }, (_, index) => `bulk-${index}@example.com`);
    for (const email of emails.filter((_, index) => index % 50 === 7)) await suppress(email, 'bounced');
    const hashes = await Promise.all(emails.map((email) => addressHash(env.EMAIL_HASH_SECRET, email)));
    const suppressed = await listSuppressedHashes(env.DB, hashes);
    expect(suppressed.size).toBe(5);
    expect(suppressed.has(hashes[7]!)).toBe(true);
    expect(suppressed.has(hashes[8]!)).toBe(false);
    expect((await listSuppressedHashes(env.DB, [])).size).toBe(0);
  });

  it('still recognises rows written before the hashes were keyed, and re-keys them in place', async () => {
    const lower = await suppressLegacy('legacy@example.org', 'erased');
    const mixed = await suppressLegacy('Mixed.Legacy@example.org', 'complained');
    expect((await suppressionOf('legacy@example.org'))!.reason).toBe('erased');
    expect((await suppressionOf('Mixed.Legacy@example.org'))!.reason).toBe('complained');

    expect(await rekeyLegacySuppressions(app)).toBeGreaterThanOrEqual(2);
    const left = await env.DB.prepare('SELECT COUNT(*) AS n FROM suppressions WHERE email_hash IN (?, ?)')
      .bind(lower, mixed)
      .first<{ n: number }>();
    expect(left!.n).toBe(0);
    expect((await suppressionOf('legacy@example.org'))!.reason).toBe('erased');
    expect((await suppressionOf('LEGACY@example.org'))!.reason).toBe('erased');
    expect((await suppressionOf('Mixed.Legacy@example.org'))!.reason).toBe('complained');
    const legacyLeft = await env.DB.prepare('SELECT COUNT(*) AS n FROM suppressions WHERE keyed = 0').first<{
      n: number;
    }>();
    expect(legacyLeft!.n).toBe(0);
    expect(await rekeyLegacySuppressions(app)).toBe(0);
  });
});
