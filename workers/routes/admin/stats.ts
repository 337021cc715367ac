/**
 * GET /admin/stats: the counts an operator checks first, and whatever holds sending (the
 * Resend quota, or a refusal of our configuration: `sendingRefused`).
 */
import { Hono } from 'hono';
import { getStats } from '../../../src/db/stats';
import type { HonoEnv } from '../../types';

export const adminStatsRoutes = new Hono<HonoEnv>().get('/stats', async (c) =>
  c.json(await getStats(c.var.app.db)),
);
