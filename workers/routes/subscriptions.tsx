/** @jsxImportSource hono/jsx */
/**
 * The subscriber flows: sign-up (form or JSON), double opt-in, preference centre (with
 * export and "delete me"), unsubscribe (RFC 8058 one-click POST and a button page) and
 * resubscribe. Forms get HTML, JSON clients get JSON. State only changes on POST (mail
 * scanners prefetch GETs); browser forms are origin-checked, but the one-click unsubscribe
 * is not, because mail providers send it from their own servers. Token pages are never
 * cached and never set cookies.
 */
import { type Context, Hono } from 'hono';
import {
  confirmSubscriber,
  getSubscriberById,
  resubscribeSubscriber,
  unsubscribeSubscriber,
  updatePreferences,
} from '../../src/db/subscribers';
import { removeSuppression } from '../../src/db/suppressions';
import type { Subscriber } from '../../src/domain';
import { AppError } from '../../src/errors';
import { sha256Hex } from '../../src/lib/crypto';
import { logEvent } from '../../src/lib/log';
import { nowIso } from '../../src/lib/time';
import { preferencesUrl as absolutePreferencesUrl, unsubscribeUrl } from '../../src/links';
import { subscriberFromToken } from '../../src/subscriptions/access';
import { eraseSubscriber, exportSubscriberData } from '../../src/subscriptions/erase';
import { readSubmission, type Submission } from '../../src/subscriptions/request-body';
import { fieldErrors, preferencesSchema, subscribeSchema } from '../../src/subscriptions/schema';
import { signUp } from '../../src/subscriptions/signup';
import { verifyTurnstile } from '../../src/subscriptions/turnstile';
import { browserFormsOnly } from '../middleware/browser-form';
import { tokenPage } from '../middleware/token-page';
import type { HonoEnv } from '../types';
import { LandingPage } from '../views/landing';
import {
  CheckInboxPage,
  ConfirmedPage,
  ConfirmPage,
  ErasedPage,
  PreferencesPage,
  preferenceValues,
  ResubscribedPage,
  UnsubscribeConfirmPage,
  UnsubscribedPage,
} from '../views/subscription-pages';
import { landingProps } from './public';

type Ctx = Context<HonoEnv>;

/** Links on our own pages stay on the host the visitor is on (PUBLIC_URL is for emails). */
async function preferencesUrl(
  config: HonoEnv['Variables']['config'],
  subscriber: Subscriber,
): Promise<string> {
  const url = new URL(await absolutePreferencesUrl(config, subscriber));
  return `${url.pathname}${url.search}`;
}

const tokenOf = (c: Ctx, submission?: Submission): string | undefined => {
  const fromQuery = c.req.query('token');
  if (fromQuery) return fromQuery;
  const fromBody = submission?.fields.token;
  return typeof fromBody === 'string' ? fromBody : undefined;
};

const clientIp = (c: Ctx): string | null => c.req.header('cf-connecting-ip') ?? null;

/** Consent evidence without storing the IP: SHA-256 of IP + TOKEN_SECRET (a secret salt). */
async function consentIpHash(c: Ctx): Promise<string | null> {
  const ip = clientIp(c);
  return ip ? sha256Hex(`${ip}${c.var.config.TOKEN_SECRET}`) : null;
}

/** Keeps the visitor's input as strings for re-rendering a form. */
function formValues(fields: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') values[name] = value.slice(0, 5000);
    else if (typeof value === 'number' || typeof value === 'boolean') values[name] = String(value);
    else if (Array.isArray(value)) values[name] = value.filter((item) => typeof item === 'string').join('; ');
  }
  return values;
}

async function isRateLimited(limiter: RateLimit | undefined, key: string): Promise<boolean> {
  if (!limiter) return false;
  const { success } = await limiter.limit({ key });
  return !success;
}

const RATE_LIMIT_MESSAGE = 'Too many sign-up attempts in a short time. Please wait a minute and try again.';

export const subscriptionRoutes = new Hono<HonoEnv>()
  .use('/confirm', tokenPage)
  .use('/unsubscribe', tokenPage)
  .use('/resubscribe', tokenPage)
  .use('/preferences', tokenPage)
  .use('/preferences/*', tokenPage)

  .post('/subscribe', browserFormsOnly, async (c) => {
    const submission = await readSubmission(c.req.raw);
    const { format, fields } = submission;
    const config = c.var.config;
    const now = new Date();

    const rerender = async (errors: Record<string, string[]>, status: 400 | 403 | 429 | 503) => {
      const props = await landingProps(c);
      return c.html(
        <LandingPage {...props} values={formValues(fields)} errors={errors} fresh={false} />,
        status,
      );
    };
    const accepted = (email: string) =>
      format === 'json'
        ? c.json(
            {
              status: 'pending_confirmation',
              email,
              message: 'Check your inbox: we have sent a link to confirm the subscription.',
            },
            202,
          )
        : c.html(<CheckInboxPage email={email} />, 200);

    // Honeypot: a filled "website" field is a bot. Answer as if all went well, write nothing.
    const honeypot = fields.website;
    if (typeof honeypot === 'string' && honeypot.trim() !== '') {
      logEvent('signup', { action: 'honeypot' });
      const email = typeof fields.email === 'string' ? fields.email.trim() : '';
      return accepted(email.slice(0, 254));
    }

    const parsed = subscribeSchema.safeParse(fields);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      if (format === 'form') return rerender(errors, 400);
      throw new AppError(400, 'validation_failed', 'Some fields are not valid; see `fields`.', errors);
    }
    const input = parsed.data;

    const ip = clientIp(c);
    const emailKey = `email:${await sha256Hex(input.email)}`;
    if (
      (await isRateLimited(c.env.SUBSCRIBE_IP_LIMITER, `ip:${ip ?? 'unknown'}`)) ||
      (await isRateLimited(c.env.SUBSCRIBE_EMAIL_LIMITER, emailKey))
    ) {
      c.header('Retry-After', '60');
      if (format === 'form') return rerender({ _form: [RATE_LIMIT_MESSAGE] }, 429);
      throw new AppError(429, 'rate_limited', RATE_LIMIT_MESSAGE);
    }

    if (config.TURNSTILE_SECRET_KEY) {
      const token = fields['cf-turnstile-response'] ?? fields.turnstile_token;
      const result = await verifyTurnstile(
        config.TURNSTILE_SECRET_KEY,
        typeof token === 'string' ? token : undefined,
        ip,
      );
      if (!result.success) {
        logEvent('signup', { action: 'turnstile_failed', codes: result.errorCodes });
        const message = result.unavailable
          ? 'We could not check that you are human just now. Please try again in a minute.'
          : 'Please complete the "verify you are human" check, then submit again.';
        const status = result.unavailable ? 503 : 403;
        if (format === 'form') return rerender({ _form: [message] }, status);
        throw new AppError(
          status,
          result.unavailable ? 'turnstile_unavailable' : 'turnstile_failed',
          message,
        );
      }
    }

    await signUp(c.var.app, input, {
      method: format === 'json' ? 'api' : 'form',
      now,
      perEmailLimiterActive: c.env.SUBSCRIBE_EMAIL_LIMITER !== undefined,
    });
    return accepted(input.email);
  })

  // ---- double opt-in ---------------------------------------------------------------
  .get('/confirm', async (c) => {
    const token = tokenOf(c);
    const { subscriber } = await subscriberFromToken(c.var.app, token, 'confirm');
    if (subscriber.status === 'active') return confirmedPage(c, subscriber);
    assertNotSuppressed(subscriber);
    return c.html(
      <ConfirmPage subscriber={subscriber} action={`/confirm?token=${encodeURIComponent(token!)}`} />,
    );
  })
  .post('/confirm', browserFormsOnly, async (c) => {
    const token = tokenOf(c);
    const { subscriber, claims } = await subscriberFromToken(c.var.app, token, 'confirm');
    if (subscriber.status === 'active') return confirmedPage(c, subscriber);
    assertNotSuppressed(subscriber);
    const confirmed = await confirmSubscriber(
      c.var.app.db,
      subscriber.id,
      claims.v,
      await consentIpHash(c),
      nowIso(),
    );
    if (!confirmed) {
      throw new AppError(
        410,
        'already_confirmed',
        'This confirmation link has already been used. Use the links in your emails to manage your subscription.',
      );
    }
    // A person who once asked to be erased and now confirms again has opted back in.
    await removeSuppression(c.var.app.db, confirmed.email, ['erased']);
    logEvent('subscriber_confirmed', { subscriber: confirmed.id });
    return confirmedPage(c, confirmed);
  })

  // ---- unsubscribe (RFC 8058) ----------------------------------------------------------
  .get('/unsubscribe', async (c) => {
    const token = tokenOf(c);
    const { subscriber } = await subscriberFromToken(c.var.app, token, 'unsubscribe');
    const config = c.var.config;
    if (subscriber.status === 'unsubscribed' || subscriber.status === 'suppressed') {
      return c.html(
        <UnsubscribedPage
          subscriber={subscriber}
          resubscribeAction={
            subscriber.status === 'unsubscribed' ? `/resubscribe?token=${encodeURIComponent(token!)}` : null
          }
          preferencesUrl={await preferencesUrl(config, subscriber)}
        />,
      );
    }
    return c.html(
      <UnsubscribeConfirmPage
        subscriber={subscriber}
        action={`/unsubscribe?token=${encodeURIComponent(token!)}`}
        preferencesUrl={await preferencesUrl(config, subscriber)}
      />,
    );
  })
  .post('/unsubscribe', async (c) => {
    // No origin check and no body requirement: mail providers POST `List-Unsubscribe=One-Click`
    // (urlencoded or multipart) from their servers; the signed token is the authorisation.
    const token = tokenOf(c);
    const { subscriber, claims } = await subscriberFromToken(c.var.app, token, 'unsubscribe');
    const changed = await unsubscribeSubscriber(c.var.app.db, subscriber.id, claims.v, nowIso());
    if (changed) logEvent('subscriber_unsubscribed', { subscriber: subscriber.id });
    const current = changed ?? subscriber;
    return c.html(
      <UnsubscribedPage
        subscriber={current}
        resubscribeAction={
          current.status === 'unsubscribed' ? `/resubscribe?token=${encodeURIComponent(token!)}` : null
        }
        preferencesUrl={await preferencesUrl(c.var.config, current)}
      />,
      200,
    );
  })
  .post('/resubscribe', browserFormsOnly, async (c) => {
    const token = tokenOf(c);
    const { subscriber, claims } = await subscriberFromToken(c.var.app, token, 'unsubscribe');
    const config = c.var.config;
    if (subscriber.status === 'active') {
      return c.html(
        <ResubscribedPage
          subscriber={subscriber}
          preferencesUrl={await preferencesUrl(config, subscriber)}
          already={true}
        />,
      );
    }
    if (subscriber.status !== 'unsubscribed') {
      throw new AppError(
        409,
        subscriber.status === 'pending' ? 'not_confirmed' : 'suppressed',
        subscriber.status === 'pending'
          ? 'This subscription has not been confirmed yet: use the link in the confirmation email.'
          : 'We cannot send to this address because earlier emails to it bounced or were reported as spam.',
      );
    }
    const resubscribed = await resubscribeSubscriber(
      c.var.app.db,
      subscriber.id,
      claims.v,
      await consentIpHash(c),
      nowIso(),
    );
    const current = resubscribed ?? (await getSubscriberById(c.var.app.db, subscriber.id)) ?? subscriber;
    if (resubscribed) logEvent('subscriber_resubscribed', { subscriber: subscriber.id });
    return c.html(
      <ResubscribedPage
        subscriber={current}
        preferencesUrl={await preferencesUrl(config, current)}
        already={!resubscribed}
      />,
    );
  })

  // ---- preference centre ------------------------------------------------------------------
  .get('/preferences', async (c) => {
    const token = tokenOf(c)!;
    const { subscriber } = await subscriberFromToken(c.var.app, token, 'preferences');
    return preferencesPage(c, token, subscriber, {
      values: preferenceValues(subscriber),
      errors: {},
      saved: false,
    });
  })
  .post('/preferences', browserFormsOnly, async (c) => {
    const submission = await readSubmission(c.req.raw);
    const token = tokenOf(c, submission)!;
    const { subscriber, claims } = await subscriberFromToken(c.var.app, token, 'preferences');
    const fields = { ...submission.fields };
    // An unticked checkbox is simply absent from a form post.
    if (submission.format === 'form' && fields.always_send === undefined) fields.always_send = 'off';
    const parsed = preferencesSchema.safeParse(fields);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      if (submission.format === 'json') {
        throw new AppError(400, 'validation_failed', 'Some fields are not valid; see `fields`.', errors);
      }
      const submitted = formValues(fields);
      const values = {
        ...preferenceValues(subscriber),
        ...submitted,
        always_send: fields.always_send !== 'off',
      };
      return preferencesPage(c, token, subscriber, { values, errors, saved: false }, 400);
    }
    const update = parsed.data;
    const saved = await updatePreferences(
      c.var.app.db,
      subscriber.id,
      claims.v,
      {
        interests: update.interests ?? subscriber.interests,
        frequency: update.frequency ?? subscriber.frequency,
        sendHour: update.send_hour ?? subscriber.sendHour,
        sendWeekday: update.send_weekday ?? subscriber.sendWeekday,
        timeZone: update.time_zone ?? subscriber.timeZone,
        digestSize: update.digest_size ?? subscriber.digestSize,
        trendingMix: update.trending_mix ?? subscriber.trendingMix,
        alwaysSend: update.always_send ?? subscriber.alwaysSend,
      },
      nowIso(),
    );
    if (!saved) {
      throw new AppError(
        410,
        'link_revoked',
        'This preferences link is no longer valid. Use the link from your most recent email.',
      );
    }
    if (submission.format === 'json')
      return c.json({ status: 'saved', preferences: publicPreferences(saved) });
    return preferencesPage(c, token, saved, { values: preferenceValues(saved), errors: {}, saved: true });
  })
  .post('/preferences/export', browserFormsOnly, async (c) => {
    const { subscriber } = await subscriberFromToken(c.var.app, tokenOf(c), 'preferences');
    const data = await exportSubscriberData(c.var.app.db, subscriber);
    c.header('Content-Disposition', 'attachment; filename="papers-digest-my-data.json"');
    return c.body(JSON.stringify(data, null, 2), 200, { 'Content-Type': 'application/json; charset=utf-8' });
  })
  .post('/preferences/delete', browserFormsOnly, async (c) => {
    const { subscriber } = await subscriberFromToken(c.var.app, tokenOf(c), 'preferences');
    await eraseSubscriber(c.var.app.db, subscriber);
    logEvent('subscriber_erased', { subscriber: subscriber.id });
    if (
      (c.req.header('accept') ?? '').includes('application/json') &&
      !(c.req.header('accept') ?? '').includes('text/html')
    ) {
      return c.json({ status: 'erased' });
    }
    return c.html(<ErasedPage />);
  });

function assertNotSuppressed(subscriber: Subscriber): void {
  if (subscriber.status === 'suppressed') {
    throw new AppError(
      410,
      'suppressed',
      'We cannot send to this address because earlier emails to it bounced or were reported as spam.',
    );
  }
}

async function confirmedPage(c: Ctx, subscriber: Subscriber) {
  return c.html(
    <ConfirmedPage subscriber={subscriber} preferencesUrl={await preferencesUrl(c.var.config, subscriber)} />,
  );
}

function publicPreferences(subscriber: Subscriber) {
  return {
    email: subscriber.email,
    status: subscriber.status,
    interests: subscriber.interests,
    frequency: subscriber.frequency,
    send_hour: subscriber.sendHour,
    send_weekday: subscriber.sendWeekday,
    time_zone: subscriber.timeZone,
    digest_size: subscriber.digestSize,
    trending_mix: subscriber.trendingMix,
    always_send: subscriber.alwaysSend,
  };
}

async function preferencesPage(
  c: Ctx,
  token: string,
  subscriber: Subscriber,
  state: { values: ReturnType<typeof preferenceValues>; errors: Record<string, string[]>; saved: boolean },
  status: 200 | 400 = 200,
) {
  const query = `?token=${encodeURIComponent(token)}`;
  const unsubscribe = await unsubscribeUrl(c.var.config, subscriber);
  const unsubscribeToken = new URL(unsubscribe).searchParams.get('token')!;
  return c.html(
    <PreferencesPage
      subscriber={subscriber}
      values={state.values}
      errors={state.errors}
      saved={state.saved}
      action={`/preferences${query}`}
      exportAction={`/preferences/export${query}`}
      deleteAction={`/preferences/delete${query}`}
      unsubscribeUrl={`/unsubscribe?token=${encodeURIComponent(unsubscribeToken)}`}
      resubscribeAction={`/resubscribe?token=${encodeURIComponent(unsubscribeToken)}`}
    />,
    status,
  );
}
