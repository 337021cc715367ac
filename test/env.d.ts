/**
 * Types for the test environment: `env` from cloudflare:test carries the generated
 * bindings (worker-configuration.d.ts) plus what vitest.config.ts adds for tests: the
 * migrations the setup file applies and a second D1 database for migration tests.
 */
import type { D1Migration } from 'cloudflare:test';

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      MIGRATION_TEST_DB: D1Database;
    }
  }
}

declare module '*?raw' {
  const content: string;
  export default content;
}
