/**
 * POST /admin/digest: runs the digest planner now, exactly as the hourly cron would, and
 * answers with what it planned. Optional JSON body: `at` (ISO-8601, at most a day ahead)
 * simulates the cron time, `all: true` ignores send hours and weekdays (every active
 * subscriber whose current period has no digest yet). Running it twice for the same
 * period plans nothing new.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { planDigests } from '../../../src/delivery/planner';
import { logEvent } from '../../../src/lib/log';
import { jsonOnly, validJson } from '../../middleware/validate';
import type { HonoEnv } from '../../types';

/**
 * How far ahead `at` may simulate the cron. Planning moves each planned subscriber's next
 * send instant past `at`, so a mistyped year ("2062") kept everyone it planned out of the
 * hourly cron until then; a day covers simulating the coming hours (the benchmarks do).
 */
const MAX_AHEAD_MS = 24 * 3_600_000;

const planRequestSchema = z
  .object({
    at: z.iso
      .datetime({ offset: true })
      .refine((at) => !(Date.parse(at) > Date.now() + MAX_AHEAD_MS), {
        message:
          'at must not be more than 24 hours in the future: planning moves each planned subscriber’s next digest past it',
      })
      .optional(),
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
