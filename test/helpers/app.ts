/**
 * Shortcuts for integration tests that go through the Worker's real entry object:
 * requests to `fetch`, cron triggers to `scheduled`, and the dev admin token.
 */
import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import worker from '../../workers/index';

export const BASE_URL = 'https://digest.test';
/** The admin token vitest.config.ts configures for the test run. */
export const ADMIN_TOKEN = env.ADMIN_TOKEN;

export function request(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(new URL(path, BASE_URL), init));
}

export function adminRequest(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${ADMIN_TOKEN}`);
  return request(path, { ...init, headers });
}

export async function runScheduled(cron: string, scheduledTime = Date.now()): Promise<void> {
  const controller = createScheduledController({ cron, scheduledTime });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, env, ctx);
  await waitOnExecutionContext(ctx);
}
