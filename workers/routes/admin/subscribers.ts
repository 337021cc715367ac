/**
 * Operators' subscriber tools (admin token required by the admin sub-app): import, export,
 * and what an operator does for one address (src/subscriptions/operator.ts): look it up
 * (POST /admin/subscribers/lookup with {"email"}, or GET ?email= from a browser) and erase
 * it on request (POST /admin/subscribers/erase with {"email"}; lifting a suppression is
 * ./suppressions.ts). A GET's query is part of the request URL, which Workers Logs and
 * `wrangler tail` record with every request: a body keeps the address out of the logs.
 * POST /admin/subscribers/import takes CSV (text/csv, header `email,interests,frequency,
 * send_hour,time_zone`) or JSON (an array of the same fields) and answers a per-row report.
 * GET /admin/subscribers/export streams the subscribers as CSV (optionally `?status=`),
 * without secrets, in sign-up order, a page per query. Every query of a streamed response
 * counts against that one invocation (Workers allow 1,000, we plan for 500), so a response
 * is one part of at most EXPORT_ROWS_PER_RESPONSE subscribers, and a `Link: <…>; rel="next"`
 * header names the next part (`?after=<created_at>,<id>`) whenever one follows.
 */
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import Papa from 'papaparse';
import { z } from 'zod';
import {
  EXPORT_COLUMNS,
  type ExportCursor,
  exportPartEnd,
  listSubscribersForExport,
} from '../../../src/db/admin';
import { AppError, fieldErrors } from '../../../src/errors';
import { importSubscribers, parseImportCsv, parseImportJson } from '../../../src/subscriptions/import';
import { eraseAddress, lookupAddress } from '../../../src/subscriptions/operator';
import { emailField } from '../../../src/subscriptions/schema';
import { importBodyLimit } from '../../middleware/body-limit';
import { jsonOnly, validJson } from '../../middleware/validate';
import type { HonoEnv } from '../../types';

// Not text/plain: an HTML form on another site can send that type with the admin's Basic credentials.
const CSV_TYPES = ['text/csv', 'application/csv'];
const STATUSES = ['pending', 'active', 'unsubscribed', 'suppressed'] as const;
const EXPORT_PAGE_SIZE = 500;
/** Subscribers per response: 100 pages of 500, so ~102 queries whatever the list's size. */
export const EXPORT_ROWS_PER_RESPONSE = 50_000;

/** `after` of a next link: the last exported subscriber's `created_at,id` (neither holds a comma). */
function parseCursor(value: string | undefined): ExportCursor | undefined {
  if (value === undefined) return undefined;
  const comma = value.indexOf(',');
  const createdAt = value.slice(0, comma);
  const id = value.slice(comma + 1);
  if (comma < 1 || id === '' || id.includes(',') || value.length > 200) {
    throw new AppError(
      400,
      'invalid_cursor',
      'after must be the cursor a previous part named in its Link header (created_at,id).',
    );
  }
  return { createdAt, id };
}

/**
 * A query validated by `schema`, refused whole with a 400 naming each parameter. Unknown
 * or repeated parameters are refused too: a mistyped `?stauts=active` exported everyone,
 * unsubscribed and suppressed people included, to an operator who asked for one status.
 */
function validQuery<Schema extends z.ZodType>(schema: Schema, help: string) {
  return zValidator('query', schema, (result) => {
    if (!result.success) throw new AppError(400, 'invalid_request', help, fieldErrors(result.error, 'query'));
  });
}

const EXPORT_QUERY_HELP = `The export takes at most ?status= (one of ${STATUSES.join(', ')}) and the ?after= a previous part's Link header named, each once.`;

const exportQuery = z
  .object({
    status: z.enum(STATUSES, { error: `status must be one of ${STATUSES.join(', ')}` }).optional(),
    after: z.string().optional(),
  })
  .strict();

/**
 * `?email=` of a look-up. A "+" typed into a URL arrives as a space (form encoding), and no
 * address holds a space, so one inside the address is read back as the "+" it was:
 * `?email=ada+news@example.com` finds ada+news@, not an error.
 */
const lookupQuery = z
  .object({
    email: z.preprocess(
      (value) => (typeof value === 'string' ? value.trim().replaceAll(' ', '+') : value),
      emailField,
    ),
  })
  .strict();

/** `{"email"}` of a look-up or an erasure: the address in the body, never in the URL. */
const addressBody = z.object({ email: emailField }).strict();

export const adminSubscriberRoutes = new Hono<HonoEnv>()
  .get(
    '/subscribers/lookup',
    validQuery(lookupQuery, 'Give the address to look up once, as ?email=.'),
    async (c) => c.json(await lookupAddress(c.var.app, c.req.valid('query').email)),
  )
  .post('/subscribers/lookup', jsonOnly, validJson(addressBody, 'lookup'), async (c) =>
    c.json(await lookupAddress(c.var.app, c.req.valid('json').email)),
  )
  .post('/subscribers/erase', jsonOnly, validJson(addressBody, 'erase'), async (c) =>
    c.json(await eraseAddress(c.var.app, c.req.valid('json').email)),
  )
  .post('/subscribers/import', importBodyLimit, async (c) => {
    const contentType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    let rows: ReturnType<typeof parseImportCsv>;
    if (contentType === 'application/json') {
      const text = await c.req.text();
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new AppError(400, 'invalid_json', 'The body is not valid JSON.');
      }
      rows = parseImportJson(value);
    } else if (CSV_TYPES.includes(contentType)) {
      rows = parseImportCsv(await c.req.text());
    } else {
      throw new AppError(
        415,
        'unsupported_media_type',
        'Send the subscribers as text/csv (header: email,interests,frequency,send_hour,time_zone) or application/json.',
      );
    }
    const report = await importSubscribers(c.var.app, rows);
    return c.json(report, 200);
  })
  .get('/subscribers/export', validQuery(exportQuery, EXPORT_QUERY_HELP), async (c) => {
    const { status } = c.req.valid('query');
    const after = parseCursor(c.req.valid('query').after);
    const db = c.var.app.db;
    const end = await exportPartEnd(db, { after, status }, EXPORT_ROWS_PER_RESPONSE);
    const encoder = new TextEncoder();
    let cursor = after;
    let headerSent = false;
    let done = false;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (done) {
          controller.close();
          return;
        }
        const page = await listSubscribersForExport(db, {
          after: cursor,
          until: end ?? undefined,
          status,
          limit: EXPORT_PAGE_SIZE,
        });
        const last = page[page.length - 1];
        if (last) cursor = { createdAt: last.created_at, id: last.id };
        if (page.length < EXPORT_PAGE_SIZE || (end !== null && last?.id === end.id)) done = true;
        const csv = Papa.unparse(
          {
            fields: [...EXPORT_COLUMNS],
            data: page.map((row) => EXPORT_COLUMNS.map((column) => row[column])),
          },
          // Values starting with = + - @ are prefixed with ' so spreadsheets do not run them.
          { header: !headerSent, escapeFormulae: true, newline: '\r\n' },
        );
        headerSent = true;
        if (csv.length > 0) controller.enqueue(encoder.encode(`${csv}\r\n`));
        if (done) controller.close();
      },
    });
    const date = new Date().toISOString().slice(0, 10);
    const headers: Record<string, string> = {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="subscribers-${status ?? 'all'}-${date}.csv"`,
    };
    if (end) {
      const next = new URLSearchParams({
        ...(status ? { status } : {}),
        after: `${end.createdAt},${end.id}`,
      });
      headers.Link = `</admin/subscribers/export?${next}>; rel="next"`;
    }
    return c.body(stream, 200, headers);
  });
