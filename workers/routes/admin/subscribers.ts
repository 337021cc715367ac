/**
 * Admin routes for subscribers (filled in by its issue).
 */
import { Hono } from 'hono';
import type { HonoEnv } from '../../types';

export const adminSubscriberRoutes = new Hono<HonoEnv>();
