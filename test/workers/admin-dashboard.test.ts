/**
 * The operator dashboard at /admin through the real Worker and D1: Basic-auth login for
 * browsers, and each panel reflecting what is in the database (subscribers by status,
 * last ingest runs per source with errors, last editions with sent/failed/skipped,
 * bounces and complaints from webhook events, the Resend quota pause and a refusal of our
 * configuration with what to fix), escaped.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, request } from '../helpers/app';

const basic = `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`;

async function dashboard(): Promise<string> {
  const response = await request('/admin', { headers: { accept: 'text/html', authorization: basic } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/html');
  expect(response.headers.get('cache-control')).toBe('no-store');
  return response.text();
}

/** The text of a table row, tags stripped, for asserting a whole row at once. */
function rowText(html: string, startsWith: string): string | undefined {
  return [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
    .map((match) => match[1]!.replace(/<[^>]+>/g, '|').replace(/\|+/g, '|'))
    .find((text) => text.startsWith(`|${startsWith}|`));
}

const now = new Date().toISOString();

beforeAll(async () => {
  const subscriber = (id: string, status: string) =>
    env.DB.prepare(
      `INSERT INTO subscribers (id, email, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
    ).bind(id, `${id}@example.com`, status, now, now);
  const run = (source: string, status: string, startedAt: string, errors: string[]) =>
    env.DB.prepare(
      `INSERT INTO ingest_runs (source, window, status, fetched, inserted, updated, skipped, errors, started_at, duration_ms)
       VALUES (?, ?, ?, 12, 7, 3, 2, ?, ?, 431)`,
    ).bind(source, `window-${startedAt}`, status, JSON.stringify(errors), startedAt);
  const delivery = (id: string, subscriberId: string, edition: string, status: string) =>
    env.DB.prepare(
      `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, queued_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).bind(id, edition, subscriberId, `${edition}-${id}`, status, now, now);
  const event = (id: string, type: string, payload: unknown) =>
    env.DB.prepare(
      `INSERT INTO webhook_events (svix_id, type, email_id, recipient, payload, received_at) VALUES (?, ?, NULL, NULL, ?, ?)`,
    ).bind(id, type, JSON.stringify(payload), now);
  await env.DB.batch([
    subscriber('a1', 'active'),
    subscriber('a2', 'active'),
    subscriber('p1', 'pending'),
    subscriber('u1', 'unsubscribed'),
    subscriber('s1', 'suppressed'),
    run('hf', 'ok', '2026-03-10T06:20:00Z', []),
    run('hf', 'failed', '2026-03-10T09:20:00Z', ['HF answered 503 <Service Unavailable>']),
    run('arxiv', 'ok', '2026-03-10T01:30:00Z', []),
    env.DB.prepare(
      `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end, paper_ids)
       VALUES ('ed-old', 'daily', '2026-03-09', '2026-03-09T08:00:00Z', 'x', 'y', '["a","b"]'),
              ('ed-new', 'daily', '2026-03-10', '2026-03-10T08:00:00Z', 'x', 'y', '["a","b","c"]')`,
    ),
    delivery('d1', 'a1', 'ed-new', 'sent'),
    delivery('d2', 'a2', 'ed-new', 'sent'),
    delivery('d3', 'u1', 'ed-new', 'failed'),
    delivery('d4', 's1', 'ed-new', 'skipped'),
    delivery('d5', 'a1', 'ed-old', 'sent'),
    event('e1', 'email.bounced', { type: 'email.bounced', data: { bounce: { type: 'Permanent' } } }),
    event('e2', 'email.bounced', { type: 'email.bounced', data: { bounce: { type: 'Transient' } } }),
    // Suppression reads the type in any letter case; so does the count.
    event('e2b', 'email.bounced', { type: 'email.bounced', data: { bounce: { type: 'permanent' } } }),
    event('e3', 'email.complained', { type: 'email.complained', data: {} }),
    event('e4', 'email.delivered', { type: 'email.delivered', data: {} }),
    env.DB.prepare(
      `INSERT INTO suppressions (email_hash, reason, created_at) VALUES ('h1', 'bounced', ?), ('h2', 'erased', ?)`,
    ).bind(now, now),
    env.DB.prepare(
      `INSERT INTO feedback (subscriber_id, paper_id, vote, created_at) VALUES ('a1', 'p', 1, ?), ('a2', 'p', -1, ?), ('a2', 'q', 1, ?)`,
    ).bind(now, now, now),
  ]);
});

describe('GET /admin', () => {
  it('asks browsers to log in with Basic auth and refuses a wrong password', async () => {
    const prompt = await request('/admin', { headers: { accept: 'text/html' } });
    expect(prompt.status).toBe(401);
    expect(prompt.headers.get('www-authenticate')).toMatch(/^Basic /);
    const wrong = await request('/admin', {
      headers: { accept: 'text/html', authorization: `Basic ${btoa('admin:nope')}` },
    });
    expect(wrong.status).toBe(401);
  });

  it('shows subscribers by status, deliveries, votes and the sending state', async () => {
    const html = await dashboard();
    expect(html).toContain('<b>2</b><span>active</span>');
    expect(html).toContain('<b>1</b><span>pending confirmation</span>');
    expect(html).toContain('<b>1</b><span>unsubscribed</span>');
    expect(html).toContain('<b>1</b><span>suppressed</span>');
    expect(html).toContain('<b>3</b><span>sent</span>');
    expect(html).toContain('<b>2 / 1</b><span>👍 / 👎 votes</span>');
    expect(html).toContain('Sending is active');
    // How big the database is, and how long what is counted is kept (the retention pass).
    expect(html).toMatch(/<b>\d+\.\d MB<\/b><span>database \(D1 holds 10 GB/);
    expect(html).toContain(
      'Sent digests are kept 30 days (DIGEST_RETENTION_DAYS), papers 365 days (PAPER_RETENTION_DAYS) and while a kept digest shows them, Resend&#39;s events 7 days',
    );
  });

  it('lists the last editions, newest first, with sent/failed/skipped counts', async () => {
    const html = await dashboard();
    expect(rowText(html, '2026-03-10')).toBe('|2026-03-10|daily|2026-03-10 08:00:00|3|2|1|1|0|');
    expect(rowText(html, '2026-03-09')).toBe('|2026-03-09|daily|2026-03-09 08:00:00|2|1|0|0|0|');
    expect(html.indexOf('2026-03-10 08:00:00')).toBeLessThan(html.indexOf('2026-03-09 08:00:00'));
  });

  it('lists the last ingest runs per source with their errors, escaped', async () => {
    const html = await dashboard();
    expect(rowText(html, 'Hugging Face')).toContain('|2026-03-10 09:20:00|failed|12|7|3|2|431|');
    expect(html).toContain('HF answered 503 &lt;Service Unavailable&gt;');
    expect(rowText(html, 'arXiv')).toContain('|2026-03-10 01:30:00|ok|');
  });

  it('counts bounces (permanent vs transient), complaints and suppressions', async () => {
    const html = await dashboard();
    expect(html).toContain('<b>2</b><span>permanent bounces</span>');
    expect(html).toContain('<b>1</b><span>transient bounces</span>');
    expect(html).toContain('<b>1</b><span>complaints</span>');
    expect(rowText(html, 'email.bounced')).toBe('|email.bounced|3|3|');
    expect(html).toContain('1 bounced');
    expect(html).toContain('1 erased');
  });

  it('shows the Resend quota pause while it lasts', async () => {
    const until = new Date(Date.now() + 3_600_000).toISOString();
    await env.DB.prepare(`INSERT INTO app_state (key, value, updated_at) VALUES ('resend_quota_pause', ?, ?)`)
      .bind(
        JSON.stringify({ period: 'daily', until, since: now, message: 'You have reached your daily quota' }),
        now,
      )
      .run();
    const html = await dashboard();
    expect(html).toContain('Sending is paused');
    expect(html).toContain(until.replace('T', ' ').slice(0, 19));
    expect(html).toContain('daily quota');
    await env.DB.prepare(`DELETE FROM app_state WHERE key = 'resend_quota_pause'`).run();
  });
});

describe('GET /admin while Resend refuses our configuration', () => {
  const pause = (until: string) => ({
    until,
    since: '2026-03-10T09:00:00.000Z',
    status: 403,
    name: 'validation_error',
    message: 'The example.com domain is not verified. Please, add and verify your domain.',
  });
  const store = (value: unknown) =>
    env.DB.prepare(
      `INSERT INTO app_state (key, value, updated_at) VALUES ('resend_config_pause', ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    )
      .bind(JSON.stringify(value), now)
      .run();

  /**
   * The alert of the dashboard with a pause ending at `until` stored: it names what Resend
   * refused, when, until when, and what to fix; and nothing says sending is active.
   */
  async function refusalAlert(until: string): Promise<string> {
    await store(pause(until));
    const html = await dashboard();
    await env.DB.prepare(`DELETE FROM app_state WHERE key = 'resend_config_pause'`).run();
    const alert = /<div[^>]*role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '';
    expect(alert).toContain('403 validation_error');
    expect(alert).toContain('The example.com domain is not verified.');
    expect(alert).toContain('2026-03-10 09:00:00');
    expect(alert).toContain(until.replace('T', ' ').slice(0, 19));
    // What to fix: the sending domain of MAIL_FROM, verified in Resend.
    expect(alert).toContain('MAIL_FROM');
    expect(html).not.toContain('Sending is active');
    return alert;
  }

  it('says sending is paused, what Resend refused, since and until when, and what to fix', async () => {
    const alert = await refusalAlert(new Date(Date.now() + 20 * 60_000).toISOString());
    expect(alert).toContain('Sending is paused: Resend refuses our configuration');
  });

  it('names the API key for a refused key, and the sender address for a refused from', async () => {
    const until = new Date(Date.now() + 20 * 60_000).toISOString();
    await store({ ...pause(until), status: 403, name: 'invalid_api_key', message: 'API key is invalid' });
    // The command that sets the production secret, not the top-level (development) one.
    expect(await dashboard()).toContain('wrangler secret put RESEND_API_KEY --env production');
    await store({
      ...pause(until),
      status: 422,
      name: 'invalid_from_address',
      message: 'Invalid `from` field.',
    });
    const html = await dashboard();
    expect(html).toContain('Invalid `from` field.');
    expect(html).toContain('MAIL_FROM');
    expect(html).toContain('[env.production.vars]');
    await env.DB.prepare(`DELETE FROM app_state WHERE key = 'resend_config_pause'`).run();
  });

  // The pause lasts 30 minutes, the planner puts the parked digests back hourly: for up to
  // an hour after it ends, nothing has asked Resend again, and nothing says it works.
  it('keeps saying what was refused until the digests put back have asked Resend again', async () => {
    const alert = await refusalAlert(new Date(Date.now() - 10 * 60_000).toISOString());
    expect(alert).toContain('Sending is not known to work yet: Resend refused our configuration');
  });

  it('says sending is active again once the pause has ended', async () => {
    await store(pause('2000-01-01T00:00:00.000Z'));
    const html = await dashboard();
    expect(html).toContain('Sending is active');
    expect(html).not.toContain('Resend refuses our configuration');
    await env.DB.prepare(`DELETE FROM app_state WHERE key = 'resend_config_pause'`).run();
  });
});
