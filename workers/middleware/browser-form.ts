/**
 * Origin check for the state-changing forms on our own pages (hono/csrf): a form POST must
 * come from our origin (the host serving the page, or PUBLIC_URL) or say Sec-Fetch-Site:
 * same-origin. A refusal is Hono's HTTPException(403), which the app's one onError turns
 * into a clear page or JSON error. JSON requests pass: browsers cannot send them
 * cross-site without CORS. Not used on the RFC 8058 one-click unsubscribe, which mail
 * providers POST from their own servers (no Origin, or theirs), nor on POST /feedback.
 * Neither needs it: CSRF abuses credentials a browser attaches by itself (cookies, Basic
 * auth), and these carry none; each acts only with the signed token in its own request,
 * so a cross-site page can do nothing with them that its author could not do directly
 * with the token, and without the token it can do nothing. Refusing a missing Origin
 * there would only break one-click unsubscribes and votes from browsers that strip it.
 */
import { csrf } from 'hono/csrf';

export const browserFormsOnly = csrf({
  origin: (origin, c) =>
    origin === new URL(c.req.url).origin || origin === new URL(c.var.config.PUBLIC_URL).origin,
  secFetchSite: ['same-origin'],
});
