/**
 * Work that runs after the answer has been sent (ctx.waitUntil): sign-up mail, for one,
 * so the answer and its timing cannot depend on the address. Nothing there may fail
 * silently: every failure becomes one JSON error line (`<label>_failed`) in the logs.
 * The promise never rejects, so the runtime has nothing to swallow either.
 */
import { logError } from './log';

export function inBackground(label: string, work: () => Promise<unknown>): Promise<void> {
  return Promise.resolve()
    .then(work)
    .then(
      () => undefined,
      (error: unknown) => logError(`${label}_failed`, error),
    );
}
