/**
 * Pages reached through signed links carry the token in their URL: they are never stored
 * by browsers or proxies and never indexed, so a shared computer or a crawler does not
 * keep a working link to someone's subscription.
 */
import type { MiddlewareHandler } from 'hono';
import type { HonoEnv } from '../types';

export const tokenPage: MiddlewareHandler<HonoEnv> = async (c, next) => {
  await next();
  c.res.headers.set('Cache-Control', 'no-store');
  c.res.headers.set('X-Robots-Tag', 'noindex');
};
