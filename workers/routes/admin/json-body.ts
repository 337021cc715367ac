/**
 * The admin API's optional JSON bodies (POST /admin/ingest, POST /admin/digest): an empty
 * body means "defaults", anything else must be JSON that passes the route's schema, or
 * the caller gets a 400 naming the fields, and nothing runs.
 */
import type { z } from 'zod';
import { AppError, fieldErrors } from '../../../src/errors';

export async function readOptionalJsonBody<Schema extends z.ZodType>(
  request: Request,
  schema: Schema,
  what: string,
  example: string,
): Promise<z.output<Schema>> {
  const raw = (await request.text()).trim();
  let body: unknown = {};
  if (raw !== '') {
    try {
      body = JSON.parse(raw);
    } catch {
      throw new AppError(400, 'invalid_json', `The request body must be JSON, e.g. ${example}`);
    }
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new AppError(400, 'invalid_request', `Invalid ${what} request`, fieldErrors(parsed.error, 'body'));
  return parsed.data;
}
