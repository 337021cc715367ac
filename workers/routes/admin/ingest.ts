/**
 * POST /admin/ingest: runs the cron's ingest now, for backfills and after an outage.
 * Optional JSON body `{"date": "YYYY-MM-DD", "sources": ["hf", "arxiv"]}` (default: today,
 * both sources). Answers the run summary: 200 when every source succeeded, 502 when an
 * upstream failed (the body still says what was stored and why the rest was not).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { AppError } from '../../../src/errors';
import { INGEST_SOURCES, runIngest } from '../../../src/ingest';
import { addDays, utcDate } from '../../../src/lib/time';
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

export const adminIngestRoutes = new Hono<HonoEnv>().post('/ingest', async (c) => {
  const raw = await c.req.text();
  let body: unknown = {};
  if (raw.trim() !== '') {
    try {
      body = JSON.parse(raw);
    } catch {
      throw new AppError(400, 'invalid_json', 'The request body must be JSON, e.g. {"date":"2026-01-31"}');
    }
  }
  const parsed = ingestRequestSchema.safeParse(body);
  if (!parsed.success) {
    const fields: Record<string, string[]> = {};
    for (const issue of parsed.error.issues) {
      const key = issue.path.length > 0 ? String(issue.path[0]) : 'body';
      fields[key] = [...(fields[key] ?? []), issue.message];
    }
    throw new AppError(400, 'invalid_request', 'Invalid ingest request', fields);
  }
  const result = await runIngest(c.var.app, {
    sources: parsed.data.sources ?? [...INGEST_SOURCES],
    at: new Date(),
    date: parsed.data.date,
  });
  const failed = result.runs.some((run) => run.status === 'failed');
  return c.json({ ok: !failed, ...result }, failed ? 502 : 200);
});
