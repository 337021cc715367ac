/**
 * The one error type the app throws on purpose. `app.onError` turns it into JSON for API
 * clients or an HTML page for browsers; anything else is a bug and becomes a logged 500.
 */
import type { z } from 'zod';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 502 | 503;

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: ErrorStatus,
    /** Stable machine-readable code, e.g. "invalid_token". */
    readonly code: string,
    message: string,
    /** Per-field messages for validation errors. */
    readonly fields?: Record<string, string[]>,
  ) {
    super(message);
  }
}

/**
 * Per-field messages, keyed by top-level field name, as AppError `fields` and the forms
 * expect them; issues not tied to a field (e.g. unknown keys) go under `formKey`.
 */
export function fieldErrors(
  error: { issues: readonly z.core.$ZodIssue[] },
  formKey = '_form',
): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.length > 0 ? String(issue.path[0]) : formKey;
    const messages = fields[key] ?? [];
    if (!messages.includes(issue.message)) messages.push(issue.message);
    fields[key] = messages;
  }
  return fields;
}
