/** @jsxImportSource hono/jsx */
/**
 * Routes for the digest area (filled in by its issue).
 */
import { Hono } from 'hono';
import type { HonoEnv } from '../types';

export const digestRoutes = new Hono<HonoEnv>();
