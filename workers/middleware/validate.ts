/**
 * Request validation with @hono/zod-validator, raising our own AppError so every
 * validation failure reaches the client through the app's single onError in the same
 * shape: `{"error": {"code": "invalid_request", "message", "fields"}}`. An absent body
 * means "all defaults" (zValidator sees `{}`); a body that is not declared as JSON is
 * refused with 415 rather than silently ignored.
 */
import { zValidator } from '@hono/zod-validator';
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { AppError, fieldErrors } from '../../src/errors';
import type { HonoEnv } from '../types';

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** A body, if there is one, must be declared as JSON (zValidator would skip it otherwise). */
export const jsonOnly: MiddlewareHandler<HonoEnv> = async (c, next) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
  if (!JSON_TYPE.test(type) && (await c.req.raw.clone().arrayBuffer()).byteLength > 0) {
    throw new AppError(
      415,
      'unsupported_media_type',
      'Send the body as JSON (Content-Type: application/json).',
    );
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
