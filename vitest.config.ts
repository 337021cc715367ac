/**
 * Vitest runs every test inside workerd (the Workers runtime) through the Workers pool,
 * with the bindings of wrangler.toml, the real D1 migrations applied by the setup file,
 * and ENVIRONMENT=test. A test run gets no development fallbacks: the secrets it needs and
 * the outbox it reads are configured here explicitly, as an operator would configure them
 * (tests read them back from `env`).
 */
import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));
  return {
    plugins: [
      cloudflareTest({
        main: './workers/index.ts',
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ENVIRONMENT: 'test',
            PUBLIC_URL: 'https://digest.test',
            OUTBOX: 'on',
            TOKEN_SECRET: 'test-token-secret-0123456789abcdef0123',
            ADMIN_TOKEN: 'test-admin-token-0123456789',
            // base64 of "test-webhook-secret-32-bytes-ok!"
            RESEND_WEBHOOK_SECRET: 'whsec_dGVzdC13ZWJob29rLXNlY3JldC0zMi1ieXRlcy1vayE=',
            EMAIL_HASH_SECRET: 'test-email-hash-secret-0123456789abcdef',
          },
          // A second, empty database: migration tests apply the migrations step by step.
          d1Databases: ['MIGRATION_TEST_DB'],
        },
      }),
    ],
    test: {
      include: ['test/**/*.test.{ts,tsx}'],
      setupFiles: ['./test/setup.ts'],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
