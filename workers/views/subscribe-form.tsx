/** @jsxImportSource hono/jsx */
/**
 * The sign-up form, used on the landing page and re-rendered after a failed submit with
 * the visitor's input kept and each error tied to its field. Field names are the API's
 * (email, interests, frequency, send_weekday, send_hour, time_zone). It posts without JavaScript; the
 * only scripts pick the browser's time zone and, when configured, load Turnstile (whose
 * check needs JavaScript: a <noscript> note says so).
 */
import {
  describedBy,
  EmailInput,
  ErrorSummary,
  Field,
  type FieldErrors,
  FREQUENCIES,
  HourSelect,
  KeptOption,
  TimeZoneSelect,
  TurnstileNoScript,
  TurnstileWidget,
  WeekdaySelect,
} from './form-parts';

export interface SubscribeFormValues {
  email?: string;
  interests?: string;
  frequency?: string;
  send_weekday?: string;
  send_hour?: string;
  time_zone?: string;
}

/**
 * The day select starts on no day: a new subscription then gets Monday (the column's
 * default), and one coming back after unsubscribing keeps the day chosen before, as a
 * sign-up changes only what it asks for. The confirm page and email name the day. Without
 * JavaScript the select cannot hide for "Daily", so its label and hint say it is for weekly
 * digests; a day sent with "Daily" is kept for a later switch to weekly.
 */
const UNCHOSEN_DAY = 'Monday, or as before';
const DAY_HINT = `Only used for weekly digests. If you are coming back, '${UNCHOSEN_DAY}' keeps your earlier day.`;

export function SubscribeForm(props: {
  values: SubscribeFormValues;
  errors: FieldErrors;
  turnstileSiteKey?: string;
  /** True on a fresh form; false when re-rendering what the visitor submitted. */
  fresh: boolean;
}) {
  const { values, errors } = props;
  return (
    <form method="post" action="/subscribe" novalidate aria-labelledby="subscribe-title" class="card">
      <h2 id="subscribe-title" style="margin-top:.25rem">
        Subscribe
      </h2>
      <ErrorSummary errors={errors} />
      <TurnstileNoScript siteKey={props.turnstileSiteKey} />
      <Field name="email" label="Email address" errors={errors}>
        <EmailInput value={values.email ?? ''} errors={errors} />
      </Field>
      {/* No maxlength on interests: a browser silently cuts a pasted list at it; the server's
          limit answers with a message and the whole text kept. */}
      <Field
        name="interests"
        label="Interests"
        hint="Topics or keywords separated by commas or semicolons; optional arXiv categories like cs.CL; authors as author: Name. Leave empty for the most talked-about papers."
        errors={errors}
      >
        <textarea
          id="interests"
          name="interests"
          rows={3}
          placeholder="diffusion models, RLHF; cs.CL; author: Yejin Choi"
          {...describedBy('interests', errors, true)}
        >
          {values.interests ?? ''}
        </textarea>
      </Field>
      <div class="row">
        <Field
          name="frequency"
          label="How often"
          hint="Daily, or weekly on the day you choose."
          errors={errors}
        >
          <select id="frequency" name="frequency" {...describedBy('frequency', errors, true)}>
            <KeptOption value={values.frequency ?? 'daily'} options={FREQUENCIES} blank="Choose how often" />
            <option value="daily" selected={(values.frequency ?? 'daily') === 'daily'}>
              Daily
            </option>
            <option value="weekly" selected={values.frequency === 'weekly'}>
              Weekly
            </option>
          </select>
        </Field>
        <Field name="send_weekday" label="Day (weekly digests)" hint={DAY_HINT} errors={errors}>
          <WeekdaySelect
            value={values.send_weekday ?? ''}
            errors={errors}
            hint={true}
            unchosen={UNCHOSEN_DAY}
          />
        </Field>
      </div>
      <div class="row">
        <Field name="send_hour" label="Delivery hour" hint="In your time zone." errors={errors}>
          <HourSelect name="send_hour" value={values.send_hour ?? '8'} errors={errors} hint={true} />
        </Field>
        <Field name="time_zone" label="Time zone" errors={errors}>
          <TimeZoneSelect
            value={values.time_zone ?? 'UTC'}
            errors={errors}
            hint={false}
            detectFromBrowser={props.fresh}
          />
        </Field>
      </div>
      {/* Honeypot: hidden from people and assistive technology; bots that fill it are ignored. */}
      <div class="hp" aria-hidden="true">
        <label for="website">Website (leave empty)</label>
        <input type="text" id="website" name="website" tabindex={-1} autocomplete="off" value="" />
      </div>
      <TurnstileWidget siteKey={props.turnstileSiteKey} action="subscribe" />
      <button type="submit">Subscribe</button>
      <p class="hint" style="margin-top:.75rem">
        We will email you a link to confirm. No confirmation, no emails. Every digest has a one-click
        unsubscribe link.
      </p>
    </form>
  );
}
