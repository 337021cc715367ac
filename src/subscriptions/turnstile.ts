/**
 * Cloudflare Turnstile server-side check for the sign-up form. Only used when
 * TURNSTILE_SECRET_KEY is set. A missing token fails without a network call; if siteverify
 * itself cannot be reached we report "unavailable" so the route can answer 503 (try again)
 * rather than blaming the person for a challenge they may well have passed.
 */
export const TURNSTILE_VERIFY_URL = 'https://challenges.cloudflare.com/turnstile/v0/siteverify';
const TIMEOUT_MS = 10_000;

export type TurnstileResult =
  | { success: true }
  | { success: false; unavailable: boolean; errorCodes: string[] };

export async function verifyTurnstile(
  secret: string,
  token: string | undefined,
  remoteIp: string | null,
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
  let outcome: { success?: unknown; 'error-codes'?: unknown };
  try {
    outcome = await response.json();
  } catch {
    return { success: false, unavailable: true, errorCodes: ['invalid-json'] };
  }
  if (outcome.success === true) return { success: true };
  const errorCodes = Array.isArray(outcome['error-codes']) ? outcome['error-codes'].map(String) : [];
  // Our own secret being wrong is an outage, not the visitor's fault.
  const unavailable = errorCodes.some((code) => code === 'invalid-input-secret' || code === 'internal-error');
  return { success: false, unavailable, errorCodes };
}
