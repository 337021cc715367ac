/** @jsxImportSource hono/jsx */
/**
 * Routes for the subscriptions area (filled in by its issue).
 */
import { Hono } from 'hono';
import type { HonoEnv } from '../types';

export const subscriptionRoutes = new Hono<HonoEnv>();
