/**
 * Who may use /admin. Scripts send `Authorization: Bearer <ADMIN_TOKEN>` (hono/bearer-auth);
 * a browser may read the dashboard and the CSV export with HTTP Basic auth, the token as
 * password (hono/basic-auth). Basic credentials are ambient: a browser attaches them to
 * any request to this host, including a form another site auto-submits. So anything that
 * changes state accepts Bearer only, which no cross-site form can send. Both middlewares
 * check the header's syntax and compare in constant time; a malformed header such as
 * `Bearer <token> junk` is refused, never trimmed into shape. Without credentials, the
 * Basic prompt goes to whoever app.onError answers with a page, decided the same way
 * (Accept read as media types, ../media-type.ts); scripts get the Bearer challenge and JSON.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { basicAuth } from 'hono/basic-auth';
import { bearerAuth } from 'hono/bearer-auth';
import { timingSafeEqual } from 'hono/utils/buffer';
import { AppError } from '../../src/errors';
import { wantsJson } from '../request';
import type { HonoEnv } from '../types';

const REALM = 'papers-digest admin';
const SAFE_METHODS = new Set(['GET', 'HEAD']);

export const adminAuth: MiddlewareHandler<HonoEnv> = async (c, next) => {
  const token = c.var.config.ADMIN_TOKEN;
  const header = c.req.header('authorization');
  const reading = SAFE_METHODS.has(c.req.method);
  // Without credentials, a browser asking for a page gets the Basic prompt; anyone else, Bearer.
  const basic = header ? /^basic(\s|$)/i.test(header) : reading && answeredWithPage(c);
  if (basic && !reading) {
    // The challenge app.onError would otherwise not know to send: this 401 is ours, not the middleware's.
    c.header('WWW-Authenticate', `Bearer realm="${REALM}"`);
    throw new AppError(
      401,
      'bearer_required',
      'Changes need "Authorization: Bearer <ADMIN_TOKEN>": a browser login (Basic auth) can only read.',
    );
  }
  c.header('Cache-Control', 'no-store');
  const check = basic
    ? // basicAuth is typed for Hono's default Env only; it reads nothing from ours.
      (basicAuth({
        realm: REALM,
        verifyUser: (_user, password) => timingSafeEqual(password, token),
      }) as unknown as MiddlewareHandler<HonoEnv>)
    : bearerAuth<HonoEnv>({ realm: REALM, token });
  await check(c, next);
};

/**
 * The Basic prompt goes with a page and the Bearer challenge with JSON, so the challenge
 * follows how app.onError will answer (wantsJson). A substring test for "text/html" gave
 * the prompt to `text/html;q=0` and to a JSON-preferring Accept that also named pages.
 */
const answeredWithPage = (c: Context<HonoEnv>): boolean => !wantsJson(c.req.raw);
