/**
 * The shape of one outgoing email, shared by the transports (Resend or the development
 * outbox) and the outbox table, in a module of its own so that neither imports the other
 * for it.
 */
export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
  /** Resend tags: names and values of ASCII letters, digits, `_` and `-` only. */
  tags?: { name: string; value: string }[];
}
