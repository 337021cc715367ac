/**
 * The shape of one outgoing email, shared by the transports (Resend or the development
 * outbox) and the outbox table, in a module of its own so that neither imports the other
 * for it; and its sender fields, taken from the configuration in one place so that every
 * kind of email says who sent it and where replies go alike.
 */
import type { Config } from '../env';
import type { JsonChunks } from '../lib/json';

export interface OutgoingEmail {
  from: string;
  /** Where replies go (Resend's `reply_to`, the Reply-To header); unset: to `from`. */
  replyTo?: string;
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

/** The sender fields of every email: MAIL_FROM, and REPLY_TO when the operator set one. */
export function sender(
  config: Pick<Config, 'MAIL_FROM' | 'REPLY_TO'>,
): Pick<OutgoingEmail, 'from' | 'replyTo'> {
  return config.REPLY_TO ? { from: config.MAIL_FROM, replyTo: config.REPLY_TO } : { from: config.MAIL_FROM };
}
