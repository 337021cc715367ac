/**
 * The checks a public form passes before we act on it: once the input is valid, the per-IP
 * burst limit (the Rate Limiting binding, so one client cannot hammer the form; an IPv6
 * client counts per /64), Cloudflare Turnstile when TURNSTILE_SECRET_KEY is set (its tokens
 * are single-use, and good only for the form, and on the host, they were solved for), the
 * per-IP daily cap (counted in D1: the burst limit alone let one IP have us mail 14,400
 * addresses a day, and spend the Resend quota the digests need), and last the honeypot (a
 * hidden field only bots fill: we pretend success and do nothing). The honeypot comes last
 * so that its fake success is the answer a person would get, same validation errors, same
 * 429, same echoed address: answering it first told a bot which field was the trap (an
 * invalid address "accepted", no rate limit, the address echoed unnormalised). None of them
 * looks at the address, so their answers and timings say nothing about whether it is
 * subscribed; the per-mailbox caps apply later, silently, where the email would be sent
 * (requested-mail.ts). The route turns a refusal into its own HTML or JSON.
 */
import { recordFormSubmission } from '../db/form-submissions';
import type { AppContext } from '../env';
import { hmacSha256Hex } from '../lib/crypto';
import { logEvent } from '../lib/log';
import { type TurnstileAction, verifyTurnstile } from './turnstile';

export type GuardOutcome =
  | { ok: true }
  | {
      ok: false;
      kind: 'rate_limited' | 'daily_limit' | 'turnstile_failed' | 'turnstile_unavailable';
      status: 403 | 429 | 503;
      message: string;
      retryAfterSeconds?: number;
    };

export const RATE_LIMIT_MESSAGE =
  'Too many requests from your network in a short time. Please wait a minute and try again.';

export const DAILY_LIMIT_MESSAGE =
  'We have had too many requests from your network today. Please try again tomorrow.';

/**
 * Fields of a public form read by these checks, not by its schema: the honeypot, and
 * Turnstile's token as the widget posts it (cf-turnstile-response) or a JSON client sends it.
 */
export const HONEYPOT_FIELD = 'website';
export const FORM_GUARD_FIELDS: readonly string[] = [
  HONEYPOT_FIELD,
  'cf-turnstile-response',
  'turnstile_token',
];

/**
 * The hidden "website" field of our forms: people never see it, bots fill it. A bot that
 * sends it twice, one value blank, is still a bot (and must not get an error that points
 * at the trap): any non-blank value fills it.
 */
export function isHoneypotFilled(fields: Record<string, unknown>): boolean {
  const values = ([] as unknown[]).concat(fields[HONEYPOT_FIELD]);
  const filled = values.some((value) => typeof value === 'string' && value.trim() !== '');
  if (filled) logEvent('form_guard', { action: 'honeypot' });
  return filled;
}

/** True when this IP used up its burst allowance (no binding configured: never). */
export async function isIpRateLimited(limiter: RateLimit | undefined, ip: string | null): Promise<boolean> {
  if (!limiter) return false;
  const { success } = await limiter.limit({ key: rateLimitKey(ip) });
  return !success;
}

/**
 * Whom the burst limit counts: an IPv4 address, or an IPv6 client's /64. One IPv6 host
 * usually holds a whole /64 (SLAAC, privacy addresses, any VPS), so counting single IPv6
 * addresses let one client rotate through addresses and never be limited.
 */
export function rateLimitKey(ip: string | null): string {
  if (!ip) return 'ip:unknown';
  if (!ip.includes(':')) return `ip:${ip}`;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return `ip:${mapped[1]}`;
  const [head = '', tail, extra] = ip.toLowerCase().split('::');
  if (extra !== undefined) return `ip:${ip}`;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 (…:1.2.3.4) fills the last two groups.
  const width = left.length + right.reduce((sum, group) => sum + (group.includes('.') ? 2 : 1), 0);
  const all = [...left, ...Array<string>(Math.max(0, 8 - width)).fill('0'), ...right];
  const prefix = all.slice(0, 4);
  if (prefix.length < 4 || !prefix.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return `ip:${ip}`;
  return `ip6:${prefix.map((group) => Number.parseInt(group, 16).toString(16)).join(':')}::/64`;
}

export async function checkFormGuards(
  app: Pick<AppContext, 'db' | 'config'>,
  limiter: RateLimit | undefined,
  fields: Record<string, unknown>,
  ip: string | null,
  /** The form's Turnstile action, or false for a form without the widget. */
  options: { turnstile: TurnstileAction | false },
  now: Date = new Date(),
): Promise<GuardOutcome> {
  const { config } = app;
  if (await isIpRateLimited(limiter, ip)) {
    logEvent('form_guard', { action: 'rate_limited' });
    return {
      ok: false,
      kind: 'rate_limited',
      status: 429,
      message: RATE_LIMIT_MESSAGE,
      retryAfterSeconds: 60,
    };
  }
  if (options.turnstile && config.TURNSTILE_SECRET_KEY) {
    const token = fields['cf-turnstile-response'] ?? fields.turnstile_token;
    const result = await verifyTurnstile(
      config.TURNSTILE_SECRET_KEY,
      typeof token === 'string' ? token : undefined,
      ip,
      { hostname: new URL(config.PUBLIC_URL).hostname, action: options.turnstile },
      now,
    );
    if (!result.success) {
      logEvent('form_guard', {
        action: 'turnstile_failed',
        form: options.turnstile,
        codes: result.errorCodes,
      });
      return result.unavailable
        ? {
            ok: false,
            kind: 'turnstile_unavailable',
            status: 503,
            message: 'We could not check that you are human just now. Please try again in a minute.',
          }
        : {
            ok: false,
            kind: 'turnstile_failed',
            status: 403,
            message: 'Please complete the "verify you are human" check, then submit again.',
          };
    }
  }
  // Counted last, so a refused submission (burst, Turnstile) does not use up the day's.
  // Without Cloudflare's client IP (local development, a service binding) there is nobody
  // to count: keyed as one "unknown" client, every such request would share one allowance.
  // FORM_SUBMISSIONS_PER_IP_PER_DAY (20 by default: far above what one household or office
  // sends a newsletter's forms in a day, far below the 14,400 the burst limit allows) can be
  // raised where many readers share one address (a campus NAT), or 0 with Turnstile on.
  const perDay = config.FORM_SUBMISSIONS_PER_IP_PER_DAY;
  if (ip && perDay > 0) {
    const clientHash = await hmacSha256Hex(config.TOKEN_SECRET, `form-client:${rateLimitKey(ip)}`);
    const counted = await recordFormSubmission(app.db, clientHash, perDay, now);
    if (!counted.recorded) {
      logEvent('form_guard', { action: 'daily_limit' });
      return {
        ok: false,
        kind: 'daily_limit',
        status: 429,
        message: DAILY_LIMIT_MESSAGE,
        retryAfterSeconds: counted.retryAfterSeconds,
      };
    }
  }
  return { ok: true };
}
