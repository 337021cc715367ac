/**
 * GET /admin/stats: the counts an operator checks first.
 */
import { Hono } from 'hono';
import { getStats } from '../../../src/db/stats';
import { activeConfigPause } from '../../../src/delivery/quota';
import type { HonoEnv } from '../../types';

export const adminStatsRoutes = new Hono<HonoEnv>().get('/stats', async (c) =>
  c.json({
    ...(await getStats(c.var.app.db)),
    sendingRefused: await activeConfigPause(c.var.app.db, new Date()),
  }),
);
