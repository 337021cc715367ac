/**
 * Static assets of our own pages: /assets/forms.js (see workers/views/forms-script.ts), a
 * file rather than inline <script> so the Content-Security-Policy can refuse inline code,
 * and the site icon. The layout links /favicon.svg; /favicon.ico answers with the same
 * SVG rather than a redirect or a 204, because it is asked for blindly (by browsers on
 * answers that link no icon, such as JSON and raw files, by feed readers and crawlers):
 * one response, no extra round trip, and a real icon wherever SVG icons are drawn, since
 * an icon is decoded by its Content-Type, not by the ".ico" in its name.
 */
import { type Context, Hono } from 'hono';
import type { HonoEnv } from '../types';
import { FAVICON_PATH, FAVICON_SVG } from '../views/favicon';
import { FORMS_SCRIPT } from '../views/forms-script';

export const FORMS_SCRIPT_PATH = '/assets/forms.js';

// A week: the icon hardly ever changes, and a browser asks for it on every page view it
// does not have it cached for. Not `immutable`: its URL carries no version to bump.
const ICON_CACHE = 'public, max-age=604800';

const icon = (c: Context<HonoEnv>) =>
  c.body(FAVICON_SVG, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': ICON_CACHE });

export const assetRoutes = new Hono<HonoEnv>()
  .get(FORMS_SCRIPT_PATH, (c) =>
    c.body(FORMS_SCRIPT, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=3600',
    }),
  )
  .get(FAVICON_PATH, icon)
  .get('/favicon.ico', icon);
