/** @jsxImportSource hono/jsx */
/**
 * The pages around a person's data: asking for a link by address (/data), "we've sent you
 * a link" (from there or from the preferences page), the download page the mailed link
 * opens, the "are you sure?" page before erasure, and the "deleted" page. Asking by
 * address always gets the same answer, so the page cannot tell who is on our list.
 */
import type { Subscriber } from '../../src/domain';
import type { DataLinkOutcome } from '../../src/subscriptions/data-requests';
import { displayEmail } from '../../src/subscriptions/schema';
import {
  describedBy,
  EmailInput,
  ErrorSummary,
  Field,
  FieldError,
  type FieldErrors,
  TurnstileNoScript,
  TurnstileWidget,
} from './form-parts';
import { Page, SuppressedNote } from './subscription-pages';

export function DataRequestPage(props: {
  values: Record<string, string>;
  errors: FieldErrors;
  turnstileSiteKey?: string;
}) {
  const { values, errors } = props;
  return (
    <Page title={Object.keys(errors).length > 0 ? 'Error: Your data' : 'Your data'}>
      <h1>Download or delete your data</h1>
      <p>
        Enter your address and we will email it a link, valid for an hour, to download everything we hold
        about you or to delete it. This works whether or not you are still subscribed.
      </p>
      <form method="post" action="/data" novalidate class="card" aria-labelledby="data-request-title">
        <h2 id="data-request-title" style="margin-top:.25rem">
          Ask for a link
        </h2>
        <ErrorSummary errors={errors} />
        <TurnstileNoScript siteKey={props.turnstileSiteKey} />
        <Field name="email" label="Email address" errors={errors}>
          <EmailInput value={values.email ?? ''} errors={errors} />
        </Field>
        {/* A value neither radio has (a crafted post) checks neither: the error asks to choose. */}
        <fieldset
          id="action"
          style="border:0;padding:0;margin:1rem 0 0"
          {...describedBy('action', errors, false)}
        >
          <legend style="font-weight:600">What would you like to do?</legend>
          <label class="checkbox" for="action-export">
            <input
              type="radio"
              id="action-export"
              name="action"
              value="export"
              checked={values.action === undefined || values.action === 'export'}
            />
            <span>Download a copy of my data</span>
          </label>
          <label class="checkbox" for="action-erase">
            <input
              type="radio"
              id="action-erase"
              name="action"
              value="erase"
              checked={values.action === 'erase'}
            />
            <span>Delete all my data (the email asks you to confirm)</span>
          </label>
          <FieldError name="action" errors={errors} />
        </fieldset>
        <div class="hp" aria-hidden="true">
          <label for="website">Website (leave empty)</label>
          <input type="text" id="website" name="website" tabindex={-1} autocomplete="off" value="" />
        </div>
        <TurnstileWidget siteKey={props.turnstileSiteKey} action="data" />
        <button type="submit">Email me the link</button>
      </form>
    </Page>
  );
}

/**
 * The answer to every address alike. It also says why a link may never come (we do not mail
 * an address that bounced or reported us as spam) and whom to write to instead: without
 * that, such a person waited for an email that could not arrive.
 */
export function DataRequestedPage(props: { email: string; contact: string }) {
  return (
    <Page title="Check your inbox">
      <h1>Check your inbox</h1>
      <p role="status">
        If we hold data for <strong>{displayEmail(props.email)}</strong>, we have emailed it a link. It works
        for an hour.
      </p>
      <p class="muted">Nothing there after a few minutes? Check your spam folder.</p>
      <SuppressedNote contact={props.contact} what="link" then="for your data or to delete it" />
      <p>
        <a href="/">Back to Papers Digest</a>
      </p>
    </Page>
  );
}

export function LinkSentPage(props: { email: string; kind: 'export' | 'erase'; outcome: DataLinkOutcome }) {
  const what = props.kind === 'export' ? 'download your data' : 'delete your data';
  if (!props.outcome.sent) {
    return (
      <Page title="Link already sent">
        <h1>We have already sent you a link</h1>
        <p role="status">
          {props.outcome.retryInMinutes === null
            ? `We have sent ${displayEmail(props.email)} as many emails today as we send one address in a day. Please use a link we sent to ${what}, or ask again tomorrow.`
            : `We sent ${displayEmail(props.email)} a link to ${what} a moment ago. Please use it, or ask again in ${props.outcome.retryInMinutes} minutes.`}
        </p>
      </Page>
    );
  }
  return (
    <Page title="We've sent you a link">
      <h1>We've sent you a link</h1>
      <p role="status">
        We have emailed <strong>{displayEmail(props.email)}</strong> a link to {what}. It works for an hour.
      </p>
      <p class="muted">
        We ask by email because this page's link is in every digest, which you may have forwarded: only
        whoever reads your mailbox now can {what}.
      </p>
    </Page>
  );
}

/** What a data link request answers when the preferences link asking has stopped working. */
export function dataLinkUnavailableMessage(reason: 'unsubscribed' | 'suppressed', contact: string): string {
  return reason === 'unsubscribed'
    ? 'You have unsubscribed, so the links of your old emails, this page included, no longer open your subscription. Your data is kept until you delete it: ask for a link to download or delete it at /data, and we will email it to you.'
    : `Emails to this address bounced or were reported as spam, so we stopped sending, and cannot email you a link to your data either. To download or delete it, write to ${contact}.`;
}

/**
 * The page for a data link asked from a preferences page left open since unsubscribing (or
 * since a bounce): the link no longer opens the account, but the person keeps a way to
 * their data, and the page links to it.
 */
export function DataLinkUnavailablePage(props: { reason: 'unsubscribed' | 'suppressed'; contact: string }) {
  return (
    <Page title="This link no longer works">
      <h1>This link no longer works</h1>
      {props.reason === 'unsubscribed' ? (
        <p role="status">
          You have unsubscribed, so the links of your old emails, this page included, no longer open your
          subscription. Your data is kept until you delete it:{' '}
          <a href="/data">ask for a link to download or delete it</a>, and we will email it to you.
        </p>
      ) : (
        <p role="status">
          Emails to this address bounced or were reported as spam, so we stopped sending, and cannot email you
          a link to your data either. To download or delete it, write to{' '}
          <a href={`mailto:${props.contact}`}>{props.contact}</a>.
        </p>
      )}
      <p>
        <a href="/">Back to Papers Digest</a>
      </p>
    </Page>
  );
}

export function ExportPage(props: { subscriber: Subscriber; action: string }) {
  return (
    <Page title="Download your data">
      <h1>Download your data</h1>
      <p>
        Everything we hold about <strong>{displayEmail(props.subscriber.email)}</strong>: your subscription,
        preferences, consent record, digest history (with why each paper was picked), votes, the emails you
        asked us for and the delivery reports our mail provider sent us about your address, as one JSON file.
      </p>
      <form method="post" action={props.action}>
        <button type="submit">Download my data</button>
      </form>
    </Page>
  );
}

export function EraseConfirmPage(props: { subscriber: Subscriber; action: string }) {
  return (
    <Page title="Delete your data?">
      <h1>Delete all your data?</h1>
      <p>
        This deletes the subscription of <strong>{displayEmail(props.subscriber.email)}</strong>, its
        preferences, digest history and votes, for good. You will not receive any more emails from us. It
        cannot be undone.
      </p>
      <form method="post" action={props.action}>
        <button type="submit" class="danger-button">
          Yes, delete everything
        </button>
      </form>
      <p>
        <a href="/">No, keep my data</a>
      </p>
    </Page>
  );
}

export function ErasedPage() {
  return (
    <Page title="Your data has been deleted">
      <h1>Your data has been deleted</h1>
      <p role="status">
        We have deleted your subscription, your preferences, your digest history and your feedback. You will
        not receive any more emails from us.
      </p>
      <p class="muted">
        We keep only a one-way, keyed fingerprint (hash) of your address, so it cannot be re-imported by
        mistake. You can sign up again at any time.
      </p>
      <p>
        <a href="/">Back to Papers Digest</a>
      </p>
    </Page>
  );
}
