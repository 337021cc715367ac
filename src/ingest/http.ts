/**
 * One bounded GET to an upstream. Every failure that should fail a source's run (network
 * error, timeout, non-2xx) becomes an UpstreamError whose message says what happened, so
 * it can be recorded in ingest_runs as-is and the next cron simply tries again.
 */
import { readCapped } from '../lib/capped-body';
import { retryAfterSeconds } from '../lib/time';

export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    message: string,
    /** HTTP status when the upstream answered, null for network errors and timeouts. */
    readonly status: number | null = null,
    /** The error response's body, for sources that explain errors in it (arXiv's error feed). */
    readonly body: string | null = null,
    /** Seconds the upstream asked us to wait (Retry-After on a 429 or 503), if it said. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

/**
 * The most of a body we read: a real page is well under a megabyte (200 arXiv entries
 * ~0.5 MB, 100 Hugging Face items ~0.3 MB), and a body held as text, then parsed whole,
 * takes several times its size of the isolate's memory. An upstream gone wrong (or a
 * proxy serving something else) fails the run with a clear error instead.
 */
export const MAX_UPSTREAM_BYTES = 8 * 1024 * 1024;

export interface FetchTextOptions {
  timeoutMs: number;
  accept: string;
  userAgent: string;
}

/** Fetches `url` and returns the body text, aborting after `timeoutMs` (body included). */
export async function fetchText(url: string, options: FetchTextOptions): Promise<string> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const where = describe(url);
  let response: Response;
  try {
    response = await fetch(url, {
      signal,
      headers: { accept: options.accept, 'user-agent': options.userAgent },
    });
  } catch (error) {
    throw toUpstreamError(error, where, options.timeoutMs);
  }
  let body: string;
  try {
    body = await readText(response);
  } catch (error) {
    if (error instanceof UpstreamError) throw new UpstreamError(`${where} ${error.message}`, response.status);
    throw toUpstreamError(error, where, options.timeoutMs);
  }
  if (!response.ok) {
    const excerpt = bodyExcerpt(body);
    const retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
    const wait = retryAfter === null ? '' : ` (retry after ${retryAfter} s)`;
    throw new UpstreamError(
      `${where} answered HTTP ${response.status}${wait}${excerpt ? `: ${excerpt}` : ''}`,
      response.status,
      body,
      retryAfter,
    );
  }
  return body;
}

/** The body as text, or an UpstreamError once it passes MAX_UPSTREAM_BYTES (read no further). */
async function readText(response: Response): Promise<string> {
  const tooLarge = () =>
    new UpstreamError(`answered more than ${MAX_UPSTREAM_BYTES / 1024 / 1024} MB: not read`);
  if (Number(response.headers.get('content-length') ?? 0) > MAX_UPSTREAM_BYTES) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const bytes = await readCapped(response.body, MAX_UPSTREAM_BYTES);
  if (bytes === null) throw tooLarge();
  return new TextDecoder().decode(bytes);
}

/**
 * The start of a body as readable text, for error messages. Gateways (CloudFront,
 * Cloudflare) answer outages with HTML pages whose first 200 characters are doctype,
 * comments and styles: the words a person would read are kept, the markup is not.
 */
export function bodyExcerpt(body: string, length = 200): string {
  const readable = /^\s*<(?:!doctype html|html|head|body)\b/i.test(body)
    ? body
        .replace(/<!--[\s\S]*?-->/g, ' ')
        .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
        .replace(/<[^>]*>/g, ' ')
    : body;
  return readable.replace(/\s+/g, ' ').trim().slice(0, length);
}

/** The upstream asked us to slow down: further requests in this run would only be refused too. */
export function isBackOff(error: unknown): boolean {
  return error instanceof UpstreamError && (error.status === 429 || error.retryAfterSeconds !== null);
}

function toUpstreamError(error: unknown, where: string, timeoutMs: number): UpstreamError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new UpstreamError(`${where} timed out after ${timeoutMs} ms`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new UpstreamError(`${where} is unreachable: ${message}`);
}

/** Host and path only: query strings are long and say nothing about the failure. */
function describe(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return url;
  }
}
