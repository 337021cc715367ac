/**
 * Signed tokens (src/tokens.ts): a correctly signed token is still refused when its claims
 * do not have the types the code after it relies on (issue 12, smaller items: "the types
 * of the token claims `e` and `x` are not checked"). A string expiry used to compare as
 * NaN, i.e. never expire; an object subject reached SQL as a bound parameter.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/env';
import { signDigestToken, signToken, type TokenClaims, verifyDigestToken, verifyToken } from '../src/tokens';
import { request } from './helpers/app';
import { rowOf, subscribeAndConfirm } from './helpers/subscribers';

const secret = parseConfig(env).TOKEN_SECRET;
const sign = (claims: Record<string, unknown>) => signToken(secret, claims as unknown as TokenClaims);

describe('verifyToken', () => {
  it('accepts well-typed claims with and without expiry and subject', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const future = now.getTime() / 1000 + 60;
    for (const claims of [
      { p: 'view', s: 'sub', v: 1 },
      { p: 'view', s: 'sub', v: 1, e: future },
      { p: 'view', s: 'sub', v: 1, x: 'delivery-1' },
    ]) {
      expect((await verifyToken(secret, await sign(claims), 'view', now)).ok).toBe(true);
    }
  });

  it.each([
    ['a string expiry that would never expire', { e: 'never' }],
    ['a numeric-string expiry', { e: '4102444800' }],
    ['a fractional expiry', { e: 4102444800.5 }],
    ['a null expiry', { e: null }],
    ['a numeric subject', { x: 123 }],
    ['an object subject', { x: { id: 'a' } }],
    ['a null subject', { x: null }],
    ['a string version', { v: '1' }],
    ['a fractional version', { v: 1.5 }],
    ['a numeric subscriber id', { s: 42 }],
  ])('refuses %s as malformed', async (_case, override) => {
    const token = await sign({ p: 'view', s: 'sub', v: 1, ...override });
    expect(await verifyToken(secret, token, 'view')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses signed claims that are not an object', async () => {
    for (const claims of [[1, 2], 'text', 7, null]) {
      const token = await signToken(secret, claims as unknown as TokenClaims);
      expect((await verifyToken(secret, token, 'view')).ok).toBe(false);
    }
  });

  it('answers a badly typed link with 400 through the routes, changing nothing', async () => {
    const row = await subscribeAndConfirm('typed-claims@example.com');
    const unsubscribe = await sign({ p: 'unsubscribe', s: row.id, v: row.token_version, e: 'never' });
    const response = await request(`/unsubscribe?token=${encodeURIComponent(unsubscribe)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(400);
    const view = await sign({ p: 'view', s: row.id, v: row.token_version, x: { id: 'x' } });
    expect((await request(`/digest?token=${encodeURIComponent(view)}`)).status).toBe(400);
    expect((await rowOf('typed-claims@example.com'))!.status).toBe('active');
  });
});

/** Every token one character away from `token`: each character dropped, changed, or one inserted. */
function oneEditAway(token: string): string[] {
  const alphabet = ['0', '1', '9', 'a', 'A', 'z', '-', '_', '.', '='];
  const edits = new Set<string>();
  for (let at = 0; at <= token.length; at++) {
    for (const char of alphabet) edits.add(token.slice(0, at) + char + token.slice(at));
    if (at < token.length) {
      edits.add(token.slice(0, at) + token.slice(at + 1));
      for (const char of alphabet) edits.add(token.slice(0, at) + char + token.slice(at + 1));
    }
  }
  edits.delete(token);
  return [...edits];
}

describe('a signed token has exactly one spelling', () => {
  it('refuses every one-character edit of a digest token, leading zeros in its version included', async () => {
    for (const version of [0, 7, 12]) {
      const token = await signDigestToken(secret, 'delivery-1', version);
      expect((await verifyDigestToken(secret, token)).ok).toBe(true);
      const accepted: string[] = [];
      for (const edit of oneEditAway(token)) {
        if ((await verifyDigestToken(secret, edit)).ok) accepted.push(edit);
      }
      expect(accepted).toEqual([]);
    }
  });

  it('refuses every one-character edit of a JSON token', async () => {
    const token = await sign({ p: 'preferences', s: 'sub', v: 3 });
    const accepted: string[] = [];
    for (const edit of oneEditAway(token)) {
      if ((await verifyToken(secret, edit, 'preferences')).ok) accepted.push(edit);
    }
    expect(accepted).toEqual([]);
  });
});
