/**
 * Reads a POST body the way the subscriber routes accept it: HTML forms send
 * application/x-www-form-urlencoded or multipart/form-data, API clients send JSON, and the
 * answer format follows. Anything else is 415, an empty body 400 and an oversized one 413,
 * before any validation runs, so nothing is written for a request we cannot read. An
 * oversized body is never read past the cap, whether or not it declares its length. No
 * value is silently dropped: a form field given more than once keeps all its values (the
 * schema says which may repeat), and a JSON object naming a field twice is refused.
 */

import { AppError } from '../errors';
import { readCapped } from '../lib/capped-body';
import { HONEYPOT_FIELD } from './guards';

export type BodyFormat = 'form' | 'json';

export interface Submission {
  format: BodyFormat;
  /**
   * The value of each field; a form field given more than once is the list of its values,
   * in order (parseSubmission says which fields may repeat). File parts become null
   * (never valid in our forms).
   */
  fields: Record<string, unknown>;
}

export const MAX_BODY_BYTES = 64 * 1024;

export function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

export function formatOf(request: Request): BodyFormat | null {
  const type = mediaType(request);
  if (type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type)) return 'json';
  if (type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data') return 'form';
  return null;
}

export async function readSubmission(request: Request): Promise<Submission> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  // Counted as it streams: a client cannot make these public, unauthenticated routes
  // buffer megabytes (up to the platform's 100 MB) before the 413.
  const bytes = await readCapped(request.body, MAX_BODY_BYTES);
  if (bytes === null) throw tooLarge();
  const format = formatOf(request);
  if (format === null && (bytes.byteLength > 0 || mediaType(request) !== '')) {
    throw new AppError(
      415,
      'unsupported_media_type',
      'Send the form as application/x-www-form-urlencoded or multipart/form-data, or JSON as application/json.',
    );
  }
  if (bytes.byteLength === 0 || format === null) {
    throw new AppError(400, 'empty_body', 'The request body is empty: nothing was submitted.');
  }
  if (format === 'json') return { format, fields: parseJson(bytes) };
  if (mediaType(request) === 'multipart/form-data') {
    let data: FormData;
    try {
      data = await new Request('https://body.invalid/', {
        method: 'POST',
        headers: { 'content-type': request.headers.get('content-type')! },
        body: bytes,
      }).formData();
    } catch {
      throw new AppError(400, 'malformed_body', 'The form data could not be read.');
    }
    return {
      format,
      fields: collectFields(
        [...data.entries()].map(([name, value]) => [name, typeof value === 'string' ? value : null]),
      ),
    };
  }
  return { format, fields: collectFields(new URLSearchParams(new TextDecoder().decode(bytes))) };
}

/**
 * A form's fields, keeping every value of a repeated one: a form with one input per
 * interest sends `interests` several times, and keeping only one of the values of any field
 * silently dropped what the others said. Built with fromEntries, so a field named
 * "__proto__" is an own key like any other.
 */
function collectFields(entries: Iterable<[string, string | null]>): Record<string, unknown> {
  return Object.fromEntries(
    [...valuesByName(entries)].map(([name, list]) => [name, list.length === 1 ? list[0] : list]),
  );
}

/** Every value given for each name, in order: the one grouping both body formats use. */
function valuesByName<V>(entries: Iterable<[string, V]>): Map<string, V[]> {
  const values = new Map<string, V[]>();
  for (const [name, value] of entries) {
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  return values;
}

function parseJson(bytes: Uint8Array): Record<string, unknown> {
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === '')
    throw new AppError(400, 'empty_body', 'The request body is empty: nothing was submitted.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError(400, 'invalid_json', 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError(
      400,
      'invalid_json',
      'The request body must be a JSON object with the sign-up fields.',
    );
  }
  const fields = value as Record<string, unknown>;
  return { ...fields, ...repeatedJsonFields(text) };
}

/**
 * A JSON object that names a field twice (`{"email": "a@…", "email": "b@…"}`): JSON.parse
 * keeps the last value and drops the other without a word, so, as for a form, which was
 * meant is not guessed and the request is refused, naming the fields. The honeypot is the
 * exception, as on forms: given twice it becomes the list of its values, so a bot is
 * caught if any of them is filled, and no error points at the trap.
 */
function repeatedJsonFields(text: string): Record<string, unknown> {
  const repeated = [...valuesByName(topLevelEntries(text))].filter(([, list]) => list.length > 1);
  const errors = repeated
    .filter(([name]) => name !== HONEYPOT_FIELD)
    .map(([name, list]) => [name, [`Send ${name} once: the JSON object gives it ${list.length} times.`]]);
  if (errors.length > 0) {
    throw new AppError(
      400,
      'validation_failed',
      'Some fields are not valid; see `fields`.',
      Object.fromEntries(errors),
    );
  }
  return Object.fromEntries(repeated);
}

/**
 * The top-level fields of a JSON object text, repeats included, each with its parsed value.
 * Only called on text JSON.parse accepted as an object, so the structure is known good.
 */
function topLevelEntries(text: string): [string, unknown][] {
  const entries: [string, unknown][] = [];
  let depth = 0;
  let name: string | null = null;
  let valueStart = -1;
  const endValue = (end: number) => {
    if (name !== null && valueStart >= 0) entries.push([name, JSON.parse(text.slice(valueStart, end))]);
    name = null;
    valueStart = -1;
  };
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '"') {
      let end = index + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (depth === 1 && name === null) name = JSON.parse(text.slice(index, end + 1)) as string;
      index = end;
    } else if (char === ':' && depth === 1 && valueStart < 0) valueStart = index + 1;
    else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') {
      if (depth === 1) endValue(index);
      depth--;
    } else if (char === ',' && depth === 1) endValue(index);
  }
  return entries;
}

const tooLarge = () =>
  new AppError(413, 'body_too_large', `The request body is larger than ${MAX_BODY_BYTES / 1024} kB.`);
