/**
 * Inbound webhooks (Resend delivery events), filled in by the delivery issue.
 */
import { Hono } from 'hono';
import type { HonoEnv } from '../types';

export const webhookRoutes = new Hono<HonoEnv>();
