/**
 * The admin API. Everything under /admin requires the ADMIN_TOKEN, either as
 * `Authorization: Bearer <token>` (scripts) or as the password of HTTP Basic auth
 * (browsers, for the dashboard), compared in constant time. Each admin area is its
 * own sub-app mounted here.
 */
import { Hono } from 'hono';
import { AppError } from '../../../src/errors';
import { constantTimeEqual } from '../../../src/lib/crypto';
import type { HonoEnv } from '../../types';
import { adminDashboardRoutes } from './dashboard';
import { adminDigestRoutes } from './digest';
import { adminIngestRoutes } from './ingest';
import { adminStatsRoutes } from './stats';
import { adminSubscriberRoutes } from './subscribers';

/** Extracts the presented token from a Bearer or Basic Authorization header. */
export function presentedAdminToken(header: string | undefined): string | null {
  if (!header) return null;
  const [scheme, value] = header.split(/\s+/, 2);
  if (!scheme || !value) return null;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') {
    try {
      const decoded = atob(value);
      const colon = decoded.indexOf(':');
      return colon === -1 ? null : decoded.slice(colon + 1);
    } catch {
      return null;
    }
  }
  return null;
}

export const adminRoutes = new Hono<HonoEnv>()
  .use(async (c, next) => {
    const token = presentedAdminToken(c.req.header('authorization'));
    if (!token || !constantTimeEqual(token, c.var.config.ADMIN_TOKEN)) {
      const wantsPage = (c.req.header('accept') ?? '').includes('text/html');
      if (wantsPage) {
        // Let browsers show their login prompt; the password is the admin token.
        c.header('WWW-Authenticate', 'Basic realm="papers-digest admin", charset="UTF-8"');
        return c.text('Admin token required (use it as the password).', 401);
      }
      throw new AppError(
        401,
        'unauthorized',
        'Missing or invalid admin token (Authorization: Bearer <ADMIN_TOKEN>)',
      );
    }
    c.header('Cache-Control', 'no-store');
    await next();
  })
  .route('/', adminStatsRoutes)
  .route('/', adminIngestRoutes)
  .route('/', adminDigestRoutes)
  .route('/', adminSubscriberRoutes)
  .route('/', adminDashboardRoutes);
