/** @jsxImportSource hono/jsx */
/**
 * Routes for the feedback area (filled in by its issue).
 */
import { Hono } from 'hono';
import type { HonoEnv } from '../types';

export const feedbackRoutes = new Hono<HonoEnv>();
