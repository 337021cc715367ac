/**
 * Runs for every request, right after the security headers: validates the environment
 * once (parseConfig caches per env object) and puts the typed config and app context on
 * the Hono context, so a misconfigured deploy fails with one clear error instead of deep
 * inside a route. A development configuration reached under a public host name (deployed
 * by mistake with its published secrets) answers only with that explanation.
 */
import type { MiddlewareHandler } from 'hono';
import { appContext, developmentHostRefusal } from '../../src/env';
import { AppError } from '../../src/errors';
import type { HonoEnv } from '../types';

export const appContextMiddleware: MiddlewareHandler<HonoEnv> = async (c, next) => {
  const context = appContext(c.env);
  c.set('app', context);
  c.set('config', context.config);
  const refusal = developmentHostRefusal(context.config, c.req.url);
  if (refusal) throw new AppError(503, 'development_configuration', refusal);
  await next();
};
