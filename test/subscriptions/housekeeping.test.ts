/**
 * The daily housekeeping cron: unconfirmed sign-ups older than the confirmation link's
 * lifetime are deleted (unless a confirmation link was sent since); recent ones and every
 * other status are kept; expired mail requests, expired held sign-ups and day-old form
 * submissions go, and ingest runs past their window but the newest of each source; legacy
 * suppression hashes are re-keyed; active subscribers stored before migration 0017 get
 * their categories stored.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { CRONS } from '../../src/cron';
import { latestIngestRuns } from '../../src/db/ingest-runs';
import { fillCategories } from '../../src/db/subscribers';
import { EXPIRY_PAGE, INGEST_RUN_DAYS } from '../../src/subscriptions/housekeeping';
import { runScheduled } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';

async function insert(id: string, status: string, updatedAt: string) {
  await env.DB.prepare(
    `INSERT INTO subscribers (id, email, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
  )
    .bind(id, `${id}@example.com`, status, updatedAt, updatedAt)
    .run();
}

describe('purgeExpiredPending', () => {
  it('deletes pending sign-ups older than 7 days through the cron, and nothing else', async () => {
    const now = new Date('2026-03-10T04:45:00Z');
    const days = (n: number) => new Date(now.getTime() - n * 86_400_000).toISOString();
    await insert('old-pending', 'pending', days(8));
    await insert('edge-pending', 'pending', days(6.9));
    await insert('old-active', 'active', days(30));
    await insert('old-unsubscribed', 'unsubscribed', days(30));

    await runScheduled(CRONS.housekeeping, now.getTime());

    const { results } = await env.DB.prepare('SELECT id FROM subscribers ORDER BY id').all<{ id: string }>();
    expect(results.map((row) => row.id)).toEqual(['edge-pending', 'old-active', 'old-unsubscribed']);
  });

  it('keeps an old pending row whose newest confirmation link is still valid, and drops old mail requests', async () => {
    const now = new Date('2026-03-10T04:45:00Z');
    const days = (n: number) => new Date(now.getTime() - n * 86_400_000).toISOString();
    await insert('resent-pending', 'pending', days(8));
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO mail_requests (id, address_hash, kind, subscriber_id, created_at) VALUES ('recent', 'h1', 'confirm', 'resent-pending', ?)`,
      ).bind(days(1)),
      env.DB.prepare(
        `INSERT INTO mail_requests (id, address_hash, kind, subscriber_id, created_at) VALUES ('expired', 'h2', 'confirm', 'nobody', ?)`,
      ).bind(days(8)),
      env.DB.prepare(
        `INSERT INTO suppressions (email_hash, reason, created_at) VALUES ('legacy-sha', 'erased', ?)`,
      ).bind(days(30)),
      // The per-IP daily cap counts a day: older form submissions go.
      env.DB.prepare(
        `INSERT INTO form_submissions (client_hash, created_at) VALUES ('today', ?), ('yesterday', ?)`,
      ).bind(days(0.9), days(1.1)),
      // Held sign-ups (migrations/0027) go with the links that could show them, or with
      // their pending subscriber.
      env.DB.prepare(
        `INSERT INTO held_signups (address_hash, id, subscriber_id, settings, created_at)
         VALUES ('h1', 'held-recent', 'resent-pending', '{}', ?), ('h2', 'held-expired', 'resent-pending', '{}', ?),
           ('h3', 'held-orphan', 'nobody', '{}', ?)`,
      ).bind(days(1), days(8), days(1)),
    ]);

    await runScheduled(CRONS.housekeeping, now.getTime());

    expect(
      await env.DB.prepare(`SELECT id FROM subscribers WHERE id = 'resent-pending'`).first(),
    ).not.toBeNull();
    const requests = await env.DB.prepare('SELECT id FROM mail_requests ORDER BY id').all<{ id: string }>();
    expect(requests.results.map((row) => row.id)).toEqual(['recent']);
    const held = await env.DB.prepare('SELECT id FROM held_signups').all<{ id: string }>();
    expect(held.results.map((row) => row.id)).toEqual(['held-recent']);
    const submissions = await env.DB.prepare('SELECT client_hash FROM form_submissions').all<{
      client_hash: string;
    }>();
    expect(submissions.results.map((row) => row.client_hash)).toEqual(['today']);
    const suppressions = await env.DB.prepare('SELECT email_hash, keyed FROM suppressions').all<{
      email_hash: string;
      keyed: number;
    }>();
    expect(suppressions.results).toHaveLength(1);
    expect(suppressions.results[0]!.keyed).toBe(1);
    expect(suppressions.results[0]!.email_hash).not.toBe('legacy-sha');
  });
});

describe('fillLegacyCategories', () => {
  // Rows stored before migration 0017 have no categories (NULL): the arXiv ingest had to
  // read and parse their interests texts, all of them, until something fills them in.
  it('stores the categories of active subscribers stored before the column, through the cron', async () => {
    const now = new Date('2026-03-10T04:45:00Z');
    await env.DB.batch(
      [
        ['legacy-follower', 'active', 'cs.CL; diffusion models'],
        ['legacy-topics', 'active', 'diffusion models'],
        ['legacy-unsubscribed', 'unsubscribed', 'stat.ML'],
      ].map(([id, status, interests]) =>
        env.DB.prepare(
          `INSERT INTO subscribers (id, email, status, interests, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
        ).bind(id, `${id}@example.com`, status, interests, now.toISOString(), now.toISOString()),
      ),
    );

    await runScheduled(CRONS.housekeeping, now.getTime());

    const { results } = await env.DB.prepare(
      `SELECT id, categories FROM subscribers WHERE id LIKE 'legacy-%' ORDER BY id`,
    ).all<{
      id: string;
      categories: string | null;
    }>();
    expect(results).toEqual([
      { id: 'legacy-follower', categories: '["cs.CL"]' },
      { id: 'legacy-topics', categories: '[]' },
      // Only active subscribers count for the ingest; a returning one is written on confirmation.
      { id: 'legacy-unsubscribed', categories: null },
    ]);
  });

  it('leaves alone categories written since the page was read', async () => {
    const rows = [{ id: 'changed', categories: ['cs.CV'] }];
    await env.DB.prepare(
      `INSERT INTO subscribers (id, email, status, interests, categories, created_at, updated_at)
       VALUES ('changed', 'changed@example.com', 'active', 'cs.LG', '["cs.LG"]', 'now', 'now')`,
    ).run();
    await fillCategories(env.DB, rows);
    const row = await env.DB.prepare(`SELECT categories FROM subscribers WHERE id = 'changed'`).first();
    expect(row).toEqual({ categories: '["cs.LG"]' });
  });
});

describe('the expiry deletes at scale', () => {
  it('deletes a flood of expired rows in bounded pages, and still starts the retention pass', async () => {
    const now = new Date('2026-03-10T04:45:00Z');
    const old = new Date(now.getTime() - 8 * 86_400_000).toISOString();
    // A flood day: 12,000 form submissions and 12,000 expired mail requests, each one
    // statement to insert (a recursive CTE), so the test stays quick.
    const flood = (count: number) =>
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})`;
    await env.DB.prepare(
      `${flood(12_000)} INSERT INTO form_submissions (client_hash, created_at) SELECT 'flood-' || i, ?1 FROM n`,
    )
      .bind(old)
      .run();
    await env.DB.prepare(
      `${flood(12_000)} INSERT INTO mail_requests (id, address_hash, kind, subscriber_id, created_at)
       SELECT 'flood-' || i, 'flood-' || i, 'confirm', 'nobody', ?1 FROM n`,
    )
      .bind(old)
      .run();

    const spy = spyD1(env.DB);
    await runScheduled(CRONS.housekeeping, now.getTime(), { ...env, DB: spy.db });

    const left = await env.DB.prepare(
      `SELECT (SELECT COUNT(*) FROM form_submissions WHERE client_hash LIKE 'flood-%') AS forms,
              (SELECT COUNT(*) FROM mail_requests WHERE id LIKE 'flood-%') AS requests`,
    ).first();
    expect(left).toEqual({ forms: 0, requests: 0 });
    const deletes = spy.calls.filter((call) =>
      /^\s*DELETE FROM (form_submissions|mail_requests)/.test(call.sql),
    );
    // Three pages each (5,000 + 5,000 + 2,000), none writing more than a page's rows and their index entries.
    expect(deletes).toHaveLength(6);
    for (const call of deletes) expect(call.rowsWritten).toBeLessThanOrEqual(EXPIRY_PAGE * 4);
    // The retention pass began after them.
    expect(spy.calls.some((call) => call.sql.includes('ORDER BY rowid LIMIT'))).toBe(true);
  });
});

describe('ingest runs', () => {
  it(`deletes runs older than ${INGEST_RUN_DAYS} days but the newest of each source, in bounded pages`, async () => {
    const now = new Date('2026-03-10T04:45:00Z');
    // `count` runs of `source`, one every `hours`, the newest `hours` ago, oldest inserted first.
    const runs = (source: string, hours: number, count: number) =>
      env.DB.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
         INSERT INTO ingest_runs (source, window, status, started_at)
         SELECT ?1, 'w', 'ok', strftime('%Y-%m-%dT%H:%M:%fZ', ?4, '-' || (i * ?2) || ' hours') FROM n
         ORDER BY i DESC`,
      ).bind(source, hours, count, now.toISOString());
    // 60 days of Hugging Face runs every 3 hours and of daily arXiv runs, and a source that
    // stopped running 100 days ago: its one run is still the newest it has.
    await env.DB.batch([runs('hf', 3, 480), runs('arxiv', 24, 60), runs('legacy', 2_400, 1)]);
    const before = await latestIngestRuns(env.DB);

    const spy = spyD1(env.DB);
    await runScheduled(CRONS.housekeeping, now.getTime(), { ...env, DB: spy.db });

    const cutoff = new Date(now.getTime() - INGEST_RUN_DAYS * 86_400_000).toISOString();
    const left = await env.DB.prepare(
      `SELECT source, COUNT(*) AS runs, SUM(started_at < ?) AS older FROM ingest_runs GROUP BY source ORDER BY source`,
    )
      .bind(cutoff)
      .all();
    expect(left.results).toEqual([
      { source: 'arxiv', runs: INGEST_RUN_DAYS, older: 0 },
      { source: 'hf', runs: INGEST_RUN_DAYS * 8, older: 0 },
      { source: 'legacy', runs: 1, older: 1 },
    ]);
    // What the landing page and the dashboard show is unchanged.
    expect(await latestIngestRuns(env.DB)).toEqual(before);
    const deletes = spy.calls.filter((call) => /^\s*DELETE FROM ingest_runs/.test(call.sql));
    expect(deletes.length).toBeGreaterThan(0);
    for (const call of deletes) expect(call.rowsRead).toBeLessThanOrEqual(EXPIRY_PAGE * 4);
  });
});
