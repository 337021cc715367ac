/**
 * Structured logs: one JSON object per line, so Workers Logs / `wrangler tail` can filter
 * on fields. Every run or batch logs one summary line with counts and a duration.
 */
export function logEvent(event: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ event, at: new Date().toISOString(), ...fields }));
}

export function logError(event: string, error: unknown, fields: Record<string, unknown> = {}): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(JSON.stringify({ event, at: new Date().toISOString(), level: 'error', message, ...fields }));
}
