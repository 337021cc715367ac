/**
 * POST /admin/ingest: runs the cron's ingest now, for backfills and after an outage.
 * Optional JSON body `{"date": "YYYY-MM-DD", "sources": ["hf", "arxiv"]}` (default: today,
 * both sources). Answers the run summary: 200 when every source ran and succeeded, 502 when
 * an upstream failed (the body still says what was stored and why the rest was not), 503
 * with Retry-After when a source is still inside a wait it asked for, and 409 when another
 * arXiv crawl holds the one connection arXiv allows: a script that backfills must not read
 * "ok" for a run that asked nothing.
 * The run happens inside the request, on purpose: it fits one invocation (a full arXiv
 * crawl is 145 statements, test/ingest/budget.test.ts, parsed a page at a time), but takes
 * a minute or more (arXiv's 3 s between its 20 requests), and work left to ctx.waitUntil
 * gets only 30 s after the answer, so a crawl there would be cut short with no run
 * recorded. A request has no time limit while its client waits (curl --max-time 300); a
 * client that gives up cancels the crawl, keeping the pages stored so far.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { INGEST_SOURCES, runIngest } from '../../../src/ingest';
import { addDays, utcDate } from '../../../src/lib/time';
import { jsonOnly, validJson } from '../../middleware/validate';
import type { HonoEnv } from '../../types';

const ingestRequestSchema = z
  .object({
    date: z.iso
      .date({ message: 'date must be a calendar date written YYYY-MM-DD' })
      .refine((date) => !/^\d{4}-\d\d-\d\d$/.test(date) || date <= addDays(utcDate(), 1), {
        message: 'date must not be in the future',
      })
      .optional(),
    sources: z
      .array(z.enum(INGEST_SOURCES as ['hf', 'arxiv'], { message: 'sources may contain "hf" and "arxiv"' }))
      .min(1, { message: 'sources must name at least one source' })
      .optional(),
  })
  .strict();

export const adminIngestRoutes = new Hono<HonoEnv>().post(
  '/ingest',
  jsonOnly,
  validJson(ingestRequestSchema, 'ingest'),
  async (c) => {
    const input = c.req.valid('json');
    const result = await runIngest(c.var.app, {
      sources: input.sources ?? [...INGEST_SOURCES],
      at: new Date(),
      date: input.date,
    });
    if (result.runs.some((run) => run.status === 'failed')) return c.json({ ok: false, ...result }, 502);
    const skipped = result.runs.filter((run) => run.status === 'skipped');
    if (skipped.length === 0) return c.json({ ok: true, ...result }, 200);
    const waits = skipped.flatMap((run) => (run.retry_at ? [Date.parse(run.retry_at)] : []));
    if (waits.length === 0) return c.json({ ok: false, ...result }, 409);
    const seconds = Math.max(1, Math.ceil((Math.max(...waits) - Date.now()) / 1000));
    c.header('Retry-After', String(seconds));
    return c.json({ ok: false, ...result }, 503);
  },
);
