/** @jsxImportSource hono/jsx */
/**
 * The Hono app behind `fetch`: validates the environment once per request, sets security
 * headers, mounts one sub-app per area, and turns every error into a clear answer, HTML
 * for browsers and JSON for API clients, through the single `onError` below.
 */
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { appContext, ConfigError } from '../src/env';
import { AppError } from '../src/errors';
import { adminRoutes } from './routes/admin';
import { devRoutes } from './routes/dev';
import { digestRoutes } from './routes/digest';
import { feedbackRoutes } from './routes/feedback';
import { papersRoutes } from './routes/papers';
import { publicRoutes } from './routes/public';
import { subscriptionRoutes } from './routes/subscriptions';
import { webhookRoutes } from './routes/webhooks';
import type { HonoEnv } from './types';
import { MessagePage } from './views/layout';

export const app = new Hono<HonoEnv>();

app.use(async (c, next) => {
  const context = appContext(c.env);
  c.set('app', context);
  c.set('config', context.config);
  await next();
});

app.use(
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", "'unsafe-inline'", 'https://challenges.cloudflare.com'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'https:'],
      frameSrc: ['https://challenges.cloudflare.com', "'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'self'"],
    },
    referrerPolicy: 'no-referrer',
  }),
);

app.route('/', publicRoutes);
app.route('/', subscriptionRoutes);
app.route('/', feedbackRoutes);
app.route('/', digestRoutes);
app.route('/papers', papersRoutes);
app.route('/webhooks', webhookRoutes);
app.route('/admin', adminRoutes);
app.route('/dev', devRoutes);

/** Browsers get pages; API clients (JSON body or Accept: application/json) get JSON. */
export function wantsJson(request: Request): boolean {
  const accept = request.headers.get('accept') ?? '';
  const contentType = request.headers.get('content-type') ?? '';
  if (contentType.includes('application/json')) return true;
  if (accept.includes('text/html')) return false;
  return accept.includes('application/json') || new URL(request.url).pathname.startsWith('/admin/');
}

app.notFound((c) => {
  if (wantsJson(c.req.raw)) return c.json({ error: { code: 'not_found', message: 'Not found' } }, 404);
  return c.html(<MessagePage title="Not found" message="There is nothing at this address." />, 404);
});

app.onError((error, c) => {
  if (error instanceof AppError) {
    if (error.status === 401) c.header('WWW-Authenticate', 'Bearer realm="papers-digest admin"');
    if (wantsJson(c.req.raw)) {
      return c.json(
        {
          error: {
            code: error.code,
            message: error.message,
            ...(error.fields ? { fields: error.fields } : {}),
          },
        },
        error.status,
      );
    }
    return c.html(<MessagePage title="Something is not right" message={error.message} />, error.status);
  }
  const misconfigured = error instanceof ConfigError;
  console.error(JSON.stringify({ event: 'unhandled_error', message: error.message, stack: error.stack }));
  const message = misconfigured
    ? `Server misconfigured: ${error.message}`
    : 'Something went wrong on our side. Please try again in a minute.';
  if (wantsJson(c.req.raw))
    return c.json({ error: { code: misconfigured ? 'misconfigured' : 'internal', message } }, 500);
  return c.html(<MessagePage title="Server error" message={message} />, 500);
});
