/**
 * The public forms' guards (src/subscriptions/guards.ts): the honeypot, the per-IP burst
 * limit, Turnstile and the per-IP daily cap, each deciding without looking at the address, and Turnstile failing
 * closed (403) on a bad or missing token but as "try again" (503) when siteverify itself
 * is down, which is not the visitor's fault.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import {
  checkFormGuards,
  isHoneypotFilled,
  isIpRateLimited,
  rateLimitKey,
} from '../../src/subscriptions/guards';
import { TURNSTILE_VERIFY_URL } from '../../src/subscriptions/turnstile';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';

const config = parseConfig(env);
const withTurnstile = { db: env.DB, config: { ...config, TURNSTILE_SECRET_KEY: 'turnstile-secret' } };
const withoutTurnstile = { db: env.DB, config };
const FORM_SUBMISSIONS_PER_DAY = config.FORM_SUBMISSIONS_PER_IP_PER_DAY;

/** A Rate Limiting binding that allows `allowed` calls per key. */
function limiter(allowed: number) {
  const calls = new Map<string, number>();
  return {
    keys: calls,
    binding: {
      limit: async ({ key }: { key: string }) => {
        calls.set(key, (calls.get(key) ?? 0) + 1);
        return { success: calls.get(key)! <= allowed };
      },
    } as RateLimit,
  };
}

describe('isHoneypotFilled', () => {
  it.each([
    [{}, false],
    [{ website: '' }, false],
    [{ website: '   ' }, false],
    [{ website: 'https://spam.example' }, true],
    [{ website: 7 }, false],
  ])('%j → %s', (fields, filled) => {
    expect(isHoneypotFilled(fields)).toBe(filled);
  });
});

describe('isIpRateLimited', () => {
  it('counts per IP and never limits without a binding', async () => {
    const { binding, keys } = limiter(2);
    expect(await isIpRateLimited(binding, '192.0.2.1')).toBe(false);
    expect(await isIpRateLimited(binding, '192.0.2.1')).toBe(false);
    expect(await isIpRateLimited(binding, '192.0.2.1')).toBe(true);
    expect(await isIpRateLimited(binding, '192.0.2.2')).toBe(false);
    expect([...keys.keys()]).toEqual(['ip:192.0.2.1', 'ip:192.0.2.2']);
    expect(await isIpRateLimited(undefined, '192.0.2.1')).toBe(false);
  });

  // Security review: each IPv6 address was its own key, so a client holding a /64 (any
  // home connection or VPS) rotated addresses and was never limited.
  it('counts an IPv6 client by its /64, however the address is spelled', async () => {
    const { binding } = limiter(2);
    expect(await isIpRateLimited(binding, '2001:db8:1:2::1')).toBe(false);
    expect(await isIpRateLimited(binding, '2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe(false);
    expect(await isIpRateLimited(binding, '2001:0DB8:0001:0002::ffff')).toBe(true);
    expect(await isIpRateLimited(binding, '2001:db8:1:3::1')).toBe(false);
  });

  it.each([
    ['192.0.2.1', 'ip:192.0.2.1'],
    [null, 'ip:unknown'],
    ['2001:db8:1:2:3:4:5:6', 'ip6:2001:db8:1:2::/64'],
    ['2001:db8::1', 'ip6:2001:db8:0:0::/64'],
    ['::1', 'ip6:0:0:0:0::/64'],
    ['2001:db8:1:2::192.0.2.1', 'ip6:2001:db8:1:2::/64'],
    ['::ffff:192.0.2.7', 'ip:192.0.2.7'],
    ['not:an:ip:::', 'ip:not:an:ip:::'],
  ])('rateLimitKey(%s) = %s', (ip, key) => {
    expect(rateLimitKey(ip)).toBe(key);
  });
});

describe('checkFormGuards', () => {
  it('answers 429 with Retry-After once the IP is over its limit, before Turnstile is asked', async () => {
    const { binding } = limiter(0);
    const outcome = await checkFormGuards(withTurnstile, binding, {}, '192.0.2.9', {
      turnstile: 'subscribe',
    });
    expect(outcome).toMatchObject({ ok: false, kind: 'rate_limited', status: 429, retryAfterSeconds: 60 });
  });

  it('refuses a missing Turnstile token without calling siteverify', async () => {
    const outcome = await checkFormGuards(withTurnstile, undefined, {}, null, { turnstile: 'subscribe' });
    expect(outcome).toMatchObject({ ok: false, kind: 'turnstile_failed', status: 403 });
  });

  it('passes a good token, refuses a bad one, and says "try again" when siteverify is down', async () => {
    let down = false;
    fakeHttp.use(
      http.post(TURNSTILE_VERIFY_URL, async ({ request }) => {
        if (down) return new HttpResponse('unavailable', { status: 502 });
        const form = await request.formData();
        return HttpResponse.json(
          form.get('response') === 'good'
            ? {
                success: true,
                'error-codes': [],
                challenge_ts: new Date().toISOString(),
                hostname: new URL(config.PUBLIC_URL).hostname,
                action: 'subscribe',
              }
            : { success: false, 'error-codes': ['invalid-input-response'] },
        );
      }),
    );
    const check = (token: string) =>
      checkFormGuards(withTurnstile, undefined, { 'cf-turnstile-response': token }, '192.0.2.3', {
        turnstile: 'subscribe',
      });
    expect(await check('good')).toEqual({ ok: true });
    expect(await check('bad')).toMatchObject({ ok: false, kind: 'turnstile_failed', status: 403 });
    down = true;
    expect(await check('good')).toMatchObject({ ok: false, kind: 'turnstile_unavailable', status: 503 });
  });

  it('skips Turnstile when the form does not carry it or no secret is set', async () => {
    expect(await checkFormGuards(withTurnstile, undefined, {}, null, { turnstile: false })).toEqual({
      ok: true,
    });
    expect(await checkFormGuards(withoutTurnstile, undefined, {}, null, { turnstile: 'subscribe' })).toEqual({
      ok: true,
    });
  });
});

describe('the per-IP daily cap', () => {
  const day = new Date('2026-03-02T09:00:00Z');
  const at = (minutes: number) => new Date(day.getTime() + minutes * 60_000);
  const submit = (ip: string | null, when: Date, bindings: RateLimit | undefined = undefined) =>
    checkFormGuards(withoutTurnstile, bindings, {}, ip, { turnstile: false }, when);

  it('accepts 20 submissions per IP a day, then 429 until the first of them is a day old', async () => {
    for (let index = 0; index < FORM_SUBMISSIONS_PER_DAY; index++) {
      expect(await submit('203.0.113.7', at(index * 30))).toEqual({ ok: true });
    }
    const refused = await submit('203.0.113.7', at(FORM_SUBMISSIONS_PER_DAY * 30));
    expect(refused).toMatchObject({ ok: false, kind: 'daily_limit', status: 429 });
    // The first submission (at minute 0) frees a place 24 h after it: 14 h from minute 600.
    expect(refused.ok === false && refused.retryAfterSeconds).toBe(14 * 3600);
    // Another client is not held back.
    expect(await submit('203.0.113.8', at(FORM_SUBMISSIONS_PER_DAY * 30))).toEqual({ ok: true });
    // A day after the first, one more fits; the rest are still counted.
    expect(await submit('203.0.113.7', at(24 * 60 + 1))).toEqual({ ok: true });
    expect(await submit('203.0.113.7', at(24 * 60 + 2))).toMatchObject({ ok: false, kind: 'daily_limit' });
  });

  it('counts an IPv6 client by its /64, and not the submissions another guard refused', async () => {
    const { binding } = limiter(0);
    for (let index = 0; index < 5; index++) {
      expect(await submit('2001:db8:5:6::1', at(index), binding)).toMatchObject({ kind: 'rate_limited' });
    }
    for (let index = 0; index < FORM_SUBMISSIONS_PER_DAY; index++) {
      expect(await submit(`2001:db8:5:6::${(index + 2).toString(16)}`, at(10 + index))).toEqual({ ok: true });
    }
    expect(await submit('2001:db8:5:6:ffff::1', at(40))).toMatchObject({ ok: false, kind: 'daily_limit' });
    expect(await submit('2001:db8:5:7::1', at(40))).toEqual({ ok: true });
  });

  it('follows FORM_SUBMISSIONS_PER_IP_PER_DAY, and 0 means no daily cap', async () => {
    expect(FORM_SUBMISSIONS_PER_DAY).toBe(20);
    const withCap = (perDay: string) => ({
      db: env.DB,
      config: parseConfig({ ...env, FORM_SUBMISSIONS_PER_IP_PER_DAY: perDay }),
    });
    const submitWith = (perDay: string, minute: number) =>
      checkFormGuards(withCap(perDay), undefined, {}, '192.0.2.44', { turnstile: false }, at(minute));
    expect(await submitWith('2', 0)).toEqual({ ok: true });
    expect(await submitWith('2', 1)).toEqual({ ok: true });
    expect(await submitWith('2', 2)).toMatchObject({ ok: false, kind: 'daily_limit' });
    for (let minute = 3; minute < 30; minute++) expect(await submitWith('0', minute)).toEqual({ ok: true });
    expect(() => parseConfig({ ...env, FORM_SUBMISSIONS_PER_IP_PER_DAY: '-1' })).toThrow();
  });

  it('stores the client only as a keyed hash', async () => {
    await submit('198.18.0.99', at(0));
    const { results } = await env.DB.prepare('SELECT client_hash FROM form_submissions').all<{
      client_hash: string;
    }>();
    expect(results.length).toBeGreaterThan(0);
    for (const row of results) {
      expect(row.client_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.client_hash).not.toContain('198.18');
    }
  });
});
