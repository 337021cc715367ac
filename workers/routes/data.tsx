/** @jsxImportSource hono/jsx */
/**
 * A person's own data: GET/POST /data asks for a link by address (for anyone, including
 * those who unsubscribed and so have no working preferences link); the mailed, hour-long
 * links open GET /data/export (a download button; the download itself is POST only) and
 * GET /data/erase (asks to confirm; POST erases). Asking mails the address, so it passes
 * the same bot checks as sign-up (Turnstile too, when configured), and answers the same for
 * every address, before anything about it is looked up. Pages are never cached or indexed.
 * POSTs answer as sign-up does: JSON for a JSON body or a client preferring JSON (a script
 * posting the form encoding), errors included, the erasure too; the download is JSON whatever is asked.
 * GETs are pages whatever Accept says, as every token page is: a GET never acts (mail
 * scanners prefetch links), so an API client has nothing to read there but a button.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { AppError } from '../../src/errors';
import { inBackground } from '../../src/lib/background';
import { logEvent } from '../../src/lib/log';
import { subscriberFromToken } from '../../src/subscriptions/access';
import { dataContactAddress, requestDataLinkByAddress } from '../../src/subscriptions/data-requests';
import { eraseSubscriber, exportSubscriberData } from '../../src/subscriptions/erase';
import { checkFormGuards, FORM_GUARD_FIELDS, isHoneypotFilled } from '../../src/subscriptions/guards';
import { readSubmission } from '../../src/subscriptions/request-body';
import { emailField, parseSubmission } from '../../src/subscriptions/schema';
import { browserFormsOnly } from '../middleware/browser-form';
import { tokenPage } from '../middleware/token-page';
import { answersJson, clientIp, formValues, tokenOf, wantsJson } from '../request';
import type { HonoEnv } from '../types';
import {
  DataRequestedPage,
  DataRequestPage,
  EraseConfirmPage,
  ErasedPage,
  ExportPage,
} from '../views/data-pages';

const dataRequestSchema = z.object({
  email: emailField,
  action: z.enum(['export', 'erase'], { error: 'Choose whether to download or delete your data.' }),
});

export const dataRoutes = new Hono<HonoEnv>()
  .use('/data', tokenPage)
  .use('/data/*', tokenPage)

  .get('/data', (c) =>
    c.html(<DataRequestPage values={{}} errors={{}} turnstileSiteKey={c.var.config.TURNSTILE_SITE_KEY} />),
  )
  .post('/data', browserFormsOnly, async (c) => {
    const submission = await readSubmission(c.req.raw);
    const { format } = submission;
    // As for sign-up: a script posting the form encoding but preferring JSON gets JSON,
    // its answer and its errors alike (app.onError decides the same way).
    const json = answersJson(c, format);
    // The bot checks' fields (honeypot, Turnstile) are read by the guards; a JSON client's
    // typo is an error, a form's misspelled name (`e-mail`) is read as the field it means.
    const parsed = parseSubmission(dataRequestSchema, submission.fields, format, FORM_GUARD_FIELDS);
    const { fields } = parsed;
    const rerender = (errors: Record<string, string[]>, status: 400 | 403 | 429 | 503) =>
      c.html(
        <DataRequestPage
          values={formValues(fields)}
          errors={errors}
          turnstileSiteKey={c.var.config.TURNSTILE_SITE_KEY}
        />,
        status,
      );
    const answer = (email: string) =>
      json
        ? c.json({ status: 'link_sent_if_known', email }, 202)
        : c.html(<DataRequestedPage email={email} contact={dataContactAddress(c.var.config)} />);
    if (!parsed.ok) {
      const { errors } = parsed;
      if (!json) return rerender(errors, 400);
      throw new AppError(400, 'validation_failed', 'Some fields are not valid; see `fields`.', errors);
    }
    const guard = await checkFormGuards(c.var.app, c.env.SUBSCRIBE_IP_LIMITER, fields, clientIp(c), {
      turnstile: 'data',
    });
    if (!guard.ok) {
      if (guard.retryAfterSeconds) c.header('Retry-After', String(guard.retryAfterSeconds));
      if (!json) return rerender({ _form: [guard.message] }, guard.status);
      throw new AppError(guard.status, guard.kind, guard.message);
    }
    const { email, action } = parsed.data;
    // As on the sign-up form: a bot that filled the honeypot gets a person's answer, and nothing is done.
    if (isHoneypotFilled(fields)) return answer(email);
    c.executionCtx.waitUntil(
      inBackground('data_link', () => requestDataLinkByAddress(c.var.app, email, action)),
    );
    return answer(email);
  })

  .get('/data/export', async (c) => {
    const token = tokenOf(c);
    const { subscriber } = await subscriberFromToken(c.var.app, token, 'export');
    return c.html(
      <ExportPage subscriber={subscriber} action={`/data/export?token=${encodeURIComponent(token!)}`} />,
    );
  })
  .post('/data/export', browserFormsOnly, async (c) => {
    const { subscriber } = await subscriberFromToken(c.var.app, tokenOf(c), 'export');
    const data = await exportSubscriberData(c.var.app.db, subscriber);
    logEvent('subscriber_exported', { subscriber: subscriber.id });
    c.header('Content-Disposition', 'attachment; filename="papers-digest-my-data.json"');
    return c.body(JSON.stringify(data, null, 2), 200, { 'Content-Type': 'application/json; charset=utf-8' });
  })

  .get('/data/erase', async (c) => {
    const token = tokenOf(c);
    const { subscriber } = await subscriberFromToken(c.var.app, token, 'erase');
    return c.html(
      <EraseConfirmPage subscriber={subscriber} action={`/data/erase?token=${encodeURIComponent(token!)}`} />,
    );
  })
  .post('/data/erase', browserFormsOnly, async (c) => {
    const { subscriber } = await subscriberFromToken(c.var.app, tokenOf(c), 'erase');
    await eraseSubscriber(c.var.app, subscriber);
    logEvent('subscriber_erased', { subscriber: subscriber.id });
    if (wantsJson(c.req.raw)) return c.json({ status: 'erased' });
    return c.html(<ErasedPage />);
  });
