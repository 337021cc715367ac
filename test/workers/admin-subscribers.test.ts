/**
 * The operators' import and export through the real Worker with real D1: CSV and JSON
 * imports validated like the sign-up form, duplicates and suppressed/erased addresses
 * skipped with reasons, 10,000 rows in one request, clear 4xx answers for bad bodies, and
 * a CSV export without secrets that can be re-imported.
 */
import { env } from 'cloudflare:test';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { listSubscribersForExport } from '../../src/db/admin';
import type { ImportReport } from '../../src/subscriptions/import';
import { insertSubscribers, makeSubscriber } from '../factories';
import { adminRequest, request } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';
import { suppress, suppressLegacy } from '../helpers/suppressions';

function importCsv(csv: string, contentType = 'text/csv') {
  return adminRequest('/admin/subscribers/import', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: csv,
  });
}

function importJson(body: unknown) {
  return adminRequest('/admin/subscribers/import', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function exportRows(query = ''): Promise<Record<string, string>[]> {
  const response = await adminRequest(`/admin/subscribers/export${query}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/csv');
  return Papa.parse<Record<string, string>>(await response.text(), { header: true, skipEmptyLines: true })
    .data;
}

async function subscriberCount(): Promise<number> {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM subscribers').first<{ n: number }>();
  return row!.n;
}

describe('POST /admin/subscribers/import', () => {
  it('imports valid CSV rows as active with consent method "import" and reports every row', async () => {
    await suppress('erased@example.org', 'erased');
    await suppress('bounced@example.org', 'bounced');
    const csv = [
      'email,interests,frequency,send_hour,time_zone',
      'Ada@Example.COM,"diffusion models; cs.CV",daily,7,Europe/Berlin',
      'grace@example.com,,weekly,,',
      'not-an-email,llm,daily,8,UTC',
      'ada@example.com,again,daily,8,UTC',
      'ERASED@example.org,,daily,8,UTC',
      'bounced@EXAMPLE.org,,daily,8,UTC',
      'tz@example.com,,daily,25,Mars/Olympus',
      'freq@example.com,,hourly,8,UTC',
    ].join('\n');
    const response = await importCsv(csv);
    expect(response.status).toBe(200);
    const report = await response.json<ImportReport>();
    expect(report).toMatchObject({ imported: 2, skipped: 3, invalid: 3 });
    const byRow = new Map(report.rows.map((row) => [row.row, row]));
    expect(byRow.get(1)).toMatchObject({ status: 'imported', email: 'Ada@example.com' });
    expect(byRow.get(2)).toMatchObject({ status: 'imported', email: 'grace@example.com' });
    expect(byRow.get(3)).toMatchObject({ status: 'invalid', email: 'not-an-email' });
    expect(byRow.get(3)!.reason).toMatch(/^email: /);
    expect(byRow.get(4)).toMatchObject({ status: 'skipped', reason: 'duplicate of row 1' });
    expect(byRow.get(5)!.status).toBe('skipped');
    expect(byRow.get(5)!.reason).toMatch(/erased/);
    expect(byRow.get(6)!.status).toBe('skipped');
    expect(byRow.get(7)).toMatchObject({ status: 'invalid' });
    expect(byRow.get(7)!.reason).toContain('send_hour');
    expect(byRow.get(7)!.reason).toContain('time_zone');
    expect(byRow.get(8)!.reason).toContain('frequency');

    const ada = await env.DB.prepare('SELECT * FROM subscribers WHERE email = ?')
      .bind('Ada@example.com')
      .first<Record<string, unknown>>();
    expect(ada).toMatchObject({
      status: 'active',
      consent_method: 'import',
      interests: 'diffusion models; cs.CV',
      frequency: 'daily',
      send_hour: 7,
      time_zone: 'Europe/Berlin',
    });
    expect(ada!.consent_at).toBeTruthy();
    expect(ada!.confirmed_at).toBe(ada!.consent_at);
    const grace = await env.DB.prepare('SELECT * FROM subscribers WHERE email = ?')
      .bind('grace@example.com')
      .first<Record<string, unknown>>();
    // Blank optional columns take the form's defaults.
    expect(grace).toMatchObject({ frequency: 'weekly', send_hour: 8, time_zone: 'UTC', interests: '' });
  });

  // The import validates rows with the sign-up schema, so it reads times as the form does.
  it('reads the frequency in any case and the send hour as a clock time, refusing one off the hour', async () => {
    const csv = [
      'email,frequency,send_hour',
      'clock1@example.com,Weekly,7pm',
      'clock2@example.com,DAILY,07:00',
      'clock3@example.com,daily,12am',
      'clock4@example.com,daily,7:30',
    ].join('\n');
    const report = await (await importCsv(csv)).json<ImportReport>();
    expect(report).toMatchObject({ imported: 3, invalid: 1 });
    expect(report.rows[3]!.reason).toBe(
      'send_hour: Choose a whole hour, like 7:00: digests are sent on the hour.',
    );
    const rows = await env.DB.prepare(
      `SELECT email, frequency, send_hour FROM subscribers WHERE email LIKE 'clock%' ORDER BY email`,
    ).all();
    expect(rows.results).toEqual([
      { email: 'clock1@example.com', frequency: 'weekly', send_hour: 19 },
      { email: 'clock2@example.com', frequency: 'daily', send_hour: 7 },
      { email: 'clock3@example.com', frequency: 'daily', send_hour: 0 },
    ]);
  });

  it('carries over the settings our export writes: weekly day, digest size, mix and always-send', async () => {
    const csv = [
      'email,frequency,send_weekday,digest_size,trending_mix,always_send',
      'kept1@example.com,weekly,5,25,0.6,true',
      'kept2@example.com,weekly,,,,',
      'kept3@example.com,weekly,8,0,2,maybe',
    ].join('\n');
    const report = await (await importCsv(csv)).json<ImportReport>();
    expect(report).toMatchObject({ imported: 2, invalid: 1 });
    expect(report.rows[2]!.reason).toContain('send_weekday: Choose a day of the week.');
    expect(report.rows[2]!.reason).toContain('digest_size: Choose between 1 and 50 papers.');
    expect(report.rows[2]!.reason).toContain('trending_mix: Choose a mix between 0');
    expect(report.rows[2]!.reason).toContain('always_send');
    const rows = await env.DB.prepare(
      `SELECT email, send_weekday, digest_size, trending_mix, always_send FROM subscribers
       WHERE email LIKE 'kept%' ORDER BY email`,
    ).all();
    expect(rows.results).toEqual([
      { email: 'kept1@example.com', send_weekday: 5, digest_size: 25, trending_mix: 0.6, always_send: 1 },
      // Blank: the column defaults, as for a sign-up.
      { email: 'kept2@example.com', send_weekday: 1, digest_size: 10, trending_mix: 0.3, always_send: 0 },
    ]);
    // Its first digest is planned for its own day: a Friday, 8:00 UTC.
    const planned = await env.DB.prepare(
      `SELECT next_send_at FROM subscribers WHERE email = 'kept1@example.com'`,
    ).first<{ next_send_at: string }>();
    expect(new Date(planned!.next_send_at).getUTCDay()).toBe(5);
  });

  it('skips addresses already in the database, whatever their status, and never re-activates them', async () => {
    await env.DB.prepare(
      `INSERT INTO subscribers (id, email, status, created_at, updated_at, unsubscribed_at)
       VALUES ('gone-1', 'gone@example.com', 'unsubscribed', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')`,
    ).run();
    const response = await importJson([
      { email: 'gone@example.com' },
      { email: 'ada@example.com' },
      { email: 'new.person@example.com', interests: ['rlhf', 'cs.CL'], send_hour: 9 },
    ]);
    expect(response.status).toBe(200);
    const report = await response.json<ImportReport>();
    expect(report).toMatchObject({ imported: 1, skipped: 2, invalid: 0 });
    expect(report.rows[0]).toMatchObject({ row: 1, status: 'skipped' });
    expect(report.rows[0]!.reason).toMatch(/unsubscribed/);
    expect(report.rows[1]!.reason).toBe('already subscribed');
    const gone = await env.DB.prepare('SELECT status FROM subscribers WHERE id = ?')
      .bind('gone-1')
      .first<{ status: string }>();
    expect(gone!.status).toBe('unsubscribed');
    const created = await env.DB.prepare('SELECT interests, send_hour FROM subscribers WHERE email = ?')
      .bind('new.person@example.com')
      .first<{ interests: string; send_hour: number }>();
    expect(created).toEqual({ interests: 'rlhf; cs.CL', send_hour: 9 });
  });

  // Issue 12, letter case: "The importer compares addresses differently again". It now uses
  // the same key as sign-up, webhooks and suppressions, including rows from before the fix.
  it('treats every letter case of an address as the same person, like sign-up does', async () => {
    await env.DB.prepare(
      `INSERT INTO subscribers (id, email, status, created_at, updated_at)
       VALUES ('case-1', 'Case.Person@example.com', 'pending', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
    ).run();
    await suppressLegacy('old.complainer@example.com', 'complained');
    const response = await importJson([
      { email: 'case.person@EXAMPLE.com' },
      { email: 'OLD.COMPLAINER@example.com' },
      { email: 'fresh.case@example.com' },
      { email: 'Fresh.Case@example.com' },
    ]);
    const report = await response.json<ImportReport>();
    expect(report).toMatchObject({ imported: 1, skipped: 3 });
    expect(report.rows[0]!.reason).toMatch(/waiting for confirmation/);
    expect(report.rows[1]!.reason).toMatch(/suppressed/);
    expect(report.rows[3]!.reason).toBe('duplicate of row 3');
    const rows = await env.DB.prepare(
      `SELECT COUNT(*) AS n FROM subscribers WHERE lower(email) = 'case.person@example.com'`,
    ).first<{
      n: number;
    }>();
    expect(rows!.n).toBe(1);
  });

  it('accepts {"subscribers": [...]} and reports non-object items as invalid rows', async () => {
    const response = await importJson({ subscribers: ['x@example.com', { email: 'obj@example.com' }] });
    const report = await response.json<ImportReport>();
    expect(report).toMatchObject({ imported: 1, invalid: 1 });
    expect(report.rows[0]).toMatchObject({ row: 1, status: 'invalid' });
  });

  it('imports 10,000 rows in one request within D1 limits', async () => {
    const before = await subscriberCount();
    const lines = ['email,interests,frequency,send_hour,time_zone'];
    for (let index = 0; index < 10_000; index++) {
      lines.push(`bulk${index}@example.net,"topic ${index % 37}, cs.LG",daily,${index % 24},UTC`);
    }
    lines.push('bulk5@example.net,,daily,8,UTC'); // a duplicate at the very end
    const response = await importCsv(lines.join('\r\n'));
    expect(response.status).toBe(200);
    const report = await response.json<ImportReport>();
    expect(report.imported).toBe(10_000);
    expect(report.skipped).toBe(1);
    expect(report.rows).toHaveLength(10_001);
    expect(report.rows[10_000]).toMatchObject({
      row: 10_001,
      status: 'skipped',
      reason: 'duplicate of row 6',
    });
    expect(await subscriberCount()).toBe(before + 10_000);

    // Importing the same file again changes nothing.
    const again = await (await importCsv(lines.join('\n'))).json<ImportReport>();
    expect(again).toMatchObject({ imported: 0, skipped: 10_001, invalid: 0 });
    expect(await subscriberCount()).toBe(before + 10_000);
  });

  it('refuses bodies it cannot read with a clear 4xx and writes nothing', async () => {
    const before = await subscriberCount();
    const cases: [Promise<Response>, number, string][] = [
      [importCsv('email,name\nx@example.com,X', 'application/xml'), 415, 'unsupported_media_type'],
      [importCsv(''), 400, 'empty_import'],
      [importCsv('name,city\nAda,London'), 400, 'invalid_csv'],
      [
        importCsv('email,interests\nfirst@example.com,x\nquote@example.com,"open\nlast@example.com,y'),
        400,
        'invalid_csv',
      ],
      [importCsv('{not json', 'application/json'), 400, 'invalid_json'],
      [importJson({ people: [] }), 400, 'invalid_import'],
      [importJson([]), 400, 'empty_import'],
      [
        importJson(Array.from({ length: 20_001 }, (_, i) => ({ email: `x${i}@example.com` }))),
        413,
        'import_too_large',
      ],
    ];
    for (const [pending, status, code] of cases) {
      const response = await pending;
      expect(response.status).toBe(status);
      expect((await response.json<{ error: { code: string } }>()).error.code).toBe(code);
    }
    expect(await subscriberCount()).toBe(before);
  });

  it('requires the admin token', async () => {
    const response = await request('/admin/subscribers/import', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'email\nsneaky@example.com',
    });
    expect(response.status).toBe(401);
    const exported = await request('/admin/subscribers/export');
    expect(exported.status).toBe(401);
  });
});

describe('GET /admin/subscribers/export', () => {
  it('exports every subscriber as CSV without secrets, importer columns first', async () => {
    const response = await adminRequest('/admin/subscribers/export');
    expect(response.headers.get('content-disposition')).toMatch(/attachment; filename="subscribers-all-/);
    const text = await response.text();
    const header = text.slice(0, text.indexOf('\r\n')).split(',');
    expect(header.slice(0, 5)).toEqual(['email', 'interests', 'frequency', 'send_hour', 'time_zone']);
    for (const secret of ['token_version', 'term_weights', 'consent_ip_hash'])
      expect(header).not.toContain(secret);

    const rows = await exportRows();
    expect(rows.length).toBe(await subscriberCount());
    expect(rows.length).toBeGreaterThan(10_000); // streamed in pages
    expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
    const ada = rows.find((row) => row.email === 'Ada@example.com');
    expect(ada).toMatchObject({
      status: 'active',
      consent_method: 'import',
      send_hour: '7',
      feedback_up: '0',
    });
  });

  it('filters by status and rejects an unknown status', async () => {
    const unsubscribed = await exportRows('?status=unsubscribed');
    expect(unsubscribed.map((row) => row.email)).toEqual(['gone@example.com']);
    const bad = await adminRequest('/admin/subscribers/export?status=everyone');
    expect(bad.status).toBe(400);
  });

  // A mistyped filter exported everyone, unsubscribed and suppressed people included, to
  // an operator who asked for one status (perhaps to feed another mailer).
  it('refuses a filter it does not know or that names two statuses, instead of exporting everyone', async () => {
    for (const query of ['?stauts=active', '?status=active&status=pending', '?status=active&limit=10']) {
      const response = await adminRequest(`/admin/subscribers/export${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type'), query).toContain('application/json');
      const { error } = await response.json<{ error: { message: string } }>();
      expect(error.message, query).toMatch(/status/);
    }
  });

  it('neutralises spreadsheet formulas and round-trips through the importer', async () => {
    await importJson([{ email: 'formula@example.com', interests: '=HYPERLINK("http://evil")' }]);
    const response = await adminRequest('/admin/subscribers/export?status=active');
    const text = await response.text();
    expect(text).toContain(`"'=HYPERLINK(""http://evil"")"`);
    await env.DB.prepare('DELETE FROM subscribers WHERE email = ?').bind('formula@example.com').run();
    const report = await (await importCsv(text)).json<ImportReport>();
    expect(report.imported).toBe(1);
    const restored = await env.DB.prepare('SELECT interests FROM subscribers WHERE email = ?')
      .bind('formula@example.com')
      .first<{ interests: string }>();
    expect(restored!.interests).toBe('=HYPERLINK("http://evil")');
  });

  it('round-trips every setting a subscriber chose, not only the sign-up fields', async () => {
    await insertSubscribers(env.DB, [
      makeSubscriber({
        email: 'settings@example.com',
        frequency: 'weekly',
        sendWeekday: 3,
        digestSize: 7,
        trendingMix: 0.9,
        alwaysSend: true,
      }),
    ]);
    const exported = (await exportRows('?status=active')).find((row) => row.email === 'settings@example.com');
    expect(exported).toBeDefined();
    await env.DB.prepare('DELETE FROM subscribers WHERE email = ?').bind('settings@example.com').run();
    const csv = Papa.unparse([exported!]);
    expect((await (await importCsv(csv)).json<ImportReport>()).imported).toBe(1);
    const restored = await env.DB.prepare(
      `SELECT frequency, send_weekday, digest_size, trending_mix, always_send FROM subscribers WHERE email = ?`,
    )
      .bind('settings@example.com')
      .first();
    expect(restored).toEqual({
      frequency: 'weekly',
      send_weekday: 3,
      digest_size: 7,
      trending_mix: 0.9,
      always_send: 1,
    });
  });

  it('round-trips a mix small enough that the export writes it in exponent notation', async () => {
    // The preferences form takes "0.0000005"; JavaScript (and so the CSV) writes it 5e-7.
    await insertSubscribers(env.DB, [makeSubscriber({ email: 'tiny-mix@example.com', trendingMix: 5e-7 })]);
    const exported = (await exportRows('?status=active')).find((row) => row.email === 'tiny-mix@example.com');
    expect(exported?.trending_mix).toBe('5e-7');
    await env.DB.prepare('DELETE FROM subscribers WHERE email = ?').bind('tiny-mix@example.com').run();
    const report = await (await importCsv(Papa.unparse([exported!]))).json<ImportReport>();
    expect(report.rows[0]!.reason).not.toContain('trending_mix');
    expect(report).toMatchObject({ imported: 1, invalid: 0 });
    const restored = await env.DB.prepare('SELECT trending_mix FROM subscribers WHERE email = ?')
      .bind('tiny-mix@example.com')
      .first<{ trending_mix: number }>();
    expect(restored?.trending_mix).toBe(5e-7);
  });
});

describe('export reads', () => {
  // Keyset pages: page N of a million-subscriber export must cost what page 1 costs, not
  // read and sort the whole table again (or every subscriber of the status asked for).
  it('reads about a page of subscribers per page, with or without a status filter', async () => {
    const created = (index: number) =>
      `2099-01-01T00:${String(Math.floor(index / 60)).padStart(2, '0')}:${String(index % 60).padStart(2, '0')}.000Z`;
    const seeded = Array.from({ length: 1000 }, (_, index) =>
      makeSubscriber({ createdAt: created(index), status: index % 10 === 0 ? 'unsubscribed' : 'active' }),
    );
    await insertSubscribers(env.DB, seeded);
    const spy = spyD1(env.DB);
    const start = { createdAt: '2098-12-31T23:59:59.999Z', id: '' };
    const first = await listSubscribersForExport(spy.db, { after: start, limit: 100 });
    const last = first.at(-1)!;
    const active = await listSubscribersForExport(spy.db, {
      after: { createdAt: last.created_at, id: last.id },
      status: 'active',
      limit: 100,
    });
    await env.DB.prepare(`DELETE FROM subscribers WHERE created_at >= '2099'`).run();
    expect(first.map((row) => row.id)).toEqual(seeded.slice(0, 100).map((subscriber) => subscriber.id));
    expect(active.map((row) => row.id)).toEqual(
      seeded
        .slice(100)
        .filter((subscriber) => subscriber.status === 'active')
        .slice(0, 100)
        .map((subscriber) => subscriber.id),
    );
    console.log(
      'ROWSREAD',
      spy.calls.map((call) => call.rowsRead),
    );
    // A page's rows (and the unsubscribed ones between them), plus its one-row counts.
    expect(spy.calls.every((call) => call.rowsRead < 300)).toBe(true);
  });
});
