/** @jsxImportSource hono/jsx */
/**
 * The subscriber flows: sign-up (form or JSON), double opt-in, preference centre, and
 * unsubscribe (RFC 8058 one-click POST and a button page). Forms get HTML, JSON clients
 * get JSON. State only changes on POST (mail scanners prefetch GETs); browser forms are
 * origin-checked, but the one-click unsubscribe is not, because mail providers send it
 * from their own servers. Sign-up answers at once and identically for every address: the
 * work, and any email, happens after the answer (waitUntil). The unsubscribe link only
 * unsubscribes; coming back is a fresh sign-up. Token pages are never cached and never
 * set cookies. Export and erasure live in ./data.tsx, behind mailed links.
 */
import { type Context, Hono } from 'hono';
import { updatePreferences } from '../../src/db/subscribers';
import type { Subscriber } from '../../src/domain';
import { AppError } from '../../src/errors';
import { inBackground } from '../../src/lib/background';
import { logEvent } from '../../src/lib/log';
import { nowIso } from '../../src/lib/time';
import { preferencesUrl as absolutePreferencesUrl, unsubscribeUrl } from '../../src/links';
import { subscriberFromToken } from '../../src/subscriptions/access';
import { confirmFromLink, pendingConfirmation } from '../../src/subscriptions/confirm';
import { dataContactAddress, sendDataLink } from '../../src/subscriptions/data-requests';
import { checkFormGuards, FORM_GUARD_FIELDS, isHoneypotFilled } from '../../src/subscriptions/guards';
import { categoriesOf } from '../../src/subscriptions/interests';
import { readSubmission } from '../../src/subscriptions/request-body';
import {
  parseSubmission,
  preferencesSchema,
  requestedSettings,
  storedInterestsErrors,
  subscribeSchema,
} from '../../src/subscriptions/schema';
import { processSignup } from '../../src/subscriptions/signup';
import { openUnsubscribeLink, unsubscribeFromLink } from '../../src/subscriptions/unsubscribe';
import { type EndedWay, openOrEndedAnswer } from '../ended-link';
import { browserFormsOnly } from '../middleware/browser-form';
import { tokenPage } from '../middleware/token-page';
import { answersJson, clientIp, formValues, tokenOf, wantsJson } from '../request';
import type { HonoEnv } from '../types';
import { LinkSentPage } from '../views/data-pages';
import { LandingPage } from '../views/landing';
import {
  CheckInboxPage,
  ConfirmedPage,
  ConfirmPage,
  PreferencesPage,
  preferenceValues,
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

export const subscriptionRoutes = new Hono<HonoEnv>()
  .use('/confirm', tokenPage)
  .use('/unsubscribe', tokenPage)
  .use('/resubscribe', tokenPage)
  .use('/preferences', tokenPage)
  .use('/preferences/*', tokenPage)

  // The form's error page lives at /subscribe: reloading it from the address bar, or a
  // bookmark of it, is a GET that should land on the form, not on "method not allowed".
  .get('/subscribe', (c) => c.redirect('/', 303))
  .post('/subscribe', browserFormsOnly, async (c) => {
    const submission = await readSubmission(c.req.raw);
    const { format } = submission;
    const json = answersJson(c, format);
    // From here on, the fields as read: a form's misspelled names (`timezone`) as the fields
    // they mean, for the checks, the re-shown form and which settings were given.
    const parsed = parseSubmission(subscribeSchema, submission.fields, format, FORM_GUARD_FIELDS);
    const { fields } = parsed;

    const rerender = async (errors: Record<string, string[]>, status: 400 | 403 | 429 | 503) => {
      const props = await landingProps(c);
      return c.html(
        <LandingPage {...props} values={formValues(fields)} errors={errors} fresh={false} />,
        status,
      );
    };
    // The same answer for every address, sent before anything about the address is looked up.
    const accepted = (email: string) =>
      json
        ? c.json(
            {
              status: 'pending_confirmation',
              email,
              message: 'Check your inbox: we have sent a link to confirm the subscription.',
            },
            202,
          )
        : c.html(<CheckInboxPage email={email} contact={dataContactAddress(c.var.config)} />, 200);

    if (!parsed.ok) {
      if (!json) return rerender(parsed.errors, 400);
      throw new AppError(400, 'validation_failed', 'Some fields are not valid; see `fields`.', parsed.errors);
    }
    const guard = await checkFormGuards(c.var.app, c.env.SUBSCRIBE_IP_LIMITER, fields, clientIp(c), {
      turnstile: 'subscribe',
    });
    if (!guard.ok) {
      if (guard.retryAfterSeconds) c.header('Retry-After', String(guard.retryAfterSeconds));
      if (!json) return rerender({ _form: [guard.message] }, guard.status);
      throw new AppError(guard.status, guard.kind, guard.message);
    }

    const input = parsed.data;
    // A bot that filled the honeypot gets what a person would have got, having gone through
    // the same checks (validation, rate limit, Turnstile), and nothing is done.
    if (isHoneypotFilled(fields)) return accepted(input.email);
    c.executionCtx.waitUntil(
      inBackground('signup', () =>
        processSignup(c.var.app, {
          input,
          requested: requestedSettings(fields, input),
          // Consent is recorded by who asked: a script that posts the form encoding but
          // takes JSON answers is an API client, not someone on our page.
          method: json ? 'api' : 'form',
        }),
      ),
    );
    return accepted(input.email);
  })

  // ---- double opt-in ---------------------------------------------------------------
  .get('/confirm', async (c) => {
    const token = tokenOf(c);
    const pending = await pendingConfirmation(c.var.app, token);
    if (pending.already) return confirmedPage(c, pending.subscriber, true);
    const action = `/confirm?token=${encodeURIComponent(token!)}`;
    return c.html(
      <ConfirmPage
        subscriber={pending.subscriber}
        schedule={pending.settings}
        action={action}
        choice={
          pending.held
            ? {
                email: pending.settings,
                newer: pending.held.settings,
                newerAction: `${action}&held=${encodeURIComponent(pending.held.id)}`,
              }
            : null
        }
      />,
    );
  })
  .post('/confirm', browserFormsOnly, async (c) => {
    // `held` (in the action of the page's second button) chooses the newer sign-up's settings.
    const { subscriber, already } = await confirmFromLink(
      c.var.app,
      tokenOf(c),
      clientIp(c),
      new Date(),
      c.req.query('held'),
    );
    return confirmedPage(c, subscriber, already);
  })

  // ---- unsubscribe (RFC 8058) ----------------------------------------------------------
  .get('/unsubscribe', async (c) => {
    const token = tokenOf(c);
    const { subscriber } = await openUnsubscribeLink(c.var.app, token);
    if (!subscriber || subscriber.status === 'unsubscribed' || subscriber.status === 'suppressed') {
      return c.html(<UnsubscribedPage subscriber={subscriber} contact={dataContactAddress(c.var.config)} />);
    }
    return c.html(
      <UnsubscribeConfirmPage
        subscriber={subscriber}
        action={`/unsubscribe?token=${encodeURIComponent(token!)}`}
      />,
    );
  })
  .post('/unsubscribe', async (c) => {
    // No origin check and no body requirement: mail providers POST `List-Unsubscribe=One-Click`
    // (urlencoded or multipart) from their servers; the signed token is the authorisation.
    // It only ever unsubscribes, so repeating it (or a provider replaying it) is harmless.
    const { subscriber, changed } = await unsubscribeFromLink(c.var.app, tokenOf(c), nowIso());
    if (changed) logEvent('subscriber_unsubscribed', { subscriber: subscriber!.id });
    if (wantsJson(c.req.raw)) return c.json({ status: 'unsubscribed', changed });
    return c.html(
      <UnsubscribedPage subscriber={subscriber} contact={dataContactAddress(c.var.config)} />,
      200,
    );
  })
  // Pages from before unsubscribe links stopped re-subscribing posted here.
  .post('/resubscribe', () => {
    throw new AppError(
      410,
      'resubscribe_by_signup',
      'To subscribe again, sign up on the home page: we will email you a link to confirm, so only you can do it.',
    );
  })

  // ---- preference centre ------------------------------------------------------------------
  .get('/preferences', async (c) => {
    const token = tokenOf(c)!;
    const opened = await openPreferencesLink(c, token, ['suppressed']);
    if (opened instanceof Response) return opened;
    const { subscriber } = opened;
    return preferencesPage(c, token, subscriber, {
      values: preferenceValues(subscriber),
      errors: storedInterestsErrors(subscriber.interests),
      saved: false,
    });
  })
  .post('/preferences', browserFormsOnly, async (c) => {
    const submission = await readSubmission(c.req.raw);
    const token = tokenOf(c, submission)!;
    const opened = await openPreferencesLink(c, token, ['suppressed']);
    if (opened instanceof Response) return opened;
    const { subscriber, claims } = opened;
    const json = answersJson(c, submission.format);
    // An unticked checkbox is simply absent from a form post.
    const parsed = parseSubmission(preferencesSchema, submission.fields, submission.format, ['token'], {
      always_send: 'off',
    });
    if (!parsed.ok) {
      const { errors, fields } = parsed;
      if (json) {
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
    const interests = update.interests ?? subscriber.interests;
    const saved = await updatePreferences(
      c.var.app.db,
      subscriber.id,
      claims.v,
      {
        interests,
        categories: categoriesOf(interests),
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
      // The link was current a moment ago: say what changed since (unsubscribed, suppressed,
      // a newer link), as the same link would now be answered.
      const now = await openPreferencesLink(c, token, ['suppressed']);
      if (now instanceof Response) return now;
      throw new AppError(
        410,
        'link_revoked',
        'This preferences link is no longer valid. Use the link from your most recent email.',
      );
    }
    if (json) return c.json({ status: 'saved', preferences: publicPreferences(saved) });
    return preferencesPage(c, token, saved, { values: preferenceValues(saved), errors: {}, saved: true });
  })
  // Export and erasure are not done here: a preferences link travels in every (forwarded)
  // digest. They mail a short-lived link to the address instead; see ./data.tsx.
  .post('/preferences/export', browserFormsOnly, (c) => dataLinkRequested(c, 'export'))
  .post('/preferences/delete', browserFormsOnly, (c) => dataLinkRequested(c, 'erase'));

async function dataLinkRequested(c: Ctx, kind: 'export' | 'erase') {
  // A page left open since unsubscribing or a bounce: the generic answer ("sign up again")
  // left someone who asked for their data without the way to it that remains.
  const opened = await openPreferencesLink(c, tokenOf(c), ['unsubscribed', 'suppressed']);
  if (opened instanceof Response) return opened;
  const { subscriber } = opened;
  const outcome = await sendDataLink(c.var.app, subscriber, kind);
  if (wantsJson(c.req.raw)) {
    if (!outcome.sent) {
      throw new AppError(
        429,
        'link_recently_sent',
        outcome.retryInMinutes === null
          ? 'We have already sent you as many emails today as we send one address in a day: please use a link we sent, or ask again tomorrow.'
          : `We sent you this link a moment ago: please use it, or ask again in ${outcome.retryInMinutes} minutes.`,
      );
    }
    return c.json({ status: 'link_sent', email: subscriber.email }, 202);
  }
  return c.html(
    <LinkSentPage email={subscriber.email} kind={kind} outcome={outcome} />,
    outcome.sent ? 200 : 429,
  );
}

/**
 * The subscriber a preferences link opens or, when the subscription has ended in one of
 * the `ways` given, the answer saying what way to their data remains (../ended-link.tsx).
 */
function openPreferencesLink(c: Ctx, token: string | undefined, ways: readonly EndedWay[]) {
  return openOrEndedAnswer(c, ways, () => subscriberFromToken(c.var.app, token, 'preferences'));
}

/**
 * The page after confirming. Only the request that did the confirmation sees the account
 * and gets the preferences link: a link of a subscription already active proves nothing
 * current. It may be an older confirmation link, even one from before an unsubscribe and a
 * new sign-up, and must not open an account whose older links are meant to be dead.
 */
async function confirmedPage(c: Ctx, subscriber: Subscriber, already: boolean) {
  // API clients get JSON here as from app.onError, so success and failure share one format.
  if (wantsJson(c.req.raw)) {
    return c.json(
      already
        ? { status: 'confirmed', changed: false }
        : { status: 'confirmed', changed: true, preferences: publicPreferences(subscriber) },
    );
  }
  if (already) return c.html(<ConfirmedPage already />);
  return c.html(
    <ConfirmedPage
      already={false}
      subscriber={subscriber}
      preferencesUrl={await preferencesUrl(c.var.config, subscriber)}
    />,
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
  const unsubscribe = new URL(await unsubscribeUrl(c.var.config, subscriber));
  return c.html(
    <PreferencesPage
      subscriber={subscriber}
      values={state.values}
      errors={state.errors}
      saved={state.saved}
      action={`/preferences${query}`}
      exportAction={`/preferences/export${query}`}
      deleteAction={`/preferences/delete${query}`}
      unsubscribeUrl={`${unsubscribe.pathname}${unsubscribe.search}`}
    />,
    status,
  );
}
