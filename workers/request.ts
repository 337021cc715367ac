/**
 * Small readers of the incoming request shared by the route modules: the visitor's IP
 * (Cloudflare's header; never stored as such, only rate-limited on and kept as keyed
 * hashes: consent evidence, and a day's count for the per-IP daily cap), the signed token
 * (query string, or a form field for forms that post it), and the submitted values kept
 * as strings to re-render a form after an error.
 */
import type { Context } from 'hono';
import type { BodyFormat, Submission } from '../src/subscriptions/request-body';
import { acceptPrefersJson, isJsonType } from './media-type';
import type { HonoEnv } from './types';

export const clientIp = (c: Context<HonoEnv>): string | null => c.req.header('cf-connecting-ip') ?? null;

export function tokenOf(c: Context<HonoEnv>, submission?: Submission): string | undefined {
  const fromQuery = c.req.query('token');
  if (fromQuery) return fromQuery;
  const fromBody = submission?.fields.token;
  return typeof fromBody === 'string' ? fromBody : undefined;
}

/**
 * Keeps the visitor's input as strings for re-rendering a form. Strings are kept whole: a
 * paste far over a field's limit comes back for the visitor to trim, not cut at some length
 * of ours (readSubmission already caps the whole body at MAX_BODY_BYTES).
 */
export function formValues(fields: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') values[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') values[name] = String(value);
    else if (Array.isArray(value)) values[name] = value.filter((item) => typeof item === 'string').join('; ');
  }
  return values;
}

/**
 * True when the client prefers JSON (any `+json` type too) to a page, by q-value: API
 * clients; app.onError decides its answers the same way (./media-type.ts).
 */
export function prefersJson(c: Context<HonoEnv>): boolean {
  return acceptPrefersJson(c.req.header('accept'));
}

/**
 * Whether to answer a POST in JSON: a JSON body, or a client that prefers JSON (a script
 * posting the form encoding), as app.onError decides for the errors it answers itself.
 */
export const answersJson = (c: Context<HonoEnv>, format: BodyFormat) => format === 'json' || prefersJson(c);

/**
 * Whether app.onError (and the not-found and method handlers) answer this request in JSON.
 * Browsers get pages; API clients (a JSON body, or an Accept preferring JSON, `+json`
 * dialects included, by q-value: ./media-type.ts) get JSON. A tie (no Accept, a bare `*\/*`)
 * is JSON under /admin/, the API, and a page elsewhere, /admin's dashboard included; the
 * webhook endpoint only ever talks to machines: JSON whatever the request declares.
 */
export function wantsJson(request: Request): boolean {
  if (isJsonType(request.headers.get('content-type') ?? '')) return true;
  const { pathname } = new URL(request.url);
  if (pathname.startsWith('/webhooks/')) return true;
  return acceptPrefersJson(request.headers.get('accept'), pathname.startsWith('/admin/') ? 'json' : 'html');
}
