/**
 * Shortcuts for integration tests that go through the Worker's real entry object:
 * requests to `fetch`, cron triggers to `scheduled`, and the admin token. Requests wait
 * for the work the Worker does after answering (ctx.waitUntil, e.g. sign-up mail), so a
 * test sees the outbox as it is once everything has run; `fetchWith` also lets a test
 * look before that work runs, or change a binding for one request.
 */
import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from 'cloudflare:test';
import worker from '../../workers/index';

export const BASE_URL = 'https://digest.test';
/** The admin token vitest.config.ts configures for the test run. */
export const ADMIN_TOKEN = env.ADMIN_TOKEN;

/** One request through the entry object with `bindings` (default: the test env). */
export async function fetchWith(
  request: Request,
  bindings: Env = env,
  options: { waitForBackground?: boolean } = {},
): Promise<{ response: Response; background: Promise<void> }> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, bindings, ctx);
  const background = waitOnExecutionContext(ctx);
  if (options.waitForBackground !== false) await background;
  return { response, background };
}

export async function request(path: string, init?: RequestInit): Promise<Response> {
  return (await fetchWith(new Request(new URL(path, BASE_URL), init))).response;
}

export function adminRequest(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${ADMIN_TOKEN}`);
  return request(path, { ...init, headers });
}

/** One cron trigger through the entry object with `bindings` (default: the test env). */
export async function runScheduled(
  cron: string,
  scheduledTime = Date.now(),
  bindings: Env = env,
): Promise<void> {
  const controller = createScheduledController({ cron, scheduledTime });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, bindings, ctx);
  await waitOnExecutionContext(ctx);
}
