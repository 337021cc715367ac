/**
 * Suppression hashes as the importer and the sender use them: keyed on the normalised
 * address, idempotent to add, looked up in batches larger than D1's parameter limit.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  addSuppression,
  emailHash,
  getSuppression,
  isSuppressed,
  listSuppressedHashes,
  removeSuppression,
} from '../../src/db/suppressions';
import { sha256Hex } from '../../src/lib/crypto';

describe('suppressions', () => {
  it('hashes the normalised address, so spelling variants match', async () => {
    expect(await emailHash('  Someone@EXAMPLE.org ')).toBe(await sha256Hex('Someone@example.org'));
    await addSuppression(env.DB, 'Someone@EXAMPLE.org', 'bounced');
    expect(await isSuppressed(env.DB, 'Someone@example.org')).toBe(true);
    expect(await isSuppressed(env.DB, 'someone.else@example.org')).toBe(false);
  });

  it('is idempotent, and a delivery problem outranks an erasure', async () => {
    await addSuppression(env.DB, 'gone@example.org', 'erased');
    await addSuppression(env.DB, 'gone@example.org', 'erased');
    expect((await getSuppression(env.DB, 'gone@example.org'))!.reason).toBe('erased');
    await addSuppression(env.DB, 'gone@example.org', 'complained');
    expect((await getSuppression(env.DB, 'gone@example.org'))!.reason).toBe('complained');
    await addSuppression(env.DB, 'gone@example.org', 'erased');
    expect((await getSuppression(env.DB, 'gone@example.org'))!.reason).toBe('complained');
    await removeSuppression(env.DB, 'gone@example.org', ['erased']);
    expect(await isSuppressed(env.DB, 'gone@example.org')).toBe(true);
  });

  it('looks up more hashes than one statement may bind', async () => {
    const emails = Array.from({ length: 250 }, (_, index) => `bulk-${index}@example.com`);
    for (const email of emails.filter((_, index) => index % 50 === 7))
      await addSuppression(env.DB, email, 'bounced');
    const hashes = await Promise.all(emails.map(emailHash));
    const suppressed = await listSuppressedHashes(env.DB, hashes);
    expect(suppressed.size).toBe(5);
    expect(suppressed.has(hashes[7]!)).toBe(true);
    expect(suppressed.has(hashes[8]!)).toBe(false);
    expect((await listSuppressedHashes(env.DB, [])).size).toBe(0);
  });
});
