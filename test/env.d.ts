/**
 * Types for the test environment: `env` from cloudflare:test carries our bindings plus
 * the migrations the setup file applies.
 */
import type { D1Migration } from 'cloudflare:test';
import type { Bindings } from '../src/env';

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {
      TEST_MIGRATIONS: D1Migration[];
    }
    interface GlobalProps {
      mainModule: typeof import('../workers/index');
    }
  }
}

declare module '*?raw' {
  const content: string;
  export default content;
}
