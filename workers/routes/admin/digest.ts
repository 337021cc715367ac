/**
 * POST /admin/digest: runs the digest planner now, exactly as the hourly cron would, and
 * answers with what it planned. Optional JSON body: `at` (ISO-8601) simulates the cron
 * time, `all: true` ignores send hours and weekdays (every active subscriber whose current
 * period has no digest yet). Running it twice for the same period plans nothing new.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { planDigests } from '../../../src/delivery/planner';
import { logEvent } from '../../../src/lib/log';
import { jsonOnly, validJson } from '../../middleware/validate';
import type { HonoEnv } from '../../types';

const planRequestSchema = z
  .object({
    at: z.iso.datetime({ offset: true }).optional(),
    all: z.boolean().optional(),
  })
  .strict();

export const adminDigestRoutes = new Hono<HonoEnv>().post(
  '/digest',
  jsonOnly,
  validJson(planRequestSchema, 'digest'),
  async (c) => {
    const input = c.req.valid('json');
    const at = input.at ? new Date(input.at) : new Date();
    const started = Date.now();
    const summary = await planDigests(c.var.app, {
      at,
      all: input.all ?? false,
      waitUntil: (work) => c.executionCtx.waitUntil(work),
    });
    // The cron path logs through src/cron.ts; a manual run gets its own summary line.
    logEvent('admin_digest', {
      at: summary.at,
      all: summary.all,
      planned: summary.planned,
      messages: summary.messages,
      requeued: summary.requeued,
      expired: summary.expired,
      duration_ms: Date.now() - started,
    });
    return c.json(summary);
  },
);
