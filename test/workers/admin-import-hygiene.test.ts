/**
 * What an operator moving a list between tools runs into, through the real Worker and D1:
 * re-importing a full export (whose `status` column says who left), files whose line
 * endings change part-way, headers spelled "Time Zone", and columns or fields the importer
 * does not read, which the answer names instead of dropping them unseen.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { ImportReport } from '../../src/subscriptions/import';
import { adminRequest } from '../helpers/app';

type Report = ImportReport & { ignored_columns?: string[] };

async function importBody(body: string, contentType: string): Promise<Response> {
  return adminRequest('/admin/subscribers/import', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
}

async function stored(email: string) {
  return env.DB.prepare('SELECT status, time_zone, send_hour FROM subscribers WHERE lower(email) = lower(?)')
    .bind(email)
    .first<{ status: string; time_zone: string; send_hour: number }>();
}

describe('POST /admin/subscribers/import hygiene', () => {
  // A full export re-imported into a fresh instance (the migration the export exists for)
  // made every unsubscribed, suppressed and never-confirmed person an active subscriber.
  it('does not make people an export lists as unsubscribed, suppressed or pending active', async () => {
    const at = '2026-01-01T00:00:00Z';
    for (const [id, email, status] of [
      ['h-active', 'still.here@example.com', 'active'],
      ['h-unsub', 'left@example.com', 'unsubscribed'],
      ['h-supp', 'bounced.away@example.com', 'suppressed'],
      ['h-pend', 'never.confirmed@example.com', 'pending'],
    ]) {
      await env.DB.prepare(
        'INSERT INTO subscribers (id, email, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      )
        .bind(id, email, status, at, at)
        .run();
    }
    const exported = await (await adminRequest('/admin/subscribers/export')).text();
    await env.DB.prepare(`DELETE FROM subscribers WHERE id LIKE 'h-%'`).run();

    const response = await importBody(exported, 'text/csv');
    expect(response.status).toBe(200);
    const report = await response.json<Report>();
    const byEmail = new Map(report.rows.map((row) => [row.email, row]));
    expect(byEmail.get('still.here@example.com')).toMatchObject({ status: 'imported' });
    expect(byEmail.get('left@example.com')).toMatchObject({ status: 'skipped' });
    expect(byEmail.get('left@example.com')!.reason).toMatch(/unsubscribed/);
    expect(byEmail.get('bounced.away@example.com')).toMatchObject({ status: 'skipped' });
    expect(byEmail.get('bounced.away@example.com')!.reason).toMatch(/suppressed/);
    expect(byEmail.get('never.confirmed@example.com')).toMatchObject({ status: 'skipped' });
    expect(byEmail.get('never.confirmed@example.com')!.reason).toMatch(/pending/);
    expect(await stored('still.here@example.com')).toMatchObject({ status: 'active' });
    for (const gone of ['left@example.com', 'bounced.away@example.com', 'never.confirmed@example.com']) {
      expect(await stored(gone)).toBeNull();
    }

    // JSON rows say the same thing; a status the importer does not know is not guessed at.
    const json = await importBody(
      JSON.stringify([
        { email: 'json.left@example.com', status: 'Unsubscribed' },
        { email: 'json.odd@example.com', status: 'cleaned' },
        { email: 'json.ok@example.com', status: ' active ' },
        { email: 'json.left@example.com' },
      ]),
      'application/json',
    );
    const jsonReport = await json.json<Report>();
    expect(jsonReport).toMatchObject({ imported: 1, skipped: 2, invalid: 1 });
    expect(jsonReport.rows[1]).toMatchObject({ status: 'invalid' });
    expect(jsonReport.rows[1]!.reason).toMatch(/^status: /);
    expect(jsonReport.rows[3]).toMatchObject({ status: 'skipped', reason: 'duplicate of row 1' });
    expect(await stored('json.left@example.com')).toBeNull();
  });

  // Papaparse takes the line break from the start of the file, so rows appended by another
  // tool kept a trailing \r in their last field: an email there was "not on one line".
  it('reads a file whose line endings change part-way', async () => {
    const csv = 'interests,email\nrlhf,mixed.one@example.com\r\ncs.CL,mixed.two@example.com\r\n\r\n';
    const report = await (await importBody(csv, 'text/csv')).json<Report>();
    expect(report).toMatchObject({ imported: 2, invalid: 0 });
    expect(await stored('mixed.two@example.com')).toMatchObject({ status: 'active' });
  });

  // "Time Zone" was not "time_zone", so the column was dropped and everyone got UTC, 08:00.
  it('reads headers written with spaces or hyphens and names the columns it ignores', async () => {
    const csv =
      'E-mail Address,Email,Time Zone,send-hour,Nickname\nx,spaced@example.com,Europe/Berlin,6,Spacey\n';
    const report = await (await importBody(csv, 'text/csv')).json<Report>();
    expect(report).toMatchObject({ imported: 1, invalid: 0 });
    expect(await stored('spaced@example.com')).toMatchObject({ time_zone: 'Europe/Berlin', send_hour: 6 });
    expect(report.ignored_columns).toEqual(['e_mail_address', 'nickname']);

    const json = await importBody(
      JSON.stringify([
        { email: 'typo.zone@example.com', timezone: 'Europe/Berlin' },
        { email: 'typo.hour@example.com', sendHour: 6, status: 'active' },
      ]),
      'application/json',
    );
    const jsonReport = await json.json<Report>();
    expect(jsonReport.imported).toBe(2);
    expect(jsonReport.ignored_columns).toEqual(['timezone', 'sendHour']);

    const clean = await importBody('email,interests\nclean@example.com,x\n', 'text/csv');
    expect((await clean.json<Report>()).ignored_columns).toEqual([]);
  });

  // The cap was checked on the string's length: a body streamed without Content-Length was
  // read whole, however big, and 10 MB of "é" or emoji passed as 5 or 2.5 million characters.
  it('holds a streamed body to the size limit in bytes and imports none of it', async () => {
    const body = `email,interests\nwide@example.com,"${'é'.repeat(5_500_000)}"\n`;
    const response = await adminRequest('/admin/subscribers/import', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: new Blob([body]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe('import_too_large');
    expect(await stored('wide@example.com')).toBeNull();
  });
});
