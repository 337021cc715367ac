/**
 * Admin routes for digest (filled in by its issue).
 */
import { Hono } from 'hono';
import type { HonoEnv } from '../../types';

export const adminDigestRoutes = new Hono<HonoEnv>();
