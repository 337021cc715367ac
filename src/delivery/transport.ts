/**
 * The mail transport seam. Production talks to Resend's HTTP API through the official SDK
 * (pointed at RESEND_API_URL so tests and local runs can use a fake); without RESEND_API_KEY,
 * when the development outbox is on (never in production), every email goes to the D1
 * `outbox` table instead, browsable at /dev/outbox. Both honour an idempotency key the same way (a replay returns the first
 * answer), so the exactly-once logic above them is exercised identically in either mode.
 * Results are classified here once, so callers decide retry/fail/pause without parsing
 * HTTP details.
 */
import { type IdempotentRequest, type PostOptions, Resend } from 'resend';
import { findOutboxByIdempotencyKey, insertOutboxEmails } from '../db/outbox';
import type { Config } from '../env';
import { asciiJson, chunksByteLength, type JsonChunks, writeChunks } from '../lib/json';
import { logEvent } from '../lib/log';
import { retryAfterSeconds } from '../lib/time';
import type { OutgoingEmail } from './email';

export type { OutgoingEmail };

/**
 * What Resend says about its rate-limit window on every answer (IETF RateLimit headers):
 * requests allowed per window, left in it, and whole seconds until it frees one.
 */
export interface RateLimitInfo {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * The longest a rate-limit answer may hold back sending. Resend's windows are a second
 * long; a header asking for hours (a proxy's, or a bug) would otherwise stop every send of
 * the deployment for that long (the pacer shares the hold through D1), while asking again
 * a minute later costs one more 429 at most.
 */
export const MAX_RATE_LIMIT_WAIT_SECONDS = 60;

const waitSeconds = (value: number) => Math.min(MAX_RATE_LIMIT_WAIT_SECONDS, value);

export function parseRateLimit(headers: Record<string, string> | null | undefined): RateLimitInfo | null {
  const read = (name: string) => {
    const value = Number(headers?.[name]);
    return headers?.[name] !== undefined && Number.isFinite(value) && value >= 0 ? value : null;
  };
  const limit = read('ratelimit-limit');
  const remaining = read('ratelimit-remaining');
  if (limit === null || remaining === null || limit === 0) return null;
  return { limit, remaining, resetSeconds: waitSeconds(read('ratelimit-reset') ?? 1) };
}

export type SendResult =
  /** Accepted: one message id per email, in request order. */
  (
    | { kind: 'sent'; ids: string[] }
    /** 429 rate limit: retry the same request after `retryAfterSeconds`. */
    | { kind: 'rate_limited'; retryAfterSeconds: number; message: string }
    /** Daily or monthly quota reached: stop sending until the period ends. */
    | { kind: 'quota_exceeded'; period: 'daily' | 'monthly'; message: string }
    /** The request itself is wrong (4xx validation): retrying cannot help. */
    | { kind: 'rejected'; status: number; name: string; message: string }
    /**
     * Resend refuses the account's configuration (API key, sending domain, from address):
     * every email alike, until an operator fixes it. Nothing was sent.
     */
    | { kind: 'misconfigured'; status: number; name: string; message: string }
    /**
     * 409 invalid_idempotent_request: Resend already holds a request under this key with a
     * different body, i.e. an earlier attempt reached it. Re-sending under a new key could
     * deliver twice, so the caller treats the group as sent (ids unknown).
     */
    | { kind: 'idempotency_conflict'; message: string }
    /**
     * 5xx, timeout, network failure, or a 4xx that is not Resend's JSON error (`unrecognised`: a proxy's page): retry with backoff.
     */
    | { kind: 'retryable'; status: number | null; message: string; unrecognised?: true }
  ) & {
    /** Resend's window as of this answer, when it said (the pacer adapts to it). */
    rateLimit?: RateLimitInfo;
  };

export interface MailTransport {
  readonly name: 'resend' | 'outbox';
  /** Sends up to 100 emails in one request (encoded already, or encoded here). */
  sendBatch(batch: EmailBatch | OutgoingEmail[], options?: { idempotencyKey?: string }): Promise<SendResult>;
}

/** Up to 100 emails and the body of their Resend request, encoded once (before pacing). */
export interface EmailBatch {
  emails: OutgoingEmail[];
  /**
   * The JSON body as UTF-8, converted before the pacing slot: a 3-5 MB string body made
   * the request reach the server 30-50 ms after it started, bytes 3-15 ms, and a steadier
   * delay is what the pacing guard has to cover.
   */
  bytes: Uint8Array;
}

/**
 * One email's part of the JSON body of POST /emails/batch: the fields the SDK's
 * `batch.send` sends, in its order, the same JSON value, written in ASCII (\uXXXX beyond
 * it) so that every piece is as many bytes as characters. An email from the digest fast
 * path brings its html and text already encoded (`json`: pieces encoded once per edition,
 * copied, never re-scanned); others are encoded here.
 */
export function encodeEmail(email: OutgoingEmail): JsonChunks {
  let head = `{"from":${asciiJson(email.from)}`;
  if (email.headers !== undefined) head += `,"headers":${asciiJson(email.headers)}`;
  let middle = email.replyTo === undefined ? '' : `,"reply_to":${asciiJson(email.replyTo)}`;
  middle += `,"subject":${asciiJson(email.subject)}`;
  if (email.tags !== undefined) middle += `,"tags":${asciiJson(email.tags)}`;
  // The html and text pieces as the renderer built them: listed, not copied piece by piece.
  return [
    `${head},"html":`,
    email.json?.html ?? asciiJson(email.html),
    `${middle},"text":`,
    email.json?.text ?? asciiJson(email.text),
    `,"to":${asciiJson(email.to)}}`,
  ];
}

/**
 * The request body of a batch, the same JSON value the SDK would send; parts may be
 * encoded already. One buffer of the exact size, the emails' pieces copied into it: no
 * string of the whole body is built, and nothing is converted twice. The buffer may be
 * one a sent batch gave back (`releaseBatch`); every byte of it is written here.
 */
export function encodeBatch(
  emails: readonly OutgoingEmail[],
  encoded: readonly JsonChunks[] = emails.map(encodeEmail),
): EmailBatch {
  let size = Math.max(encoded.length + 1, 2);
  for (const chunks of encoded) size += chunksByteLength(chunks);
  const bytes = bodyBuffer(size);
  let offset = 1;
  bytes[0] = 0x5b; // [
  for (const [index, chunks] of encoded.entries()) {
    if (index > 0) bytes[offset++] = 0x2c; // ,
    offset = writeChunks(chunks, bytes, offset);
  }
  // A reused buffer holds an earlier body: a byte not written here would be sent.
  if (offset !== size - 1) throw new Error(`batch body: wrote ${offset + 1} of ${size} bytes`);
  bytes[offset] = 0x5d; // ]
  return { emails: [...emails], bytes };
}

/**
 * Request bodies are large (5–6 MB for 100 digests), and a fresh one per request, zeroed
 * and then garbage, cost about as much as writing it. fetch() copies a body when the
 * request is made (the Fetch standard extracts a BufferSource body as a copy; workerd does),
 * so once a request has been answered its buffer is free: the transport gives it back and
 * the next batch is encoded into it. Two are kept: one request in flight while the next
 * message encodes.
 */
const spareBodies: ArrayBuffer[] = [];
const SPARE_BODIES = 2;

/**
 * Lets the kept request buffers go (up to ~12 MB), for an edition being set up: its whole
 * papers and their index are the isolate's high point, and the next requests make new ones.
 */
export function releaseSpareBodies(): void {
  spareBodies.length = 0;
}

/**
 * Room left in a new body buffer for a larger batch next time. An edition's batch bodies
 * differ by a few percent (20 batches of 100 at 10,000 candidates: 5.77–5.94 MB), so 1/32
 * more lets the next ones reuse it; the 1/4 it had was 1.5 MB of the sender's peak.
 */
const BODY_SLACK = 1 / 32;

function bodyBuffer(size: number): Uint8Array {
  const at = spareBodies.findIndex((buffer) => buffer.byteLength >= size);
  if (at >= 0) return new Uint8Array(spareBodies.splice(at, 1)[0]!, 0, size);
  // Every spare is too small for the batches to come as well: none is kept idle.
  spareBodies.length = 0;
  return new Uint8Array(new ArrayBuffer(Math.ceil(size * (1 + BODY_SLACK))), 0, size);
}

const released = new WeakSet<EmailBatch>();

/**
 * Gives a batch's body buffer back for the next batch; call only once nothing reads it any
 * more. A batch gives it back once: its buffer may already hold another batch's body.
 */
export function releaseBatch(batch: EmailBatch): void {
  if (released.has(batch)) return;
  released.add(batch);
  const buffer = batch.bytes.buffer;
  if (buffer instanceof ArrayBuffer && spareBodies.length < SPARE_BODIES) spareBodies.push(buffer);
}

export const RESEND_BATCH_LIMIT = 100;
export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;

/** Resend's answer to an accepted batch: one id per email, in request order. */
interface BatchResponse {
  data?: { id: string }[];
}

export interface TransportOptions {
  /** Abort a Resend request after this long (the outcome is then unknown: retry with the same key). */
  timeoutMs?: number;
}

export function createTransport(
  config: Config,
  db: D1Database,
  options: TransportOptions = {},
): MailTransport {
  if (config.RESEND_API_KEY)
    return resendTransport(config.RESEND_API_KEY, config.RESEND_API_URL, options.timeoutMs);
  if (config.devTools) return outboxTransport(db);
  // parseConfig already refuses a config without either; this guards future callers.
  throw new Error('RESEND_API_KEY is required unless the development outbox is on');
}

export function resendTransport(
  apiKey: string,
  baseUrl: string,
  timeoutMs: number = DEFAULT_REQUEST_TIMEOUT_MS,
): MailTransport {
  const resend = new Resend(apiKey, { baseUrl });
  return {
    name: 'resend',
    async sendBatch(batch, options = {}) {
      const encoded = Array.isArray(batch) ? encodeBatch(batch) : batch;
      // Its buffer went back after the first send and may hold another body by now.
      if (released.has(encoded)) throw new Error('batch already sent: encode it again');
      const { emails, bytes } = encoded;
      if (emails.length === 0) return { kind: 'sent', ids: [] };
      if (emails.length > RESEND_BATCH_LIMIT)
        throw new Error(`Resend batches hold at most ${RESEND_BATCH_LIMIT} emails`);
      // The SDK's own POST (auth, user agent, Idempotency-Key, error parsing) with the body
      // encoded by encodeBatch: it spreads request options into fetch() after its own body,
      // so `body` replaces the whole-array stringify and `signal` bounds the request.
      let answer: Awaited<ReturnType<typeof resend.post<BatchResponse>>>;
      try {
        answer = await resend.post<BatchResponse>('/emails/batch', undefined, {
          body: bytes,
          headers: { 'x-batch-validation': 'strict' },
          idempotencyKey: options.idempotencyKey,
          signal: AbortSignal.timeout(timeoutMs),
        } as PostOptions & IdempotentRequest);
      } finally {
        // Answered (or failed): fetch() copied the body long ago, and a retry encodes anew.
        releaseBatch(encoded);
      }
      const { data, error, headers } = answer;
      const rateLimit = parseRateLimit(headers) ?? undefined;
      if (data && !error) {
        const ids = (data.data ?? []).map((item) => item.id);
        if (ids.length !== emails.length) {
          return {
            kind: 'retryable',
            status: 200,
            message: `Resend returned ${ids.length} ids for ${emails.length} emails`,
            rateLimit,
          };
        }
        return { kind: 'sent', ids, rateLimit };
      }
      const result = classifyResendError(error, headers);
      if (result.kind === 'retryable' && result.unrecognised)
        logEvent('resend_unrecognised_error', { status: result.status, message: result.message });
      return { ...result, rateLimit };
    },
  };
}

interface ResendErrorShape {
  name?: string;
  message?: string;
  statusCode?: number | null;
}

export function classifyResendError(
  error: ResendErrorShape | null | undefined,
  headers: Record<string, string> | null | undefined,
): SendResult {
  const status = error?.statusCode ?? null;
  const name = error?.name ?? 'unknown_error';
  const message = error?.message ?? 'Unknown Resend error';
  if (name === 'daily_quota_exceeded') return { kind: 'quota_exceeded', period: 'daily', message };
  if (name === 'monthly_quota_exceeded') return { kind: 'quota_exceeded', period: 'monthly', message };
  if (status === 429) {
    const retryAfter = retryAfterSeconds(headers?.['retry-after'] ?? headers?.['ratelimit-reset']);
    return {
      kind: 'rate_limited',
      retryAfterSeconds: retryAfter !== null && retryAfter > 0 ? waitSeconds(retryAfter) : 1,
      message,
    };
  }
  // 409 concurrent_idempotent_requests: the first request with this key is still in flight.
  if (status === 409 && name === 'concurrent_idempotent_requests')
    return { kind: 'retryable', status, message };
  if (status === 409 && name === 'invalid_idempotent_request')
    return { kind: 'idempotency_conflict', message };
  if (status !== null && status >= 400 && status < 500) {
    // Only Resend's own refusal is final. A CDN or proxy in front of it (a 403 or 413 page
    // in HTML) never let the request reach Resend; the SDK names a body it cannot parse
    // application_error, which Resend itself uses for its 5xx only.
    if (!resendShaped(error))
      return {
        kind: 'retryable',
        status,
        message: `HTTP ${status} without Resend's JSON error (a proxy's answer?): ${message}`,
        unrecognised: true,
      };
    if (configurationRefused(status, name, message)) return { kind: 'misconfigured', status, name, message };
    return { kind: 'rejected', status, name, message };
  }
  return { kind: 'retryable', status, message };
}

/**
 * Refusals Resend documents about the account rather than an email: 401 (missing or
 * restricted key), 403 (invalid key; a sending domain not verified; test mode, which sends
 * only to the account's own address), and an invalid from or reply-to address, which come
 * from the deployment's settings. Recipient problems (an invalid `to`) are not among them.
 */
function configurationRefused(status: number, name: string, message: string): boolean {
  if (status === 401 || status === 403 || name === 'invalid_from_address') return true;
  return name === 'validation_error' && /`(from|reply_to)`/.test(message);
}

/** Resend's error body, `{"statusCode":…,"name":…,"message":…}`, as opposed to the SDK's stand-in. */
function resendShaped(error: ResendErrorShape | null | undefined): boolean {
  return (
    typeof error?.statusCode === 'number' &&
    typeof error.name === 'string' &&
    typeof error.message === 'string' &&
    error.name !== 'application_error'
  );
}

export function outboxTransport(db: D1Database): MailTransport {
  return {
    name: 'outbox',
    async sendBatch(batch, options = {}) {
      const emails = Array.isArray(batch) ? batch : batch.emails;
      if (emails.length === 0) return { kind: 'sent', ids: [] };
      if (emails.length > RESEND_BATCH_LIMIT)
        throw new Error(`Resend batches hold at most ${RESEND_BATCH_LIMIT} emails`);
      if (options.idempotencyKey) {
        const previous = await findOutboxByIdempotencyKey(db, options.idempotencyKey);
        if (previous.length > 0) return { kind: 'sent', ids: previous.map((id) => `outbox_${id}`) };
      }
      const ids = await insertOutboxEmails(db, emails.map(withReplyToHeader), options.idempotencyKey ?? null);
      return { kind: 'sent', ids: ids.map((id) => `outbox_${id}`) };
    },
  };
}

/**
 * The email as the outbox shows it: Resend sends `reply_to` as the Reply-To header, so the
 * outbox lists it with the other headers, where a developer checks what recipients get.
 */
function withReplyToHeader(email: OutgoingEmail): OutgoingEmail {
  if (email.replyTo === undefined) return email;
  return { ...email, headers: { ...email.headers, 'Reply-To': email.replyTo } };
}
