/**
 * Size caps on bodies we must read whole before we can judge them (hono/body-limit). The
 * declared Content-Length is checked before anything is read, and a chunked body is
 * counted while it streams and dropped at the cap, so an oversized request costs neither
 * memory nor an HMAC over megabytes, and never reaches D1 (SQLITE_TOOBIG).
 */
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../../src/errors';
import { MAX_IMPORT_BYTES } from '../../src/subscriptions/import';

/** A cap of `maxSize` bytes, answered with our 413 (through app.onError) when exceeded. */
const capBody = (maxSize: number, code: string, message: string) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError(413, code, message);
    },
  });

/** Resend's events are a few kB; 256 kB leaves room for long bounce diagnostics. */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

export const webhookBodyLimit = capBody(
  MAX_WEBHOOK_BODY_BYTES,
  'body_too_large',
  `Webhook bodies are limited to ${MAX_WEBHOOK_BODY_BYTES / 1024} kB; nothing was read or stored.`,
);

/**
 * Subscriber imports, counted in bytes: checking the decoded string's length instead read a
 * chunked body whole, however big, and let 10 MB of "é" through as 5 million characters.
 */
export const importBodyLimit = capBody(
  MAX_IMPORT_BYTES,
  'import_too_large',
  `Import bodies are limited to ${MAX_IMPORT_BYTES} bytes; nothing was imported: split the file.`,
);
