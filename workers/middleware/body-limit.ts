/**
 * Size caps on bodies we must read whole before we can judge them (hono/body-limit). The
 * declared Content-Length is checked before anything is read, and a chunked body is
 * counted while it streams and dropped at the cap, so an oversized request costs neither
 * memory nor an HMAC over megabytes, and never reaches D1 (SQLITE_TOOBIG).
 */
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../../src/errors';

/** Resend's events are a few kB; 256 kB leaves room for long bounce diagnostics. */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

export const webhookBodyLimit = bodyLimit({
  maxSize: MAX_WEBHOOK_BODY_BYTES,
  onError: () => {
    throw new AppError(
      413,
      'body_too_large',
      `Webhook bodies are limited to ${MAX_WEBHOOK_BODY_BYTES / 1024} kB; nothing was read or stored.`,
    );
  },
});
