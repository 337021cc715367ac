/**
 * The admin API. Everything under /admin requires the ADMIN_TOKEN (workers/middleware/
 * admin-auth.ts): `Authorization: Bearer <token>` for scripts and for every request that
 * changes something; HTTP Basic auth (token as password) only for reading, so the
 * dashboard works in a browser without opening a CSRF hole. Each admin area is its own
 * sub-app mounted here.
 */
import { Hono } from 'hono';
import { adminAuth } from '../../middleware/admin-auth';
import type { HonoEnv } from '../../types';
import { adminDashboardRoutes } from './dashboard';
import { adminDigestRoutes } from './digest';
import { adminIngestRoutes } from './ingest';
import { adminStatsRoutes } from './stats';
import { adminSubscriberRoutes } from './subscribers';
import { adminSuppressionRoutes } from './suppressions';

export const adminRoutes = new Hono<HonoEnv>()
  .use(adminAuth)
  .route('/', adminStatsRoutes)
  .route('/', adminIngestRoutes)
  .route('/', adminDigestRoutes)
  .route('/', adminSubscriberRoutes)
  .route('/', adminSuppressionRoutes)
  .route('/', adminDashboardRoutes);
