/**
 * The fast path's synchronous link signer must produce exactly the URLs of src/links.ts
 * (the definition), for any ids, secrets and public URLs; and the tokens must verify.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { base64Url, hmacSha256Sync, syncLinks } from '../../src/digest/signer';
import { parseConfig } from '../../src/env';
import { hmacSha256 } from '../../src/lib/crypto';
import { feedbackUrl, feedUrl, preferencesUrl, unsubscribeUrl, viewInBrowserUrl } from '../../src/links';
import { verifyToken } from '../../src/tokens';

describe('synchronous link signer', () => {
  it('computes the same HMAC-SHA256 as WebCrypto for any key and message length', async () => {
    const encoder = new TextEncoder();
    for (const secret of [
      'k',
      'x'.repeat(32),
      'long-secret-'.repeat(12),
      'ünïcødé-secret-with-more-than-32-bytes',
    ]) {
      const mac = hmacSha256Sync(secret);
      for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 200]) {
        const message = 'm'.repeat(length);
        expect(base64Url(mac(encoder.encode(message)))).toBe(base64Url(await hmacSha256(secret, message)));
      }
    }
  });

  it('builds exactly the URLs of src/links.ts', async () => {
    for (const publicUrl of ['https://digest.test', 'https://example.org/papers', 'http://localhost:8787']) {
      const config = parseConfig({
        ...env,
        PUBLIC_URL: publicUrl,
        TOKEN_SECRET: `secret-for-${publicUrl}-0123456789abcdef`,
      });
      const links = syncLinks(config);
      for (const [index, id] of ['a', crypto.randomUUID(), 'ünï"cødé\'<&>', 'x'.repeat(80)].entries()) {
        const subscriber = { id, tokenVersion: index + 1 };
        expect(links.unsubscribe(subscriber)).toBe(await unsubscribeUrl(config, subscriber));
        expect(links.preferences(subscriber)).toBe(await preferencesUrl(config, subscriber));
        expect(links.feed(subscriber)).toBe(await feedUrl(config, subscriber));
        expect(links.view(subscriber, `del-${id}`)).toBe(
          await viewInBrowserUrl(config, subscriber, `del-${id}`),
        );
        for (const paperId of ['2411.01234', 'hep-th/9901001']) {
          expect(links.feedback(subscriber, paperId, 'up')).toBe(
            await feedbackUrl(config, subscriber, paperId, 'up'),
          );
          expect(links.feedback(subscriber, paperId, 'down')).toBe(
            await feedbackUrl(config, subscriber, paperId, 'down'),
          );
        }
        const token = new URL(links.feedback(subscriber, '2411.01234', 'up')).searchParams.get('token');
        expect((await verifyToken(config.TOKEN_SECRET, token, 'feedback')).ok).toBe(true);
      }
    }
  });
});
