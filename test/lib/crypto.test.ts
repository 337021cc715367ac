/**
 * The WebCrypto helpers every signed link goes through (src/lib/crypto.ts): base64url
 * exactly as RFC 4648 §5 writes it (no padding) for every length, and HMAC-SHA256 as the
 * RFC 4231 vectors say, the same whether the key was still being imported or ready, so
 * links already mailed keep verifying.
 */
import { describe, expect, it } from 'vitest';
import { base64UrlDecode, base64UrlEncode, hmacSha256, hmacSha256Hex } from '../../src/lib/crypto';

/** RFC 4648 base64url without padding, written out bit by bit: the reference. */
function reference(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let out = '';
  for (let at = 0; at < bits.length; at += 6)
    out += alphabet[Number.parseInt(bits.slice(at, at + 6).padEnd(6, '0'), 2)];
  return out;
}

describe('base64UrlEncode', () => {
  it('writes RFC 4648 base64url without padding for every length and byte value', () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      expect(base64UrlEncode(bytes)).toBe(reference(bytes));
      expect(base64UrlEncode(bytes.buffer)).toBe(reference(bytes));
    }
    // Every byte value, where '+' and '/' of plain base64 must come out as '-' and '_'.
    const all = Uint8Array.from({ length: 256 }, (_, byte) => byte);
    expect(base64UrlEncode(all)).toBe(reference(all));
    expect(base64UrlEncode(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
  });

  it('encodes a view of a larger buffer as the view alone, and input longer than one pass', () => {
    const buffer = crypto.getRandomValues(new Uint8Array(40));
    const view = buffer.subarray(5, 21);
    expect(base64UrlEncode(view)).toBe(reference(view));
    const long = crypto.getRandomValues(new Uint8Array(20_000));
    expect(base64UrlEncode(long)).toBe(reference(long));
    expect(base64UrlDecode(base64UrlEncode(long))).toEqual(long);
  });
});

describe('hmacSha256', () => {
  it('matches the RFC 4231 test vector', async () => {
    expect(await hmacSha256Hex('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('signs alike while the key is being imported and once it is ready, concurrent calls included', async () => {
    const secret = `fresh-secret-${crypto.randomUUID()}`;
    const messages = ['a', 'digest:abc.1', 'é · “quoted”', 'x'.repeat(600)];
    // The first calls find the key still importing; the later ones find it ready.
    const first = await Promise.all(messages.map((message) => hmacSha256(secret, message)));
    const again = await Promise.all(messages.map((message) => hmacSha256(secret, message)));
    expect(again).toEqual(first);
    // Each as WebCrypto signs it directly.
    const encoder = new TextEncoder();
    const key = await crypto.subtle.importKey(
      'raw',
      encoder.encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    for (const [index, message] of messages.entries()) {
      const direct = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
      expect(first[index]).toEqual(direct);
    }
  });
});
