/** @jsxImportSource hono/jsx */
/**
 * Admin routes for dashboard (filled in by its issue).
 */
import { Hono } from 'hono';
import type { HonoEnv } from '../../types';

export const adminDashboardRoutes = new Hono<HonoEnv>();
