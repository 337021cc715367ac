/** @jsxImportSource hono/jsx */
/**
 * The Hono app behind `fetch`: validates the environment once per request, sets security
 * headers, mounts one sub-app per area, and turns every error into a clear answer, HTML
 * for browsers and JSON for API clients, through the single `onError` below. That one path
 * handles our AppError and Hono's own HTTPException (auth, csrf, body limit, validator),
 * so middleware can be used as Hono ships it, without try/catch wrappers.
 */
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ConfigError } from '../src/env';
import { AppError, type ErrorStatus } from '../src/errors';
import { allowedMethods } from './allowed-methods';
import { appContextMiddleware } from './middleware/app-context';
import { securityHeaders } from './middleware/security-headers';
import { wantsJson } from './request';
import { adminRoutes } from './routes/admin';
import { assetRoutes } from './routes/assets';
import { dataRoutes } from './routes/data';
import { devRoutes } from './routes/dev';
import { digestRoutes } from './routes/digest';
import { feedbackRoutes } from './routes/feedback';
import { papersRoutes } from './routes/papers';
import { publicRoutes } from './routes/public';
import { subscriptionRoutes } from './routes/subscriptions';
import { webhookRoutes } from './routes/webhooks';
import type { HonoEnv } from './types';
import { errorPageTitle, MessagePage } from './views/layout';

export const app = new Hono<HonoEnv>();

// Headers first: a request the environment check refuses (broken configuration, the
// development one on a public host) is answered with them too.
app.use(securityHeaders);
app.use(appContextMiddleware);

app.route('/', publicRoutes);
app.route('/', assetRoutes);
app.route('/', subscriptionRoutes);
app.route('/', dataRoutes);
app.route('/', feedbackRoutes);
app.route('/', digestRoutes);
app.route('/papers', papersRoutes);
app.route('/webhooks', webhookRoutes);
app.route('/admin', adminRoutes);
app.route('/dev', devRoutes);

const ERROR_STATUSES = new Set<number>([400, 401, 403, 404, 409, 410, 413, 415, 422, 429, 500, 502, 503]);

/** Hono's middleware speaks HTTPException; say the same things in our words. */
function fromHttpException(error: HTTPException): AppError {
  const challenge = error.res?.headers.get('www-authenticate') ?? '';
  switch (error.status) {
    case 400:
      if (challenge.includes('invalid_request')) {
        return new AppError(
          400,
          'invalid_authorization',
          'The Authorization header is malformed: send exactly "Authorization: Bearer <ADMIN_TOKEN>".',
        );
      }
      if (/json/i.test(error.message))
        return new AppError(400, 'invalid_json', 'The request body is not valid JSON.');
      return new AppError(400, 'bad_request', error.message || 'The request could not be read.');
    case 401:
      return new AppError(
        401,
        'unauthorized',
        challenge.startsWith('Basic')
          ? 'Admin login required: any user name, the admin token as password.'
          : 'Missing or invalid admin token (Authorization: Bearer <ADMIN_TOKEN>).',
      );
    case 403:
      return new AppError(
        403,
        'cross_site_form',
        'This form did not come from our own page (its Origin or Sec-Fetch-Site header names another website, or is missing), so we did not accept it. Please use the form on our site, or send JSON.',
      );
    default: {
      const status = (ERROR_STATUSES.has(error.status) ? error.status : 500) as ErrorStatus;
      return new AppError(status, 'http_error', error.message || 'The request was refused.');
    }
  }
}

app.notFound((c) => {
  // "/papers/" typed or pasted with a slash is the page without it. Redirected only to a page
  // that exists, and only GET/HEAD: a redirected form post would lose its body. Temporary
  // (302), so no browser keeps it, nor its query (a signed token), once such a path is served.
  const { path } = c.req;
  if ((c.req.method === 'GET' || c.req.method === 'HEAD') && path.length > 1 && path.endsWith('/')) {
    const trimmed = path.slice(0, -1);
    // Never "//host" or "/\\host": a browser reads either Location as another site.
    if (/^\/[^/\\]/.test(trimmed) && allowedMethods(app, trimmed).includes('GET')) {
      // Location is the path as sent, still percent-encoded: the decoded one (c.req.path) may
      // hold a line break, which no header can carry.
      const { pathname, search } = new URL(c.req.url);
      return c.redirect(`${pathname.slice(0, -1)}${search}`, 302);
    }
  }
  const allowed = allowedMethods(app, path);
  if (allowed.length > 0) {
    c.header('Allow', allowed.join(', '));
    const message = `This address does not accept ${c.req.method} requests, only ${allowed.join(', ')}.`;
    if (wantsJson(c.req.raw)) return c.json({ error: { code: 'method_not_allowed', message } }, 405);
    return c.html(<MessagePage title="Method not allowed" message={message} />, 405);
  }
  if (wantsJson(c.req.raw)) return c.json({ error: { code: 'not_found', message: 'Not found' } }, 404);
  return c.html(<MessagePage title="Not found" message="There is nothing at this address." />, 404);
});

app.onError((caught, c) => {
  const error = caught instanceof HTTPException ? fromHttpException(caught) : caught;
  if (error instanceof AppError) {
    // Keep the auth middleware's challenge (Basic makes browsers show their login prompt).
    // Only admin auth challenges: a webhook signature rejection is a 401 no credentials
    // scheme answers, and naming the admin realm there told probers where to knock.
    const challenge = caught instanceof HTTPException ? caught.res?.headers.get('www-authenticate') : null;
    if (challenge) c.header('WWW-Authenticate', challenge);
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
    return c.html(
      <MessagePage title={errorPageTitle(error.status, error.code)} message={error.message} />,
      error.status,
    );
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
