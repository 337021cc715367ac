/**
 * The shape of one outgoing email, shared by the transports (Resend or the development
 * outbox) and the outbox table, in a module of its own so that neither imports the other
 * for it.
 */
import type { JsonChunks } from '../lib/json';

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
  /** Resend tags: names and values of ASCII letters, digits, `_` and `-` only. */
  tags?: { name: string; value: string }[];
  /**
   * `html` and `text` as ASCII JSON string literals, when the renderer built them (the
   * digest fast path): the request body is then joined from them instead of re-encoding
   * ~40 KB per email. Never sent as a field of its own.
   */
  json?: { html: JsonChunks; text: JsonChunks };
  /**
   * A digest: how many of its ranked papers it shows, best first (the rest did not fit
   * under Gmail's clipping size and stay unsent). Never sent as a field of its own.
   */
  papers?: number;
}
