/**
 * Importing people who already consented elsewhere (a previous newsletter tool, a
 * conference sign-up sheet). Each row is validated exactly like the sign-up form
 * (subscribeSchema), then imported as `active` with consent method "import". Nobody is
 * imported twice (already in the database, or repeated within the file, in any letter
 * case: see identity.ts), and an address that was erased or suppressed is never brought
 * back: it is skipped, with the reason.
 * A `status` column (our export has one) is honoured: a person the file lists as pending,
 * unsubscribed or suppressed is skipped, so re-importing a full export into a fresh
 * instance does not make everyone who left, bounced or never confirmed active again.
 * Columns the importer does not read are ignored, but named in the answer, so a header
 * typo ("timezone") does not quietly give everyone the defaults.
 * Rows are numbered 1-based over data records (a CSV header is not a row), so the report
 * reads "row 3: invalid email" for the third person in the file.
 */
import Papa from 'papaparse';
import { z } from 'zod';
import { EXPORT_COLUMNS } from '../db/admin';
import { findExistingSubscriberStatuses, insertImportedSubscribers } from '../db/imports';
import { listSuppressedHashes } from '../db/suppressions';
import { nextSendAt } from '../delivery/schedule';
import type { AppContext } from '../env';
import { AppError } from '../errors';
import { logEvent } from '../lib/log';
import { addressLookupHashes, emailKey } from './identity';
import { categoriesOf } from './interests';
import { fieldErrors, preferencesSchema, subscribeSchema, timeZoneField } from './schema';

/** Hard caps: above them the request is refused whole (413) rather than half-processed. */
export const MAX_IMPORT_ROWS = 20_000;
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

export const IMPORT_FIELDS = ['email', 'interests', 'frequency', 'send_hour', 'time_zone'] as const;
/**
 * Settings our export writes that an import carries over when a row has them (blank or
 * absent: the column's default), so moving a list between instances keeps each weekly
 * subscriber's day and each digest's size, mix and always-send choice.
 */
const CARRIED_SETTINGS = ['send_weekday', 'digest_size', 'trending_mix', 'always_send'] as const;
/** Columns read besides the settings: `status` decides whether a row may become active at all. */
const READ_FIELDS: readonly string[] = [...IMPORT_FIELDS, ...CARRIED_SETTINGS, 'status'];
/** Columns the answer does not list as ignored: ours, and the rest of what our export writes. */
const EXPECTED_COLUMNS = new Set<string>([...READ_FIELDS, ...EXPORT_COLUMNS]);

/** Statuses a file may give a row that are skipped, with the reason (blank or "active" is imported). */
const FILE_STATUS_REASONS: Record<string, string> = {
  pending: 'pending in the file (never confirmed): not imported as active',
  unsubscribed: 'unsubscribed in the file: not re-subscribed by an import',
  suppressed: 'suppressed in the file (bounced or complained): never mailed again',
};
const UNKNOWN_STATUS =
  'Give active (or leave it blank) to import; pending, unsubscribed and suppressed rows are skipped.';

export type ImportRowStatus = 'imported' | 'skipped' | 'invalid';

export interface ImportRowResult {
  /** 1-based index of the data record (header excluded). */
  row: number;
  email?: string;
  status: ImportRowStatus;
  reason: string;
}

export interface ImportReport {
  imported: number;
  skipped: number;
  invalid: number;
  rows: ImportRowResult[];
  /** Columns (CSV) or fields (JSON) the importer did not read, in the order first seen. */
  ignored_columns: string[];
}

export type RawImportRow = Record<string, unknown>;

/** "Time Zone", "send-hour" and " Email " name the columns time_zone, send_hour and email. */
const columnName = (header: string): string =>
  header
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

/**
 * Parses a CSV body with a header row naming at least `email`; other known columns are
 * optional and unknown ones are kept for the report (importSubscribers ignores and names
 * them), so an export can be re-imported as is.
 */
export function parseImportCsv(text: string): RawImportRow[] {
  // One line break throughout: papaparse takes it from the start of the file, so rows that
  // another tool appended with CRLF under an LF header kept a "\r" in their last field.
  const body = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (body.trim() === '') throw new AppError(400, 'empty_import', 'The CSV body is empty.');
  const parsed = Papa.parse<Record<string, string>>(body, {
    header: true,
    skipEmptyLines: 'greedy',
    newline: '\n',
    transformHeader: columnName,
  });
  const fields = parsed.meta.fields ?? [];
  if (!fields.includes('email')) {
    throw new AppError(
      400,
      'invalid_csv',
      `The CSV needs a header row with an "email" column (columns: ${IMPORT_FIELDS.join(',')}); found: ${
        fields.slice(0, 10).join(',') || 'nothing'
      }.`,
    );
  }
  // A quote that is opened and never properly closed swallows the rest of the file into one
  // field, so the records after it cannot be told apart (and papaparse's row number for it
  // counts the header and blank lines). Importing what came before would silently drop every
  // later subscriber: the file is refused whole, pointing at the line to fix.
  const quoteError = parsed.errors.find((error) => error.type === 'Quotes');
  if (quoteError) {
    const line = body.slice(0, quoteError.index ?? 0).split('\n').length;
    throw new AppError(
      400,
      'invalid_csv',
      `Line ${line} of the CSV has a quoted field that is not closed properly (a field starting with " must end with ", and a quote inside it is written ""). Everything after it would be read as one value, so nothing was imported: fix the quotes and send the file again.`,
    );
  }
  // Papaparse reports other structural problems per record; a broken record becomes an invalid row.
  const broken = new Map<number, string>();
  for (const error of parsed.errors) {
    if (error.code === 'UndetectableDelimiter' || error.code === 'TooFewFields') continue;
    if (typeof error.row === 'number' && !broken.has(error.row)) broken.set(error.row, error.message);
  }
  return parsed.data.map((record, index) => {
    const problem = broken.get(index);
    const row: RawImportRow = Object.fromEntries(
      Object.entries(record)
        .filter(([field]) => field !== '__parsed_extra')
        .map(([field, value]) => [
          field,
          typeof value === 'string' && READ_FIELDS.includes(field) ? unescapeFormula(value) : value,
        ]),
    );
    if (problem) row.__parse_error = problem;
    return row;
  });
}

/** Our export prefixes spreadsheet-formula characters with a quote; importing undoes it. */
function unescapeFormula(value: string): string {
  return /^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value;
}

/** Accepts a bare JSON array of row objects, or `{ "subscribers": [...] }`. */
export function parseImportJson(value: unknown): RawImportRow[] {
  const list =
    Array.isArray(value) || value === null || typeof value !== 'object'
      ? value
      : (value as { subscribers?: unknown }).subscribers;
  // Nothing else is read from the wrapper: a field beside the list (a "dry_run" flag the
  // caller hoped for) would otherwise be dropped while every row is imported for real.
  const extra = list === value ? [] : Object.keys(value as object).filter((key) => key !== 'subscribers');
  if (Array.isArray(list) && extra.length > 0) {
    throw new AppError(
      400,
      'invalid_import',
      `The JSON object may hold only "subscribers" (found ${extra
        .slice(0, 5)
        .map((key) => JSON.stringify(key))
        .join(', ')}); nothing was imported.`,
    );
  }
  if (!Array.isArray(list)) {
    throw new AppError(
      400,
      'invalid_import',
      'Send a JSON array of subscribers (or {"subscribers": [...]}), each like {"email": "...", "interests": "...", "frequency": "daily", "send_hour": 8, "time_zone": "UTC"}.',
    );
  }
  return list.map((item) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? (item as RawImportRow)
      : { __parse_error: 'each row must be a JSON object' },
  );
}

/**
 * The form's schema with one change: each distinct time zone is validated once per import.
 * Checking a zone builds an Intl.DateTimeFormat (~0.3 ms), which would otherwise dominate
 * a 10,000-row import's CPU time; the accepted values and messages are the form's own.
 */
function importRowSchema() {
  const zones = new Map<string, ReturnType<typeof timeZoneField.safeParse>>();
  const cachedTimeZone = z.unknown().transform((value, ctx) => {
    const key = typeof value === 'string' ? value : JSON.stringify(value);
    let result = zones.get(key);
    if (!result) {
      result = timeZoneField.safeParse(value);
      zones.set(key, result);
    }
    if (result.success) return result.data;
    for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
    return z.NEVER;
  });
  return subscribeSchema.extend({
    time_zone: z.preprocess(
      (value) => (value === null || (typeof value === 'string' && value.trim() === '') ? undefined : value),
      cachedTimeZone.optional().transform((zone) => zone ?? 'UTC'),
    ),
    // The preferences page's own checks and messages.
    ...preferencesSchema.pick({ digest_size: true, trending_mix: true, always_send: true }).shape,
  });
}

type ImportInput = z.output<ReturnType<typeof importRowSchema>>;

const displayEmail = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 254) : undefined;

/** The `status` a row gives, lower-cased: "active" when blank or absent, null when unknown. */
function statusInFile(value: unknown): string | null {
  if (value === undefined || value === null) return 'active';
  if (typeof value !== 'string') return null;
  const status = value.trim().toLowerCase();
  if (status === '' || status === 'active') return 'active';
  return Object.hasOwn(FILE_STATUS_REASONS, status) ? status : null;
}

/** Every column or field of the rows that the importer does not read, first seen first. */
function ignoredColumns(rows: RawImportRow[]): string[] {
  const ignored = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (key !== '__parse_error' && !EXPECTED_COLUMNS.has(key)) ignored.add(key);
    }
  }
  return [...ignored];
}

const EXISTING_REASONS: Record<string, string> = {
  active: 'already subscribed',
  pending: 'already signed up, waiting for confirmation',
  unsubscribed: 'unsubscribed earlier: not re-subscribed by an import',
  suppressed: 'suppressed (bounced or complained): never mailed again',
};

/**
 * When the planner should first look at an imported subscriber: their send instant today
 * (already past = due at the next run, like a sign-up), computed once per distinct
 * schedule, so a big import is not all examined by the next run.
 */
function firstSendInstants(now: Date): (data: ImportInput) => string {
  const memo = new Map<string, string>();
  return (data) => {
    const key = `${data.time_zone}|${data.frequency}|${data.send_hour}|${data.send_weekday}`;
    let instant = memo.get(key);
    if (instant === undefined) {
      const schedule = {
        timeZone: data.time_zone,
        frequency: data.frequency,
        sendHour: data.send_hour,
        sendWeekday: data.send_weekday,
      };
      instant = nextSendAt(schedule, now, false).toISOString();
      memo.set(key, instant);
    }
    return instant;
  };
}

/** Validates, de-duplicates and imports the rows; returns the per-row report. */
export async function importSubscribers(
  app: Pick<AppContext, 'db' | 'config'>,
  rawRows: RawImportRow[],
  now: Date = new Date(),
): Promise<ImportReport> {
  const { db } = app;
  const started = Date.now();
  if (rawRows.length === 0) throw new AppError(400, 'empty_import', 'There are no rows to import.');
  if (rawRows.length > MAX_IMPORT_ROWS) {
    throw new AppError(
      413,
      'import_too_large',
      `At most ${MAX_IMPORT_ROWS} rows per request (got ${rawRows.length}); split the file.`,
    );
  }

  const results: ImportRowResult[] = [];
  const candidates: { row: number; email: string; data: ImportInput }[] = [];
  const seenInFile = new Map<string, number>();
  const rowSchema = importRowSchema();
  rawRows.forEach((raw, index) => {
    const row = index + 1;
    const email = displayEmail(raw.email);
    if (typeof raw.__parse_error === 'string') {
      results.push({ row, email, status: 'invalid', reason: `unreadable row: ${raw.__parse_error}` });
      return;
    }
    const parsed = rowSchema.safeParse({
      email: raw.email,
      interests: raw.interests,
      frequency: raw.frequency,
      send_hour: raw.send_hour,
      time_zone: raw.time_zone,
      ...Object.fromEntries(CARRIED_SETTINGS.map((name) => [name, raw[name]])),
    });
    const fileStatus = statusInFile(raw.status);
    if (!parsed.success || fileStatus === null) {
      const errors = parsed.success ? {} : fieldErrors(parsed.error);
      if (fileStatus === null) errors.status = [UNKNOWN_STATUS];
      const reason = Object.entries(errors)
        .map(([field, messages]) => `${field}: ${messages.join(' ')}`)
        .join('; ');
      results.push({ row, email, status: 'invalid', reason });
      return;
    }
    const normalised = parsed.data.email;
    const key = emailKey(normalised);
    const first = seenInFile.get(key);
    if (first !== undefined) {
      results.push({ row, email: normalised, status: 'skipped', reason: `duplicate of row ${first}` });
      return;
    }
    seenInFile.set(key, row);
    const leftReason = FILE_STATUS_REASONS[fileStatus];
    if (leftReason) {
      results.push({ row, email: normalised, status: 'skipped', reason: leftReason });
      return;
    }
    candidates.push({ row, email: normalised, data: parsed.data });
  });

  // A suppression recorded under another spelling of the same mailbox still counts.
  const hashes = await Promise.all(
    candidates.map((candidate) => addressLookupHashes(app.config.EMAIL_HASH_SECRET, candidate.email)),
  );
  const [suppressed, existing] = await Promise.all([
    listSuppressedHashes(db, hashes.flat()),
    findExistingSubscriberStatuses(
      db,
      candidates.map((candidate) => candidate.email),
    ),
  ]);

  const toInsert: (typeof candidates)[number][] = [];
  candidates.forEach((candidate, index) => {
    const status = existing.get(emailKey(candidate.email))?.status;
    if (hashes[index]!.some((hash) => suppressed.has(hash))) {
      results.push({
        row: candidate.row,
        email: candidate.email,
        status: 'skipped',
        reason: 'suppressed or erased at the owner’s request: never re-imported',
      });
    } else if (status) {
      results.push({
        row: candidate.row,
        email: candidate.email,
        status: 'skipped',
        reason: EXISTING_REASONS[status] ?? `already exists (${status})`,
      });
    } else {
      toInsert.push(candidate);
    }
  });

  const firstSend = firstSendInstants(now);
  const inserted = await insertImportedSubscribers(
    db,
    toInsert.map((candidate) => ({
      id: crypto.randomUUID(),
      email: candidate.email,
      interests: candidate.data.interests,
      categories: categoriesOf(candidate.data.interests),
      frequency: candidate.data.frequency,
      send_hour: candidate.data.send_hour,
      time_zone: candidate.data.time_zone,
      send_weekday: candidate.data.send_weekday,
      digest_size: candidate.data.digest_size ?? null,
      trending_mix: candidate.data.trending_mix ?? null,
      always_send: candidate.data.always_send === undefined ? null : candidate.data.always_send ? 1 : 0,
      next_send_at: firstSend(candidate.data),
    })),
    now,
  );
  for (const candidate of toInsert) {
    results.push(
      inserted.has(candidate.email)
        ? { row: candidate.row, email: candidate.email, status: 'imported', reason: 'imported as active' }
        : {
            row: candidate.row,
            email: candidate.email,
            status: 'skipped',
            reason: 'signed up while the import ran',
          },
    );
  }

  results.sort((a, b) => a.row - b.row);
  const report: ImportReport = {
    imported: results.filter((r) => r.status === 'imported').length,
    skipped: results.filter((r) => r.status === 'skipped').length,
    invalid: results.filter((r) => r.status === 'invalid').length,
    rows: results,
    ignored_columns: ignoredColumns(rawRows),
  };
  logEvent('subscribers_import', {
    rows: rawRows.length,
    imported: report.imported,
    skipped: report.skipped,
    invalid: report.invalid,
    ignored_columns: report.ignored_columns.slice(0, 20),
    duration_ms: Date.now() - started,
  });
  return report;
}
