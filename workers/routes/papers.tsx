/** @jsxImportSource hono/jsx */
/**
 * Routes for the papers area (filled in by its issue).
 */
import { Hono } from 'hono';
import type { HonoEnv } from '../types';

export const papersRoutes = new Hono<HonoEnv>();
