/**
 * Cloudflare Turnstile server-side check for the public forms (sign-up, /data). Only used
 * when TURNSTILE_SECRET_KEY is set. A missing token fails without a network call; if
 * siteverify itself cannot be reached we report "unavailable" so the route can answer 503
 * (try again) rather than blaming the person for a challenge they may well have passed.
 * siteverify's "success" only says the token is genuine and unspent: a site key may be
 * used on other hosts, and every form shares it, so the answer must also name our host
 * (PUBLIC_URL's) and the form's own action, or a token solved on someone else's page, or
 * on our other form, would pass. Cloudflare's test secrets are the exception: they only
 * accept the public dummy token, whose answer names no host or action of ours.
 */
export const TURNSTILE_VERIFY_URL = 'https://challenges.cloudflare.com/turnstile/v0/siteverify';
const TIMEOUT_MS = 10_000;
/** Cloudflare's documented lifetime of a token, counted from when the challenge was solved. */
const TOKEN_LIFETIME_MS = 300_000;

/** Each form's widget action (data-action), so a token is good for that form only. */
export type TurnstileAction = 'subscribe' | 'data';

/** Cloudflare's published test secrets (always pass, always fail, "already spent"). */
export const TEST_SECRETS: ReadonlySet<string> = new Set([
  '1x0000000000000000000000000000000AA',
  '2x0000000000000000000000000000000AA',
  '3x0000000000000000000000000000000AA',
]);

export type TurnstileResult =
  | { success: true }
  | { success: false; unavailable: boolean; errorCodes: string[] };

export async function verifyTurnstile(
  secret: string,
  token: string | undefined,
  remoteIp: string | null,
  expected: { hostname: string; action: TurnstileAction },
  now: Date = new Date(),
): Promise<TurnstileResult> {
  if (!token || token.length > 2048) {
    return { success: false, unavailable: false, errorCodes: ['missing-input-response'] };
  }
  const body = new URLSearchParams({ secret, response: token });
  if (remoteIp) body.set('remoteip', remoteIp);
  let response: Response;
  try {
    response = await fetch(TURNSTILE_VERIFY_URL, {
      method: 'POST',
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    return { success: false, unavailable: true, errorCodes: [`network: ${String(error)}`] };
  }
  if (!response.ok) return { success: false, unavailable: true, errorCodes: [`http_${response.status}`] };
  let outcome: {
    success?: unknown;
    'error-codes'?: unknown;
    hostname?: unknown;
    action?: unknown;
    challenge_ts?: unknown;
  };
  try {
    outcome = await response.json();
  } catch {
    return { success: false, unavailable: true, errorCodes: ['invalid-json'] };
  }
  if (outcome.success === true) {
    const mismatches = TEST_SECRETS.has(secret) ? [] : answerMismatches(outcome, expected, now);
    if (mismatches.length === 0) return { success: true };
    return { success: false, unavailable: false, errorCodes: mismatches };
  }
  const errorCodes = Array.isArray(outcome['error-codes']) ? outcome['error-codes'].map(String) : [];
  // Our own secret being wrong is an outage, not the visitor's fault.
  const unavailable = errorCodes.some((code) => code === 'invalid-input-secret' || code === 'internal-error');
  return { success: false, unavailable, errorCodes };
}

/**
 * What in a successful answer says the token is not for this form on this site; logged,
 * so an operator who serves the forms on a host other than PUBLIC_URL's can see why.
 */
function answerMismatches(
  outcome: { hostname?: unknown; action?: unknown; challenge_ts?: unknown },
  expected: { hostname: string; action: TurnstileAction },
  now: Date,
): string[] {
  const mismatches: string[] = [];
  const shown = (value: unknown) => JSON.stringify(value ?? null).slice(0, 100);
  if (outcome.hostname !== expected.hostname)
    mismatches.push(`hostname-mismatch: ${shown(outcome.hostname)}`);
  if (outcome.action !== expected.action) mismatches.push(`action-mismatch: ${shown(outcome.action)}`);
  // siteverify already refuses expired tokens (timeout-or-duplicate); this second look
  // costs one comparison. An answer without a timestamp is left to Cloudflare's check.
  const solvedAt = typeof outcome.challenge_ts === 'string' ? Date.parse(outcome.challenge_ts) : Number.NaN;
  if (Number.isFinite(solvedAt) && now.getTime() - solvedAt > TOKEN_LIFETIME_MS) {
    mismatches.push(`challenge-expired: ${shown(outcome.challenge_ts)}`);
  }
  return mismatches;
}
