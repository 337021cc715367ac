/**
 * Runs before each test file: applies the real migrations to the test D1 database and
 * starts the fake HTTP boundary (no test may reach the real Resend, Hugging Face or arXiv).
 */
import { applyD1Migrations, env } from 'cloudflare:test';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { fakeHttp } from './helpers/fake-http';

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

beforeAll(() => fakeHttp.listen({ onUnhandledRequest: 'error' }));
afterEach(() => fakeHttp.resetHandlers());
afterAll(() => fakeHttp.close());
