/**
 * Origin check for the state-changing forms on our own pages (hono/csrf): a form POST must
 * come from our origin (the host serving the page, or PUBLIC_URL) or say Sec-Fetch-Site:
 * same-origin. A refusal is Hono's HTTPException(403), which the app's one onError turns
 * into a clear page or JSON error. JSON requests pass: browsers cannot send them
 * cross-site without CORS. Not used on the RFC 8058 one-click unsubscribe, which mail
 * providers POST from their own servers.
 */
import { csrf } from 'hono/csrf';

export const browserFormsOnly = csrf({
  origin: (origin, c) =>
    origin === new URL(c.req.url).origin || origin === new URL(c.var.config.PUBLIC_URL).origin,
  secFetchSite: ['same-origin'],
});
