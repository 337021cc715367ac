/**
 * Reading import bodies: CSV as spreadsheets and other newsletter tools write it (BOM,
 * CRLF, quoted fields with commas and line breaks, extra columns, header case), JSON in
 * both accepted shapes, and a clear error for bodies that cannot be a subscriber list.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors';
import { parseImportCsv, parseImportJson } from '../../src/subscriptions/import';

describe('parseImportCsv', () => {
  it('reads the columns by header name, whatever their order, case, spacing or extra columns', () => {
    const rows = parseImportCsv(
      '\uFEFF Time Zone ,EMAIL,name,Interests\r\nEurope/Paris,ada@example.com,Ada,"RLHF, cs.CL"\r\n',
    );
    // Extra columns stay on the row: importSubscribers ignores them and names them in its answer.
    expect(rows).toEqual([
      { time_zone: 'Europe/Paris', email: 'ada@example.com', name: 'Ada', interests: 'RLHF, cs.CL' },
    ]);
  });

  it('keeps quoted line breaks inside a field and skips blank lines', () => {
    const rows = parseImportCsv('email,interests\n\na@example.com,"diffusion\nmodels"\n\nb@example.com,\n');
    expect(rows).toHaveLength(2);
    expect(rows[0]!.interests).toBe('diffusion\nmodels');
    expect(rows[1]).toEqual({ email: 'b@example.com', interests: '' });
  });

  it('accepts a file with only an email column', () => {
    expect(parseImportCsv('email\na@example.com\nb@example.com')).toEqual([
      { email: 'a@example.com' },
      { email: 'b@example.com' },
    ]);
  });

  it('undoes the formula guard our export adds', () => {
    const rows = parseImportCsv(`email,interests\na@example.com,"'=SUM(1)"\nb@example.com,'plain`);
    expect(rows[0]!.interests).toBe('=SUM(1)');
    expect(rows[1]!.interests).toBe("'plain");
  });

  it('marks a structurally broken record instead of guessing', () => {
    const rows = parseImportCsv('email,interests\na@example.com,x,unexpected,extra\nb@example.com,y');
    expect(rows[0]!.__parse_error).toBeTypeOf('string');
    expect(rows[1]).toEqual({ email: 'b@example.com', interests: 'y' });
  });

  // An unclosed quote used to be read as one long value holding every later record: the
  // report showed those subscribers nowhere, and papaparse's row for the error (it counts the
  // header and blank lines) pointed past the broken record, so nothing was even flagged.
  it('refuses the whole file at a broken quote instead of swallowing every later row', () => {
    const unclosed = 'email,interests\r\na@example.com,x\r\n\r\nb@example.com,"oops\r\nc@example.com,y\r\n';
    expect(() => parseImportCsv(unclosed)).toThrowError(AppError);
    expect(() => parseImportCsv(unclosed)).toThrowError(/^Line 4 of the CSV has a quoted field/);
    const strayText = 'email,interests\na@example.com,"ab"cd\nb@example.com,y\n';
    expect(() => parseImportCsv(strayText)).toThrowError(/^Line 2 /);
  });

  it('refuses a body without an email column or without content', () => {
    expect(() => parseImportCsv('name,city\nAda,London')).toThrowError(AppError);
    expect(() => parseImportCsv('name,city\nAda,London')).toThrowError(/"email" column/);
    expect(() => parseImportCsv('  \n ')).toThrowError(/empty/);
  });
});

describe('parseImportJson', () => {
  it('accepts a bare array or {"subscribers": [...]}', () => {
    expect(parseImportJson([{ email: 'a@example.com' }])).toEqual([{ email: 'a@example.com' }]);
    expect(parseImportJson({ subscribers: [{ email: 'b@example.com', send_hour: 7 }] })).toEqual([
      { email: 'b@example.com', send_hour: 7 },
    ]);
  });

  it('turns items that are not objects into unreadable rows', () => {
    const rows = parseImportJson(['a@example.com', null, [1], { email: 'ok@example.com' }]);
    expect(rows.slice(0, 3).every((row) => typeof row.__parse_error === 'string')).toBe(true);
    expect(rows[3]).toEqual({ email: 'ok@example.com' });
  });

  // {"subscribers": [...], "dry_run": true} imported everyone: the flag was dropped unseen.
  it('refuses a wrapper object with fields besides "subscribers"', () => {
    const body = { subscribers: [{ email: 'a@example.com' }], dry_run: true };
    expect(() => parseImportJson(body)).toThrowError(AppError);
    expect(() => parseImportJson(body)).toThrowError(/"dry_run"/);
  });

  it('refuses anything that is not a list of subscribers', () => {
    for (const body of [null, 'a@example.com', 42, { people: [] }, { subscribers: 'x' }]) {
      expect(() => parseImportJson(body)).toThrowError(/JSON array of subscribers/);
    }
  });
});
