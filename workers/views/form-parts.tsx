/** @jsxImportSource hono/jsx */
/**
 * Accessible form building blocks shared by the sign-up form, /data and the preference
 * centre: an error summary that takes focus after a failed submit (so screen-reader and
 * keyboard users land on what went wrong), fields whose hint and error are tied to the
 * control with aria-describedby and flagged with aria-invalid, and the Turnstile widget of
 * the public forms. Everything but Turnstile works without JavaScript; /assets/forms.js
 * (linked from the layout) adds the focus move and time-zone detection.
 */
import type { Child } from 'hono/jsx';
import { currentZoneName, olderZoneNames, timeZoneChoices } from '../../src/subscriptions/time-zones';
import type { TurnstileAction } from '../../src/subscriptions/turnstile';

export type FieldErrors = Record<string, string[]>;

/** IANA zones for the time-zone selects, under their current names; UTC first (the no-JS default). */
export const TIME_ZONES: readonly string[] = timeZoneChoices();

/** The frequency select's values, as the schema stores them. */
export const FREQUENCIES: readonly string[] = ['daily', 'weekly'];

/** A weekly digest's day, by its stored value (0 = Sunday). */
export const WEEKDAYS: readonly string[] = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
];

export const HOURS = Array.from({ length: 24 }, (_, hour) => hour);
export const hourLabel = (hour: number) => `${String(hour).padStart(2, '0')}:00`;

const FIELD_LABELS: Record<string, string> = {
  email: 'Email address',
  interests: 'Interests',
  frequency: 'How often',
  send_hour: 'Delivery hour',
  time_zone: 'Time zone',
  send_weekday: 'Day for weekly digests',
  digest_size: 'Papers per digest',
  trending_mix: 'Relevance or trending',
  always_send: 'Always send',
  action: 'What would you like to do',
};

/** Lists every error; field errors link to their control. `_form` errors are general. */
export function ErrorSummary(props: { errors: FieldErrors }) {
  const entries = Object.entries(props.errors).filter(([, messages]) => messages.length > 0);
  if (entries.length === 0) return null;
  return (
    <div
      class="card error-summary"
      id="error-summary"
      role="alert"
      tabindex={-1}
      autofocus
      aria-labelledby="error-summary-title"
    >
      <h2 id="error-summary-title" style="margin-top:0">
        There is a problem
      </h2>
      <ul>
        {entries.flatMap(([field, messages]) =>
          messages.map((message) => (
            <li>
              {field === '_form' || !(field in FIELD_LABELS) ? (
                message
              ) : (
                <a href={`#${field}`}>
                  {FIELD_LABELS[field]}: {message}
                </a>
              )}
            </li>
          )),
        )}
      </ul>
    </div>
  );
}

/** aria attributes for a control with an optional hint and the field's errors. */
export function describedBy(name: string, errors: FieldErrors, hint: boolean) {
  const ids = [hint ? `${name}-hint` : null, errors[name]?.length ? `${name}-error` : null].filter(Boolean);
  return {
    'aria-describedby': ids.length > 0 ? ids.join(' ') : undefined,
    'aria-invalid': errors[name]?.length ? 'true' : undefined,
  };
}

/** A label with its hint, the control, and the field's error messages underneath. */
export function Field(props: {
  name: string;
  label: string;
  hint?: string;
  errors: FieldErrors;
  children: Child;
}) {
  return (
    <div class="field">
      <label for={props.name}>{props.label}</label>
      {props.hint ? (
        <span class="hint" id={`${props.name}-hint`}>
          {props.hint}
        </span>
      ) : null}
      {props.children}
      <FieldError name={props.name} errors={props.errors} />
    </div>
  );
}

/**
 * A field's error messages, with the id describedBy points the control at. Field renders it;
 * a control laid out without Field (a checkbox inside its own label) renders it itself.
 */
export function FieldError(props: { name: string; errors: FieldErrors }) {
  const messages = props.errors[props.name] ?? [];
  if (messages.length === 0) return null;
  return (
    <p class="error" id={`${props.name}-error`}>
      <span class="visually-hidden">Error: </span>
      {messages.join(' ')}
    </p>
  );
}

/**
 * Cloudflare Turnstile's widget, when a site key is configured. Its action names the form,
 * and the server accepts the token for that form only (src/subscriptions/turnstile.ts).
 */
export function TurnstileWidget(props: { siteKey: string | undefined; action: TurnstileAction }) {
  if (!props.siteKey) return null;
  return (
    <>
      <div
        class="cf-turnstile"
        data-sitekey={props.siteKey}
        data-action={props.action}
        style="margin-top:1rem"
      />
      <script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer />
    </>
  );
}

/**
 * Said at the top of a form with Turnstile, to visitors without JavaScript: the check is the
 * one part of our forms that needs it, and without this they learnt so only from the
 * refusal, after filling everything in.
 */
export function TurnstileNoScript(props: { siteKey: string | undefined }) {
  if (!props.siteKey) return null;
  return (
    <noscript>
      <p class="notice">
        This form needs JavaScript for its “verify you are human” check (Cloudflare Turnstile). Please turn
        JavaScript on for this site, or use a browser that has it, to submit the form.
      </p>
    </noscript>
  );
}

/** The email address field of our public forms (sign-up, /data). */
export function EmailInput(props: { value: string; errors: FieldErrors }) {
  return (
    <input
      type="email"
      id="email"
      name="email"
      autocomplete="email"
      inputmode="email"
      spellcheck={false}
      required
      maxlength={254}
      value={props.value}
      {...describedBy('email', props.errors, false)}
    />
  );
}

/**
 * A submitted value that none of a select's options has (only a crafted post or a stale
 * page sends one), as an extra option, selected: with none selected a browser shows the
 * first option, and one more submit would send it without the visitor having chosen it.
 * The field's error says what to choose instead.
 */
export function KeptOption(props: { value: string; options: readonly string[]; blank: string }) {
  if (props.options.includes(props.value)) return null;
  return (
    <option value={props.value} selected>
      {props.value === '' ? props.blank : props.value}
    </option>
  );
}

/** An hour select; a value that is not an hour stays selected (KeptOption). */
export function HourSelect(props: { name: string; value: string; errors: FieldErrors; hint: boolean }) {
  return (
    <select id={props.name} name={props.name} {...describedBy(props.name, props.errors, props.hint)}>
      <KeptOption value={props.value} options={HOURS.map(String)} blank="Choose an hour" />
      {HOURS.map((hour) => (
        <option value={String(hour)} selected={props.value === String(hour)}>
          {hourLabel(hour)}
        </option>
      ))}
    </select>
  );
}

/**
 * A weekday select (sign-up and preferences); a value that is not a day stays selected
 * (KeptOption). `unchosen` is a first, blank option meaning "no day asked for": the sign-up
 * form's, where that keeps a returning subscriber's day.
 */
export function WeekdaySelect(props: {
  value: string;
  errors: FieldErrors;
  hint: boolean;
  unchosen?: string;
}) {
  const values = WEEKDAYS.map((_, day) => String(day));
  return (
    <select id="send_weekday" name="send_weekday" {...describedBy('send_weekday', props.errors, props.hint)}>
      <KeptOption
        value={props.value}
        options={props.unchosen === undefined ? values : ['', ...values]}
        blank="Choose a day"
      />
      {props.unchosen === undefined ? null : (
        <option value="" selected={props.value === ''}>
          {props.unchosen}
        </option>
      )}
      {WEEKDAYS.map((day, index) => (
        <option value={String(index)} selected={props.value === String(index)}>
          {day}
        </option>
      ))}
    </select>
  );
}

/**
 * The time-zone select. Without JavaScript it shows the submitted (or stored) zone, UTC by
 * default, under its current name (a row stored as Asia/Calcutta shows Asia/Kolkata
 * selected); /assets/forms.js picks the browser's zone on a fresh form only (data
 * attribute), matching an older spelling a browser reports through data-aliases.
 */
export function TimeZoneSelect(props: {
  value: string;
  errors: FieldErrors;
  hint: boolean;
  detectFromBrowser: boolean;
}) {
  const value = currentZoneName(props.value || 'UTC');
  const zones = TIME_ZONES.includes(value) ? TIME_ZONES : [value, ...TIME_ZONES];
  return (
    <select
      id="time_zone"
      name="time_zone"
      autocomplete="off"
      data-detect-time-zone={props.detectFromBrowser ? '' : undefined}
      {...describedBy('time_zone', props.errors, props.hint)}
    >
      {zones.map((zone) => (
        <option
          value={zone}
          selected={zone === value}
          data-aliases={olderZoneNames(zone).join(' ') || undefined}
        >
          {zone.replace(/_/g, ' ')}
        </option>
      ))}
    </select>
  );
}

/**
 * Styles of the form pages, on the layout's palette. Filled buttons take their text colour
 * from the palette too (--accent-fg: white on the light palette's dark fills, near-black on
 * the dark one's light fills); a literal white on the dark palette's light red was 2.3:1.
 */
export const formStyles = `
.visually-hidden { position:absolute !important; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
.error-summary { border: 2px solid var(--error); }
input[aria-invalid=true], textarea[aria-invalid=true], select[aria-invalid=true] { border: 2px solid var(--error); }
.field .hint { margin-bottom: .3rem; }
.error-summary a { color: var(--error); font-weight: 600; }
.paper { border-bottom: 1px solid var(--line); padding: .75rem 0; }
.paper:last-child { border-bottom: 0; }
.paper h3 { font-size: 1.05rem; margin: 0 0 .25rem; line-height: 1.35; }
.paper p { margin: .2rem 0; }
.meta { color: var(--muted); font-size: .9rem; }
.actions { display:flex; flex-wrap: wrap; gap: .75rem; align-items: center; }
.actions form { margin: 0; }
.checkbox { display:flex; gap:.6rem; align-items:flex-start; font-weight:400; }
.checkbox input { width:auto; margin-top:.35rem; }
.danger { border-color: var(--error); }
button.danger-button { background: var(--error); color: var(--accent-fg); }
`;
