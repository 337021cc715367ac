/** @jsxImportSource hono/jsx */
/**
 * The pages of a subscriber's life: "check your inbox", confirm (a button, because link
 * scanners prefetch GETs; two, beside both sets of settings, when a newer sign-up was
 * held), confirmed (where the interests typed at sign-up are shown for the first time:
 * our emails never repeat them), unsubscribe (button page and the short
 * one-click answer; coming back is a fresh sign-up) and the preference centre. Every page
 * says what happened in its <h1>. Signed URLs are passed in ready-made; JSX escapes them
 * like any other attribute.
 */
import type { Child } from 'hono/jsx';
import type { Subscriber } from '../../src/domain';
import { type ConfirmView, weekdayShown } from '../../src/subscriptions/confirm';
import { parseInterests } from '../../src/subscriptions/interests';
import { displayEmail } from '../../src/subscriptions/schema';
import { currentZoneName } from '../../src/subscriptions/time-zones';
import {
  describedBy,
  ErrorSummary,
  Field,
  FieldError,
  type FieldErrors,
  FREQUENCIES,
  formStyles,
  HourSelect,
  hourLabel,
  KeptOption,
  TimeZoneSelect,
  WEEKDAYS,
  WeekdaySelect,
} from './form-parts';
import { Layout } from './layout';

export function Page(props: { title: string; children: unknown }) {
  return (
    <Layout
      title={`${props.title} · Papers Digest`}
      head={
        <>
          <meta name="robots" content="noindex" />
          <style>{formStyles}</style>
        </>
      }
    >
      {props.children as never}
    </Layout>
  );
}

/** A zone as the select shows it: its current name (a row may hold Asia/Calcutta), spaced. */
const zoneLabel = (zone: string) => currentZoneName(zone).replace(/_/g, ' ');

/**
 * zoneLabel for a narrow table cell: a break allowed after each "/", where the browser sees
 * none ("America/Argentina/Catamarca" is one word), so a phone wraps the zone at its parts.
 */
function ZoneInCell(props: { zone: string }) {
  return (
    <>
      {zoneLabel(props.zone)
        .split('/')
        .map((part, index) => (index === 0 ? part : [<>/</>, <wbr />, part]))}
    </>
  );
}

const weekdayName = (weekday: number | undefined) => WEEKDAYS[weekday ?? 1] ?? 'Monday';

function schedule(
  subscriber: Pick<Subscriber, 'frequency' | 'sendHour' | 'timeZone'> & { sendWeekday?: number },
) {
  const when =
    subscriber.frequency === 'weekly' ? `every ${weekdayName(subscriber.sendWeekday)}` : 'every day';
  return `${when} at ${hourLabel(subscriber.sendHour)} (${zoneLabel(subscriber.timeZone)})`;
}

/**
 * The interests as ranking reads them (topics, categories, authors), not as typed: a
 * bullet dropped, "cs.CL and cs.LG" split or an "author:" missed shows up here, before a
 * digest full of the wrong papers does.
 */
function InterestsReading(props: { interests: string; id?: string }) {
  const { phrases, categories, authors } = parseInterests(props.interests);
  if (phrases.length + categories.length + authors.length === 0) {
    return (
      <p id={props.id} class="hint">
        No interests: you get the most talked-about papers.
      </p>
    );
  }
  const parts: [string, string[]][] = [
    ['Topics', phrases],
    ['arXiv categories', categories],
    ['Authors', authors],
  ];
  return (
    <div id={props.id} class="hint">
      <p style="margin:.5rem 0 .25rem">Your digest follows:</p>
      <ul style="margin:0">
        {parts
          .filter(([, items]) => items.length > 0)
          .map(([label, items]) => (
            <li>
              {label}: {items.join(', ')}
            </li>
          ))}
      </ul>
    </div>
  );
}

/**
 * Said to every address alike where an email is promised: a bounced or complaining address
 * is never mailed again, and without this its owner waited for an email that could not come.
 */
export function SuppressedNote(props: { contact: string; what: string; then: string }) {
  return (
    <p class="muted">
      We never email an address again once earlier emails to it bounced or were reported as spam, so no{' '}
      {props.what} comes for one. If that may be yours, write to{' '}
      <a href={`mailto:${props.contact}`}>{props.contact}</a> {props.then}.
    </p>
  );
}

export function CheckInboxPage(props: { email: string; contact: string }) {
  return (
    <Page title="Check your inbox">
      <h1>Check your inbox</h1>
      <p role="status">
        We have sent an email to <strong>{displayEmail(props.email)}</strong>. Open the link in it to confirm
        your subscription; nothing is sent until you do.
      </p>
      <p class="muted">
        The link works for 7 days. Nothing there after a few minutes? Check your spam folder. To protect
        inboxes from floods, we send an address at most one of these emails every 10 minutes and three a day.
      </p>
      <SuppressedNote contact={props.contact} what="email" then="to subscribe again" />
      <p>
        <a href="/">Back to Papers Digest</a>
      </p>
    </Page>
  );
}

export function ConfirmPage(props: {
  subscriber: Subscriber;
  schedule: Pick<Subscriber, 'frequency' | 'sendHour' | 'timeZone' | 'sendWeekday'>;
  action: string;
  /** A newer sign-up of this address, capped before its email, asked for other settings. */
  choice?: { email: ConfirmView; newer: ConfirmView; newerAction: string } | null;
}) {
  const { choice } = props;
  if (choice) {
    const settings: [string, (view: ConfirmView) => Child, string?][] = [
      ['Interests', (view) => view.interests || '(none: the most talked-about papers)', 'free-text'],
      ['Frequency', (view) => (view.frequency === 'weekly' ? 'Weekly' : 'Daily')],
      ['Day', (view) => (view.frequency === 'weekly' ? weekdayName(view.sendWeekday) : 'None (daily)')],
      ['Send hour', (view) => hourLabel(view.sendHour)],
      ['Time zone', (view) => <ZoneInCell zone={view.timeZone} />],
    ];
    // The day only matters to a weekly digest: no row for it when both are daily.
    const rows = settings.filter(([label]) => label !== 'Day' || weekdayShown(choice.email, choice.newer));
    const columns = ['In this email', 'Newer sign-up'];
    return (
      <Page title="Confirm your subscription">
        <h1>Confirm your subscription</h1>
        <p>
          You are about to subscribe <strong>{displayEmail(props.subscriber.email)}</strong> to Papers Digest.
        </p>
        <p role="status">
          <strong>This address was signed up again</strong> after we sent this email, with different settings.
          We did not send another email so soon, so choose which settings to confirm. If the newer sign-up was
          not yours, confirm the settings in the email.
        </p>
        <table class="compare">
          <thead>
            <tr>
              <th scope="col">Setting</th>
              {columns.map((column) => (
                <th scope="col">{column}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(([label, show, kind]) => (
              <tr>
                <th scope="row">{label}</th>
                {[choice.email, choice.newer].map((view, index) => (
                  <td class={kind} data-label={columns[index]}>
                    {show(view)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <form method="post" action={props.action}>
          <button type="submit">Confirm with the settings in the email</button>
        </form>
        <form method="post" action={choice.newerAction}>
          <button type="submit" class="secondary">
            Confirm with the newer settings
          </button>
        </form>
        <p class="muted">If you did not ask for this, close this page: nothing happens unless you confirm.</p>
      </Page>
    );
  }
  return (
    <Page title="Confirm your subscription">
      <h1>Confirm your subscription</h1>
      <p>
        You are about to subscribe <strong>{displayEmail(props.subscriber.email)}</strong> to Papers Digest,{' '}
        {schedule(props.schedule)}.
      </p>
      <form method="post" action={props.action}>
        <button type="submit">Confirm subscription</button>
      </form>
      <p class="muted">If you did not ask for this, close this page: nothing happens unless you confirm.</p>
    </Page>
  );
}

/**
 * After confirming. A link whose subscription was already active ("already") may be an old
 * one, so that page says only that: the account (address, interests, preferences link) is
 * shown to the request that did the confirmation.
 */
export function ConfirmedPage(
  props: { already: true } | { already: false; subscriber: Subscriber; preferencesUrl: string },
) {
  if (props.already) {
    return (
      <Page title="Subscription confirmed">
        <h1>Subscription confirmed</h1>
        <p role="status">Your subscription was already confirmed: nothing else to do.</p>
        <p class="muted">Every digest has links to change your preferences or unsubscribe in one click.</p>
      </Page>
    );
  }
  return (
    <Page title="Subscription confirmed">
      <h1>Subscription confirmed</h1>
      <p role="status">
        Thank you. <strong>{displayEmail(props.subscriber.email)}</strong> will receive Papers Digest{' '}
        {schedule(props.subscriber)}, starting with the next edition.
      </p>
      {props.subscriber.interests ? (
        <>
          <p style="margin-bottom:0">
            Your interests: <q>{props.subscriber.interests}</q>.
          </p>
          <InterestsReading interests={props.subscriber.interests} />
          <p>Not what you meant? Change them in your preferences.</p>
        </>
      ) : (
        <p>
          No interests yet: you will get the most talked-about papers until you add some in your preferences.
        </p>
      )}
      <p>
        <a class="button secondary" href={props.preferencesUrl}>
          Manage preferences
        </a>
      </p>
      <p class="muted">Every digest has links to change your preferences or unsubscribe in one click.</p>
    </Page>
  );
}

export function UnsubscribeConfirmPage(props: { subscriber: Subscriber; action: string }) {
  return (
    <Page title="Unsubscribe">
      <h1>Unsubscribe from Papers Digest?</h1>
      <p>
        <strong>{displayEmail(props.subscriber.email)}</strong> will stop receiving digests.
      </p>
      <form method="post" action={props.action}>
        <input type="hidden" name="List-Unsubscribe" value="One-Click" />
        <button type="submit">Unsubscribe</button>
      </form>
      <p>
        Too many emails? Open the <em>preferences</em> link at the bottom of any digest to switch to weekly or
        get fewer papers instead.
      </p>
    </Page>
  );
}

/**
 * `subscriber` is null when the subscription the link belonged to was deleted. `contact` is
 * whom a suppressed address writes to for its data: /data mails a link, never to them.
 */
export function UnsubscribedPage(props: { subscriber: Subscriber | null; contact: string }) {
  if (!props.subscriber) {
    return (
      <Page title="Unsubscribed">
        <h1>You are unsubscribed</h1>
        <p role="status">
          This subscription no longer exists: its data has been deleted, so no digests are sent to it. If you
          still receive digests, use the unsubscribe link in the most recent one.
        </p>
        <p>
          Want digests again? <a href="/">Sign up</a>: we will email you a link to confirm.
        </p>
      </Page>
    );
  }
  // Sign-up never mails a bounced or complaining address again, so it is not invited back.
  if (props.subscriber.status === 'suppressed') {
    return (
      <Page title="Unsubscribed">
        <h1>You receive no more digests</h1>
        <p role="status">
          We stopped sending to <strong>{displayEmail(props.subscriber.email)}</strong> because earlier emails
          to it bounced or were reported as spam: no digests are sent to it.
        </p>
        <p class="muted">
          So we cannot email you a link to your data either: to download or delete the data we hold about you,
          write to <a href={`mailto:${props.contact}`}>{props.contact}</a>.
        </p>
      </Page>
    );
  }
  return (
    <Page title="Unsubscribed">
      <h1>You have been unsubscribed</h1>
      <p role="status">
        <strong>{displayEmail(props.subscriber.email)}</strong> will not receive any more digests. The
        preferences, feed and view links in earlier digests have stopped working too.
      </p>
      <p>
        Unsubscribed by mistake? <a href="/">Sign up again</a>: we will email you a link to confirm, so nobody
        else can do it for you.
      </p>
      <p class="muted">
        To download or delete the data we hold about you, <a href="/data">ask for a link by email</a>.
      </p>
    </Page>
  );
}

export interface PreferenceValues {
  interests: string;
  frequency: string;
  send_hour: string;
  send_weekday: string;
  time_zone: string;
  digest_size: string;
  trending_mix: string;
  always_send: boolean;
}

export function preferenceValues(subscriber: Subscriber): PreferenceValues {
  return {
    interests: subscriber.interests,
    frequency: subscriber.frequency,
    send_hour: String(subscriber.sendHour),
    send_weekday: String(subscriber.sendWeekday),
    time_zone: subscriber.timeZone,
    digest_size: String(subscriber.digestSize),
    trending_mix: String(subscriber.trendingMix),
    always_send: subscriber.alwaysSend,
  };
}

/** Short enough for a select on a 375 px phone (a select cannot wrap); the hint says the rest. */
const MIX_OPTIONS: [string, string][] = [
  ['0', 'Relevance only'],
  ['0.15', 'Mostly relevance'],
  ['0.3', 'Relevance first (default)'],
  ['0.5', 'Half and half'],
  ['0.7', 'Mostly trending'],
  ['1', 'Trending only'],
];

export function PreferencesPage(props: {
  subscriber: Subscriber;
  values: PreferenceValues;
  errors: FieldErrors;
  saved: boolean;
  action: string;
  exportAction: string;
  deleteAction: string;
  unsubscribeUrl: string;
}) {
  const { subscriber, values, errors } = props;
  const mixOptions = MIX_OPTIONS.some(([value]) => Number(value) === Number(values.trending_mix))
    ? MIX_OPTIONS
    : [...MIX_OPTIONS, [values.trending_mix, `Custom (${values.trending_mix})`] as [string, string]];
  const hasErrors = Object.keys(errors).length > 0;
  return (
    <Page title={props.saved ? 'Preferences saved' : hasErrors ? 'Error: Preferences' : 'Your preferences'}>
      <h1>{props.saved ? 'Preferences saved' : 'Your preferences'}</h1>
      {props.saved ? (
        <p role="status" class="ok">
          Your changes are saved and apply from the next digest.
        </p>
      ) : null}
      <p>
        Preferences for <strong>{displayEmail(subscriber.email)}</strong>.{' '}
        {subscriber.status === 'active'
          ? `You receive Papers Digest ${schedule(subscriber)}.`
          : subscriber.status === 'pending'
            ? 'Your subscription is not confirmed yet: use the link in the confirmation email.'
            : subscriber.status === 'unsubscribed'
              ? 'You are unsubscribed and receive no digests.'
              : 'Emails to this address are paused because earlier ones could not be delivered.'}
      </p>

      <form method="post" action={props.action} novalidate class="card" aria-labelledby="prefs-title">
        <h2 id="prefs-title" style="margin-top:.25rem">
          Digest settings
        </h2>
        <ErrorSummary errors={errors} />
        <Field
          name="interests"
          label="Interests"
          hint="Topics or keywords separated by commas or semicolons; arXiv categories like cs.CL; authors as author: Name."
          errors={errors}
        >
          <textarea id="interests" name="interests" rows={4} {...describedBy('interests', errors, true)}>
            {values.interests}
          </textarea>
          <InterestsReading interests={subscriber.interests} id="interests-reading" />
        </Field>
        <div class="row">
          <Field name="frequency" label="How often" errors={errors}>
            <select id="frequency" name="frequency" {...describedBy('frequency', errors, false)}>
              <KeptOption value={values.frequency} options={FREQUENCIES} blank="Choose how often" />
              <option value="daily" selected={values.frequency === 'daily'}>
                Daily
              </option>
              <option value="weekly" selected={values.frequency === 'weekly'}>
                Weekly
              </option>
            </select>
          </Field>
          <Field name="send_weekday" label="Day for weekly digests" errors={errors}>
            <WeekdaySelect value={values.send_weekday} errors={errors} hint={false} />
          </Field>
        </div>
        <div class="row">
          <Field name="send_hour" label="Delivery hour" hint="In your time zone." errors={errors}>
            <HourSelect name="send_hour" value={values.send_hour} errors={errors} hint={true} />
          </Field>
          <Field name="time_zone" label="Time zone" errors={errors}>
            <TimeZoneSelect value={values.time_zone} errors={errors} hint={false} detectFromBrowser={false} />
          </Field>
        </div>
        <div class="row">
          <Field name="digest_size" label="Papers per digest" hint="From 1 to 50." errors={errors}>
            {/* Text, not type=number: a browser submits a number field holding a typo ("2e")
                as empty, which reads as "unchanged", so the typo was "saved" without a word. */}
            <input
              type="text"
              id="digest_size"
              name="digest_size"
              inputmode="numeric"
              autocomplete="off"
              value={values.digest_size}
              {...describedBy('digest_size', errors, true)}
            />
          </Field>
          <Field
            name="trending_mix"
            label="Relevance or trending"
            hint="Papers matching your interests, or what the community upvotes."
            errors={errors}
          >
            <select id="trending_mix" name="trending_mix" {...describedBy('trending_mix', errors, true)}>
              {mixOptions.map(([value, label]) => (
                <option value={value} selected={Number(value) === Number(values.trending_mix)}>
                  {label}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <label class="checkbox" for="always_send">
          <input
            type="checkbox"
            id="always_send"
            name="always_send"
            value="on"
            checked={values.always_send}
            {...describedBy('always_send', errors, false)}
          />
          <span>
            Always send a digest, even when no new paper matches my interests well (it is then filled with
            trending papers).
          </span>
        </label>
        <FieldError name="always_send" errors={errors} />
        <button type="submit">Save preferences</button>
      </form>

      <section aria-labelledby="data-title">
        <h2 id="data-title">Your data</h2>
        <p>
          For your safety we do not download or delete data from this page, whose link is in every digest you
          may forward: we email a link, valid for an hour, to{' '}
          <strong>{displayEmail(subscriber.email)}</strong>.
        </p>
        <div class="actions">
          <form method="post" action={props.exportAction}>
            <button type="submit" class="secondary">
              Email me a link to download my data
            </button>
          </form>
          {subscriber.status === 'active' || subscriber.status === 'pending' ? (
            <a class="button secondary" href={props.unsubscribeUrl}>
              Unsubscribe
            </a>
          ) : null}
        </div>
        <div class="card danger">
          <h3 style="margin-top:0">Delete me</h3>
          <p>
            Deletes your subscription, preferences, digest history and feedback for good. We keep only a
            one-way, keyed fingerprint of your address so it is never re-imported by mistake. The emailed link
            asks you to confirm before anything is deleted.
          </p>
          <form method="post" action={props.deleteAction}>
            <button type="submit" class="danger-button">
              Email me a link to delete my data
            </button>
          </form>
        </div>
      </section>
    </Page>
  );
}
