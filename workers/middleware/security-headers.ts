/**
 * Security headers for every response (hono/secure-headers). The CSP allows scripts only
 * from our own origin and Cloudflare Turnstile, never inline: our pages' little JavaScript
 * lives in /assets/forms.js, so an injected <script> or event handler attribute cannot run
 * even if escaping were ever missed. Inline styles stay allowed (no script can hide there).
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
  referrerPolicy: 'no-referrer',
});
