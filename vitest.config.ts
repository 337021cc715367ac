/**
 * Vitest runs every test inside workerd (the Workers runtime) through the Workers pool,
 * with the bindings of wrangler.toml, the real D1 migrations applied by the setup file,
 * and ENVIRONMENT=test so development fallbacks for secrets apply but nothing is real.
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
          bindings: { TEST_MIGRATIONS: migrations, ENVIRONMENT: 'test', PUBLIC_URL: 'https://digest.test' },
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
