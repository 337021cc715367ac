/**
 * Security headers for every response (hono/secure-headers). The CSP allows scripts only
 * from our own origin and Cloudflare Turnstile, never inline: our pages' little JavaScript
 * lives in /assets/forms.js, so an injected <script> or event handler attribute cannot run
 * even if escaping were ever missed. Inline styles stay allowed (no script can hide there).
 * Referrer-Policy is same-origin: our URLs carry signed tokens, which must never reach
 * another site in a Referer, and same-origin sends them nowhere else. Not no-referrer:
 * under it a browser sends `Origin: null` even with a form posted to our own origin (Fetch,
 * "append a request Origin header"), so the forms' origin check (./browser-form.ts) could
 * only pass on Sec-Fetch-Site, and every form was refused where that is not sent (browsers
 * without Fetch Metadata, and any browser on a plain-http address such as the dev server
 * opened from a phone on the LAN).
 */
import { secureHeaders } from 'hono/secure-headers';

const TURNSTILE = 'https://challenges.cloudflare.com';

export const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'", TURNSTILE],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'https:'],
    frameSrc: [TURNSTILE, "'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'self'"],
    baseUri: ["'none'"],
    objectSrc: ["'none'"],
  },
  referrerPolicy: 'same-origin',
});
