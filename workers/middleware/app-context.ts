/**
 * The first middleware of every request: validates the environment once (parseConfig
 * caches per env object) and puts the typed config and app context on the Hono context,
 * so a misconfigured deploy fails with one clear error instead of deep inside a route.
 */
import type { MiddlewareHandler } from 'hono';
import { appContext } from '../../src/env';
import type { HonoEnv } from '../types';

export const appContextMiddleware: MiddlewareHandler<HonoEnv> = async (c, next) => {
  const context = appContext(c.env);
  c.set('app', context);
  c.set('config', context.config);
  await next();
};
