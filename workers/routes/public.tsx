/** @jsxImportSource hono/jsx */
/**
 * Public pages that are not part of a subscriber flow: the landing page (what the digest
 * is, the latest papers as a sample, the sign-up form) and the health check.
 */
import { type Context, Hono } from 'hono';
import { latestIngestRuns } from '../../src/db/ingest-runs';
import { listLatestPapers } from '../../src/db/papers';
import { getSchemaVersion } from '../../src/db/stats';
import type { HonoEnv } from '../types';
import { LandingPage, type LandingProps } from '../views/landing';

const SAMPLE_SIZE = 6;

/** Everything the landing page shows besides the form state (shared with POST /subscribe). */
export async function landingProps(
  c: Context<HonoEnv>,
): Promise<Omit<LandingProps, 'values' | 'errors' | 'fresh'>> {
  const { db, config } = c.var.app;
  const [papers, runs] = await Promise.all([
    listLatestPapers(db, SAMPLE_SIZE),
    config.devTools ? latestIngestRuns(db) : Promise.resolve([]),
  ]);
  return {
    papers,
    failedSources: runs.filter((run) => run.status === 'failed').map((run) => run.source),
    showDevNotice: config.devTools,
    turnstileSiteKey: config.TURNSTILE_SITE_KEY,
    postalAddress: config.POSTAL_ADDRESS,
  };
}

export const publicRoutes = new Hono<HonoEnv>()
  .get('/', async (c) => {
    const props = await landingProps(c);
    return c.html(<LandingPage {...props} values={{}} errors={{}} fresh={true} />);
  })
  .get('/healthz', async (c) => {
    const schema = await getSchemaVersion(c.var.app.db);
    return c.json({ ok: true, schema_version: schema?.version ?? 0, schema_name: schema?.name ?? null });
  });
