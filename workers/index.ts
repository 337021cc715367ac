/**
 * The Worker entry: one object with the three handlers. `fetch` is the Hono app (site,
 * subscriber flows, admin API, webhooks), `scheduled` runs cron jobs (ingest, planning,
 * housekeeping) and `queue` sends digests. Each delegates to src/ at once.
 */
import type { Bindings } from '../src/env';
import { app } from './app';
import { queue } from './queue';
import { scheduled } from './scheduled';

export default { fetch: app.fetch, scheduled, queue } satisfies ExportedHandler<Bindings, unknown>;
