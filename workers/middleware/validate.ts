/**
 * Request validation with @hono/zod-validator, raising our own AppError so every
 * validation failure reaches the client through the app's single onError in the same
 * shape: `{"error": {"code": "invalid_request", "message", "fields"}}`. An absent or blank
 * body means "all defaults" (zValidator sees `{}`), whatever content type it declares. zValidator reads only bodies declared as
 * JSON, so `jsonOnly` first makes sure a body is never silently ignored: one sent without
 * a type or as text/plain (what `fetch(url, {body: string})` and scripts send) is read as
 * JSON, anything else is refused with 415.
 */
import { zValidator } from '@hono/zod-validator';
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { AppError, fieldErrors } from '../../src/errors';
import type { HonoEnv } from '../types';

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** A body, if there is one, is JSON: declared so, or undeclared/plain text and read as JSON. */
export const jsonOnly: MiddlewareHandler<HonoEnv> = async (c, next) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const body = new TextDecoder().decode(await c.req.raw.clone().arrayBuffer());
  if (body.trim() === '') {
    // No body is "all defaults" whatever the declared type: `curl -X POST -H 'Content-Type:
    // application/json'` without -d used to be refused as invalid JSON.
    if (type !== '') {
      const headers = new Headers(c.req.raw.headers);
      headers.delete('content-type');
      c.req.raw = new Request(c.req.raw, { headers });
    }
  } else if (!JSON_TYPE.test(type)) {
    if (type !== '' && type !== 'text/plain') {
      throw new AppError(
        415,
        'unsupported_media_type',
        'Send the body as JSON (Content-Type: application/json).',
      );
    }
    const headers = new Headers(c.req.raw.headers);
    headers.set('content-type', 'application/json');
    c.req.raw = new Request(c.req.raw, { headers });
  }
  await next();
};

/** Validates the JSON body against `schema`; the route reads it with c.req.valid('json'). */
export function validJson<Schema extends z.ZodType>(schema: Schema, what: string) {
  return zValidator('json', schema, (result) => {
    if (!result.success) {
      throw new AppError(
        400,
        'invalid_request',
        `Invalid ${what} request`,
        fieldErrors(result.error, 'body'),
      );
    }
  });
}
