/**
 * Static assets of our own pages: /assets/forms.js (see workers/views/forms-script.ts). A
 * file rather than inline <script> so the Content-Security-Policy can refuse inline code.
 */
import { Hono } from 'hono';
import type { HonoEnv } from '../types';
import { FORMS_SCRIPT } from '../views/forms-script';

export const FORMS_SCRIPT_PATH = '/assets/forms.js';

export const assetRoutes = new Hono<HonoEnv>().get(FORMS_SCRIPT_PATH, (c) =>
  c.body(FORMS_SCRIPT, 200, {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Cache-Control': 'public, max-age=3600',
  }),
);
