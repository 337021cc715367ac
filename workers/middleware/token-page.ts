/**
 * Pages reached through signed links carry the token in their URL: they are never stored
 * by browsers or proxies and never indexed, so a shared computer or a crawler does not
 * keep a working link to someone's subscription. Set after the handler, so error pages
 * (a revoked or mistyped link) get the same headers as the page itself. A handler may let
 * the reader's own cache keep a success for a while (`private`: the feed, which feed
 * readers poll); nothing else is stored.
 */
import type { MiddlewareHandler } from 'hono';
import type { HonoEnv } from '../types';

export const tokenPage: MiddlewareHandler<HonoEnv> = async (c, next) => {
  await next();
  const privateCache = c.res.ok && /^private\b/.test(c.res.headers.get('Cache-Control') ?? '');
  if (!privateCache) c.res.headers.set('Cache-Control', 'no-store');
  c.res.headers.set('X-Robots-Tag', 'noindex');
};
