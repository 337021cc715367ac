/**
 * The one error type the app throws on purpose. `app.onError` turns it into JSON for API
 * clients or an HTML page for browsers; anything else is a bug and becomes a logged 500.
 */
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
