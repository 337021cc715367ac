/**
 * Admin routes for ingest (filled in by its issue).
 */
import { Hono } from 'hono';
import type { HonoEnv } from '../../types';

export const adminIngestRoutes = new Hono<HonoEnv>();
