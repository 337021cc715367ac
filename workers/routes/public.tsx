/** @jsxImportSource hono/jsx */
/**
 * Public pages that are not part of a subscriber flow: the landing page and the health
 * check. The landing page is a placeholder until the subscriptions area fills it in.
 */
import { Hono } from 'hono';
import { getSchemaVersion } from '../../src/db/stats';
import type { HonoEnv } from '../types';
import { Layout } from '../views/layout';

export const publicRoutes = new Hono<HonoEnv>()
  .get('/', (c) =>
    c.html(
      <Layout title="Papers Digest">
        <h1>Papers Digest</h1>
        <p>A personalised digest of new and trending research papers, in your inbox.</p>
      </Layout>,
    ),
  )
  .get('/healthz', async (c) => {
    const schema = await getSchemaVersion(c.var.app.db);
    return c.json({ ok: true, schema_version: schema?.version ?? 0, schema_name: schema?.name ?? null });
  });
