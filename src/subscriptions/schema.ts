/**
 * The one definition of what a sign-up (and a preferences update) may contain. The same
 * zod schemas validate the landing-page form, JSON API clients and the operators' CSV/JSON
 * imports row by row, so they know nothing about HTTP: honeypot and Turnstile fields are
 * checked by the route. Emails are normalised here (trimmed, domain lower-cased and
 * punycoded) because the normalised form is what the UNIQUE column and the suppression
 * hashes are keyed on; anything that could smuggle a header (CR/LF) is refused outright.
 */
import { domainToUnicode } from 'node:url';
import { z } from 'zod';
import { fieldErrors } from '../errors';
import { isValidTimeZone } from '../lib/time';
import { sameSubjectCategories } from './arxiv-categories';
import {
  MAX_INTEREST_LENGTH,
  MAX_INTERESTS,
  MAX_INTERESTS_TEXT,
  splitInterests,
  unknownCategories,
} from './interests';
import type { BodyFormat } from './request-body';
import { currentZoneName } from './time-zones';

/** RFC 5321: 254 octets for the whole path, 64 for the local part. */
export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_PART = 64;

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TOP_LEVEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

export type EmailProblem =
  | 'missing'
  | 'multiline'
  | 'too_long'
  | 'unicode_local'
  | 'name_and_address'
  | 'invalid';

/** Why an address is refused, or null when normalizeEmail accepts it. */
export function emailProblem(input: unknown): EmailProblem | null {
  if (typeof input !== 'string' || input.trim() === '') return 'missing';
  if (/[\r\n]/.test(input)) return 'multiline';
  if (input.trim().length > MAX_EMAIL_LENGTH) return 'too_long';
  if (normalizeEmail(input) !== null) return null;
  if (addressInBrackets(input) !== null) return 'name_and_address';
  // A real address (RFC 6531) that we do not send to: "invalid" told its owner they mistyped it.
  const email = input.trim();
  const at = email.lastIndexOf('@');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: checking for the ASCII range on purpose
  const local = email.slice(0, Math.max(at, 0)).replace(/[^\x00-\x7f]/gu, 'x');
  if (at > 0 && local !== email.slice(0, at) && normalizeEmail(`${local}${email.slice(at)}`) !== null)
    return 'unicode_local';
  return 'invalid';
}

/**
 * The address of a pasted "Jane Doe <jane@example.com>" (a mail client's To line), for the
 * message asking for just it: which of name and address was meant is not guessed.
 */
function addressInBrackets(input: string): string | null {
  const inside = /<([^<>]*)>\s*$/.exec(input)?.[1];
  return inside === undefined ? null : normalizeEmail(inside);
}

/**
 * Trims, reads an address copied from a mailto: link as the address (":" is never part of
 * one we accept, so nothing else is meant), refuses anything that is not one plain address
 * (CR/LF, spaces, display names, several addresses, a mailto: link's ?subject=),
 * lower-cases the domain (converting an internationalised domain to punycode) and keeps
 * the local part as typed. Returns null when the address is invalid.
 * Idempotent: normalizeEmail(normalizeEmail(x)) === normalizeEmail(x).
 */
export function normalizeEmail(input: string): string | null {
  if (typeof input !== 'string' || /[\r\n]/.test(input)) return null;
  const email = input.trim().replace(/^mailto:/i, '');
  if (email.length === 0 || email.length > MAX_EMAIL_LENGTH) return null;
  // Whitespace, controls and RFC 5322 specials never appear in a plain addr-spec we accept.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters on purpose
  if (/[\s\x00-\x1f\x7f<>()[\]\\,;:"]/.test(email)) return null;
  const at = email.lastIndexOf('@');
  if (at < 1 || at === email.length - 1) return null;
  const local = email.slice(0, at);
  const rawDomain = email.slice(at + 1);
  if (local.length > MAX_LOCAL_PART || !LOCAL_PART.test(local)) return null;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null;
  const domain = asciiDomain(rawDomain);
  if (!domain || domain.length > 253) return null;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) return null;
  if (!TOP_LEVEL.test(labels[labels.length - 1]!)) return null;
  const normalised = `${local}@${domain}`;
  return normalised.length > MAX_EMAIL_LENGTH ? null : normalised;
}

/**
 * A normalised address as its owner reads it: an internationalised domain in its own letters
 * (user@bücher.example), not the punycode it is stored and mailed under, which read as a typo.
 */
export function displayEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1);
  if (at < 0 || !/(^|\.)xn--/.test(domain)) return email;
  return `${email.slice(0, at + 1)}${domainToUnicode(domain) || domain}`;
}

/** Lower-cases the domain; an internationalised one becomes punycode (what mail servers use). */
function asciiDomain(domain: string): string | null {
  if (/[/?#%@]/.test(domain)) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: checking for the ASCII range on purpose
  if (/^[\x00-\x7f]*$/.test(domain)) return domain.toLowerCase();
  try {
    return new URL(`http://${domain}`).hostname.toLowerCase();
  } catch {
    return null;
  }
}

const EMAIL_MESSAGES: Record<EmailProblem, string> = {
  missing: 'Enter your email address.',
  multiline: 'Enter a single email address on one line.',
  too_long: `Enter an email address of at most ${MAX_EMAIL_LENGTH} characters.`,
  unicode_local:
    'We cannot send to addresses with letters like ö or 用 before the @ yet. Please use another address.',
  name_and_address: 'Enter just the email address, without the name around it.',
  invalid: 'Enter a valid email address, like name@example.com.',
};

/** Absent, null and blank form values all mean "not given" (so defaults apply). */
const blankToUndefined = (value: unknown) =>
  value === null || (typeof value === 'string' && value.trim() === '') ? undefined : value;

/** Form values arrive as strings: "8" → 8, but "8.5" or "eight" stay invalid. */
const toInteger = (value: unknown) => {
  const blank = blankToUndefined(value);
  if (typeof blank === 'string' && /^\s*-?\d{1,3}\s*$/.test(blank)) return Number(blank);
  return blank;
};

/**
 * A send hour as people and scripts write it: "7", "07", "7:00", "19:00", "7am", "7 PM",
 * "12am" (midnight), "12pm" (noon). Digests go out on the hour, so "7:30" is refused with
 * its own message (what toHour returns for it) rather than silently rounded.
 */
const CLOCK_TIME = /^(\d{1,2})(?::(\d{2})(?::(\d{2}))?)?\s*(?:([ap])\.?\s*m\.?)?$/i;
export const NOT_ON_THE_HOUR = 'Choose a whole hour, like 7:00: digests are sent on the hour.';
const OFF_THE_HOUR = Symbol('off the hour');

const toHour = (value: unknown) => {
  const text = blankToUndefined(value);
  if (typeof text !== 'string') return text;
  const time = CLOCK_TIME.exec(text.trim());
  if (!time) return toInteger(text);
  const [, hourText, minutes = '00', seconds = '00', meridiem] = time;
  if (Number(minutes) > 59 || Number(seconds) > 59) return text;
  const hour = Number(hourText);
  if (meridiem && (hour < 1 || hour > 12)) return text;
  if (minutes !== '00' || seconds !== '00') return OFF_THE_HOUR;
  if (!meridiem) return hour;
  return (hour % 12) + (meridiem.toLowerCase() === 'p' ? 12 : 0);
};

/**
 * A decimal as people and JavaScript write it: "0.3", ".5", and "5e-7", which is how a
 * number below 1e-6 is written back (our export's CSV of a mix chosen as 0.0000005).
 * Not "0x1", "Infinity" or "NaN".
 */
const toNumber = (value: unknown) => {
  const blank = blankToUndefined(value);
  if (typeof blank === 'string' && /^\s*-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?\s*$/i.test(blank))
    return Number(blank);
  return blank;
};

export const emailField = z.unknown().transform((value, ctx): string => {
  const problem = emailProblem(value);
  if (problem) {
    const inside = problem === 'name_and_address' ? addressInBrackets(value as string) : null;
    ctx.addIssue({
      code: 'custom',
      message: inside
        ? `Enter just the email address, like ${displayEmail(inside)}, without the name around it.`
        : EMAIL_MESSAGES[problem],
    });
    return z.NEVER;
  }
  return normalizeEmail(value as string)!;
});

/** Free text (or, from JSON, an array of entries), capped in total length, count and entry length. */
export const interestsField = z
  .union([z.string(), z.array(z.string())], {
    error: 'Interests must be text: topics, arXiv categories or authors separated by commas.',
  })
  .transform((value, ctx): string => {
    // A list (JSON, or a form with one input per interest) may hold blank entries: left out.
    const text = (Array.isArray(value) ? value.filter((entry) => entry.trim() !== '').join('; ') : value)
      .replace(/\r\n?/g, '\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters on purpose
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, ' ')
      // One spelling per letter: "café" typed with a combining accent is stored (and counted
      // against the caps) as the precomposed one other devices send.
      .normalize('NFC')
      .trim();
    if (text.length > MAX_INTERESTS_TEXT) {
      ctx.addIssue({
        code: 'custom',
        message: `Keep your interests to ${MAX_INTERESTS_TEXT.toLocaleString('en-US')} characters or fewer (you entered ${text.length.toLocaleString('en-US')}).`,
      });
      return z.NEVER;
    }
    const entries = splitInterests(text);
    // Counted as the digest reads them: a repeat ("RLHF, rlhf") is one interest.
    const distinct = new Set(entries.map((entry) => entry.toLowerCase())).size;
    if (distinct > MAX_INTERESTS) {
      ctx.addIssue({
        code: 'custom',
        message: `List at most ${MAX_INTERESTS} interests (you entered ${distinct}).`,
      });
      return z.NEVER;
    }
    const long = entries.find((entry) => entry.length > MAX_INTEREST_LENGTH);
    if (long) {
      ctx.addIssue({
        code: 'custom',
        message: `Each interest can be at most ${MAX_INTEREST_LENGTH} characters; separate topics with commas ("${long.slice(0, 30)}…" is too long).`,
      });
      return z.NEVER;
    }
    const unknown = unknownCategories(text);
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: unknownCategoriesMessage(unknown) });
      return z.NEVER;
    }
    return text;
  });

/** Names the entries arXiv has no category for, with the likely one when the subject exists elsewhere. */
function unknownCategoriesMessage(unknown: string[]): string {
  const quoted = unknown.map((entry) => `"${entry}"`);
  const which =
    quoted.length === 1
      ? `${quoted[0]} is not an arXiv category`
      : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)} are not arXiv categories`;
  const suggestions = unknown.flatMap(sameSubjectCategories);
  const meant = suggestions.length > 0 ? ` Did you mean ${suggestions.join(' or ')}?` : '';
  return `${which}, so no paper would match ${unknown.length === 1 ? 'it' : 'them'}.${meant} Check the spelling (arxiv.org/category_taxonomy lists them all), or write the topic in words.`;
}

/** "Daily", "WEEKLY": API clients and hand-made forms capitalise; the stored value is lower-case. */
export const frequencyField = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
  z.enum(['daily', 'weekly'], { error: 'Choose daily or weekly.' }),
);

export const sendHourField = z
  .number({
    error: (issue) => (issue.input === OFF_THE_HOUR ? NOT_ON_THE_HOUR : 'Choose an hour from 0 to 23.'),
  })
  .int({ error: 'Choose a whole hour from 0 to 23.' })
  .min(0, { error: 'Choose an hour from 0 to 23.' })
  .max(23, { error: 'Choose an hour from 0 to 23.' });

/** A weekly digest's local weekday, 0 = Sunday: the sign-up's and the preferences' one field. */
export const sendWeekdayField = z
  .number({ error: 'Choose a day of the week.' })
  .int({ error: 'Choose a day of the week.' })
  .min(0, { error: 'Choose a day of the week.' })
  .max(6, { error: 'Choose a day of the week.' });

/**
 * A valid IANA zone, stored under its current name ("utc" → "UTC", "Asia/Calcutta" →
 * "Asia/Kolkata": time-zones.ts). Not a UTC offset ("+05:00"): workerd's Intl takes one as
 * a zone, Node 20's (our scripts) throws on it.
 */
export const timeZoneField = z
  .string({ error: 'Choose a time zone, like Europe/Berlin or UTC.' })
  .trim()
  .refine((zone) => !/^[+-]/.test(zone) && isValidTimeZone(zone), {
    error: 'Choose a valid time zone, like Europe/Berlin or UTC.',
  })
  .transform(currentZoneName);

export const subscribeSchema = z.object({
  email: emailField,
  interests: z.preprocess((value) => (value === null ? undefined : value), interestsField.default('')),
  frequency: z.preprocess(blankToUndefined, frequencyField.default('daily')),
  send_hour: z.preprocess(toHour, sendHourField.default(8)),
  time_zone: z.preprocess(blankToUndefined, timeZoneField.default('UTC')),
  // Monday is the column's default. A daily sign-up's day is kept, as the preferences keep
  // it: the form without JavaScript sends it whatever "How often" says, and it is the day a
  // later switch to weekly starts on.
  send_weekday: z.preprocess(toInteger, sendWeekdayField.default(1)),
});

export type SubscribeInput = z.output<typeof subscribeSchema>;

/** The sign-up settings a visitor actually gave (not the defaults filled in for blanks). */
export interface RequestedSettings {
  interests?: string;
  frequency?: SubscribeInput['frequency'];
  sendHour?: number;
  timeZone?: string;
  sendWeekday?: number;
}

/**
 * What a sign-up asks to change for an address that already exists: only the fields given
 * (a blank field means "keep mine"), valued as the schema parsed them.
 */
export function requestedSettings(fields: Record<string, unknown>, input: SubscribeInput): RequestedSettings {
  // Several blank inputs of one field (a form with an input per interest, all left empty) are blank too.
  const given = (name: string) =>
    ([] as unknown[]).concat(fields[name]).some((value) => blankToUndefined(value) !== undefined);
  return {
    ...(given('interests') ? { interests: input.interests } : {}),
    ...(given('frequency') ? { frequency: input.frequency } : {}),
    ...(given('send_hour') ? { sendHour: input.send_hour } : {}),
    ...(given('time_zone') ? { timeZone: input.time_zone } : {}),
    ...(given('send_weekday') ? { sendWeekday: input.send_weekday } : {}),
  };
}

const toBoolean = (value: unknown) => {
  if (typeof value === 'string') {
    const lowered = value.trim().toLowerCase();
    if (['on', 'true', '1', 'yes'].includes(lowered)) return true;
    if (['off', 'false', '0', 'no', ''].includes(lowered)) return false;
  }
  if (value === 1) return true;
  if (value === 0) return false;
  return value === null ? undefined : value;
};

/** A preferences update: every field optional, absent = unchanged. */
export const preferencesSchema = z.object({
  interests: z.preprocess((value) => (value === null ? undefined : value), interestsField.optional()),
  frequency: z.preprocess(blankToUndefined, frequencyField.optional()),
  send_hour: z.preprocess(toHour, sendHourField.optional()),
  time_zone: z.preprocess(blankToUndefined, timeZoneField.optional()),
  send_weekday: z.preprocess(toInteger, sendWeekdayField.optional()),
  digest_size: z.preprocess(
    toInteger,
    z
      .number({ error: 'Choose between 1 and 50 papers.' })
      .int({ error: 'Choose a whole number of papers between 1 and 50.' })
      .min(1, { error: 'Choose between 1 and 50 papers.' })
      .max(50, { error: 'Choose between 1 and 50 papers.' })
      .optional(),
  ),
  trending_mix: z.preprocess(
    toNumber,
    z
      .number({ error: 'Choose a mix between 0 (only relevance) and 1 (only trending).' })
      .min(0, { error: 'Choose a mix between 0 (only relevance) and 1 (only trending).' })
      .max(1, { error: 'Choose a mix between 0 (only relevance) and 1 (only trending).' })
      .optional(),
  ),
  always_send: z.preprocess(toBoolean, z.boolean({ error: 'always_send must be true or false.' }).optional()),
});

export type PreferencesInput = z.output<typeof preferencesSchema>;

/**
 * What the preferences form would refuse in interests already stored: text accepted by an
 * earlier sign-up or import that today's checks refuse (a made-up category like cs.ML).
 * Shown when the page opens, so the owner learns it before a save that changes something
 * else is refused over a field they did not touch.
 */
export function storedInterestsErrors(interests: string): Record<string, string[]> {
  const parsed = interestsField.safeParse(interests);
  return parsed.success ? {} : { interests: parsed.error.issues.map((issue) => issue.message) };
}

/**
 * The schema field a submitted name clearly means: the same letters whatever the case,
 * separators or a plural "s" (`timezone`, `Time-Zone`, `sendHour`, `send-hour`, `interest`).
 * Null for any other name, so the fields our forms and the bot checks add (`website`,
 * `cf-turnstile-response`) never match; nor does a name that is the field itself.
 */
function meantField(name: string, names: readonly string[]): string | null {
  const key = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .replace(/s$/, '');
  if (names.includes(name)) return null;
  return names.find((field) => key(field) === key(name)) ?? null;
}

/**
 * Fields of a JSON body that no schema reads, each with a message naming the real ones: a
 * typo ("interest", "digest_sise") is otherwise dropped by zod and the request "succeeds"
 * without the setting. `allowed` are the fields the route reads itself (bot checks, token).
 */
function unknownFieldErrors(
  fields: Record<string, unknown>,
  schema: z.ZodObject,
  allowed: readonly string[],
): Record<string, string[]> {
  const names = Object.keys(schema.shape);
  const known = new Set([...names, ...allowed]);
  const unknown = Object.keys(fields).filter((key) => !known.has(key));
  // A few are named: a body of thousands of short keys was answered ~8 times its size.
  const named = unknown.slice(0, MAX_UNKNOWN_FIELDS_NAMED);
  const more = unknown.length - named.length;
  // Built with fromEntries, not `errors[key] = …`: JSON.parse makes "__proto__" an own key,
  // and assigning to it set the object's prototype instead, so that field passed unreported.
  return Object.fromEntries(
    named.map((key, i) => {
      const meant = meantField(key, names);
      const message = meant
        ? `Unknown field; did you mean ${meant}? The fields are ${names.join(', ')}.`
        : `Unknown field; the fields are ${names.join(', ')}.`;
      const rest =
        i === named.length - 1 && more > 0
          ? ` (and ${more.toLocaleString('en-US')} more unknown fields)`
          : '';
      return [key, [message + rest]];
    }),
  );
}

const MAX_UNKNOWN_FIELDS_NAMED = 10;

/**
 * A form's misspelled field names (`timezone`, `send-hour`, `interest`) read as the fields
 * they clearly mean. A form is a person, or a hand-made page or script posting the form
 * encoding: refusing a sign-up over `timezone` would make them fill it in again for a name
 * they cannot see or fix, and nothing is guessed (the name means one field only, and the
 * value is validated as that field, its errors shown on it). Whatever is read this way is
 * shown again before it counts: on the confirm page for a sign-up, on the saved page for
 * preferences. Only when the names disagree (`time_zone=UTC&timezone=Europe/Berlin`) is
 * which was meant unknowable; that is refused, naming the right field, the re-shown form
 * keeping its value there and the message quoting the other. A list field (interests)
 * takes both names' values, as it takes a repeated name's. Other unknown names are left
 * alone, as a browser, extension or our own bot checks may add them. JSON clients still
 * get an error (unknownFieldErrors).
 */
function resolveFormAliases(
  fields: Record<string, unknown>,
  names: readonly string[],
): { fields: Record<string, unknown>; errors: Record<string, string[]> } {
  const resolved: Record<string, unknown> = Object.fromEntries(Object.entries(fields));
  const errors: Record<string, string[]> = {};
  const given = (value: unknown) =>
    ([] as unknown[]).concat(value).some((item) => blankToUndefined(item) !== undefined);
  for (const name of Object.keys(fields)) {
    const field = meantField(name, names);
    if (!field) continue;
    const value = resolved[name];
    delete resolved[name];
    if (!given(value)) continue;
    if (!given(resolved[field])) {
      resolved[field] = value;
      continue;
    }
    if (LIST_FIELDS.includes(field)) {
      // A list field takes every value given (one input per interest): both names' values.
      resolved[field] = ([] as unknown[]).concat(resolved[field], value);
    } else if (JSON.stringify(resolved[field]) !== JSON.stringify(value)) {
      const shown = (item: unknown) => `"${([] as unknown[]).concat(item).join('", "')}"`;
      errors[field] = [
        `The form gave ${field} twice: ${shown(resolved[field])}, and ${shown(value)} as "${name}". Choose one and send it as ${field}.`,
      ];
    }
  }
  return { fields: resolved, errors };
}

/** Fields a form may give several times, their values taken together: one input per interest. */
const LIST_FIELDS: readonly string[] = ['interests'];

/**
 * The schema's fields that a form gave more than once but that take one value, each with
 * "Send email once": which of two addresses or hours was meant cannot be guessed, and
 * taking the first or last silently dropped the other. A JSON body cannot repeat a field
 * (a list there is a value the schema judges); fields the route reads itself are its own.
 */
function repeatedFieldErrors(fields: Record<string, unknown>, schema: z.ZodObject): Record<string, string[]> {
  return Object.fromEntries(
    Object.keys(schema.shape)
      .filter((name) => !LIST_FIELDS.includes(name) && Array.isArray(fields[name]))
      .map((name) => [
        name,
        [`Send ${name} once: the form gave it ${(fields[name] as unknown[]).length} times.`],
      ]),
  );
}

/**
 * A submitted body checked against `schema`: its data, or every field's errors, and in
 * both cases the fields as read (a form's misspelled names resolved: resolveFormAliases),
 * which the route keeps for re-showing the form and for telling which settings were given.
 * A JSON client's unknown fields are errors too (unknownFieldErrors); a form comes from
 * our own page, whose extra fields (the honeypot, Turnstile's) the route reads itself, and
 * a form field given more than once is an error unless it takes a list (repeatedFieldErrors).
 */
export function parseSubmission<S extends z.ZodObject>(
  schema: S,
  submitted: Record<string, unknown>,
  format: BodyFormat,
  allowed: readonly string[],
  /** Form fields absent from a form post mean these (an unticked checkbox is not sent). */
  formDefaults: Record<string, string> = {},
):
  | { ok: true; data: z.output<S>; fields: Record<string, unknown> }
  | { ok: false; errors: Record<string, string[]>; fields: Record<string, unknown> } {
  const names = Object.keys(schema.shape);
  const aliases =
    format === 'form' ? resolveFormAliases(submitted, names) : { fields: submitted, errors: {} };
  const fields = format === 'form' ? { ...formDefaults, ...aliases.fields } : aliases.fields;
  const parsed = schema.safeParse(fields);
  const unknown =
    format === 'json' ? unknownFieldErrors(fields, schema, allowed) : repeatedFieldErrors(fields, schema);
  const problems = { ...unknown, ...aliases.errors };
  if (parsed.success && Object.keys(problems).length === 0) return { ok: true, data: parsed.data, fields };
  return { ok: false, errors: { ...(parsed.success ? {} : fieldErrors(parsed.error)), ...problems }, fields };
}

export { fieldErrors };
