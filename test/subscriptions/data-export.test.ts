/**
 * "Download my data" through the Worker (POST /data/export with a mailed link): the file
 * must hold everything we store about the person, not only their row and digests: the
 * emails they asked for (sign-up confirmation with the settings it carried, data links),
 * the Resend events naming their address (delivery, opens, clicks with the IP address
 * Resend saw), why each digest's papers were chosen, and the ids merged into theirs.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { dataLinkUrl } from '../../src/links';
import { local, postForm, subscribeAndConfirm } from '../helpers/subscribers';

const config = parseConfig(env);

describe('POST /data/export', () => {
  it('holds every record about the person: mail requests, webhook events, rankings, merged ids', async () => {
    const row = await subscribeAndConfirm('complete.export@example.com');
    const now = new Date().toISOString();
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO editions (id, frequency, period_key, planned_at, window_start, window_end)
         VALUES ('ed-export', 'daily', '2026-11-30', ?, ?, ?)`,
      ).bind(now, now, now),
      env.DB.prepare(
        `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, paper_ids, ranking, resend_id,
           error, queued_at, sent_at, updated_at)
         VALUES ('del-export', 'ed-export', ?, '2026-11-30', 'sent', '["2611.00001"]',
           '[{"id":"2611.00001","score":0.9,"why":["matches RLHF"]}]', 're_export_1', NULL, ?, ?, ?)`,
      ).bind(row.id, now, now, now),
      env.DB.prepare(
        `INSERT INTO webhook_events (svix_id, type, email_id, recipient, payload, received_at)
         VALUES ('msg_export_click', 'email.clicked', 're_export_1', 'Complete.Export@example.com', ?, ?)`,
      ).bind(
        JSON.stringify({
          type: 'email.clicked',
          data: {
            email_id: 're_export_1',
            click: { ipAddress: '198.51.100.23', link: 'https://example.com/x' },
          },
        }),
        now,
      ),
      env.DB.prepare(
        `INSERT INTO webhook_events (svix_id, type, email_id, recipient, payload, received_at)
         VALUES ('msg_someone_else', 'email.delivered', 're_other', 'other@example.com', '{}', ?)`,
      ).bind(now),
      env.DB.prepare(
        `INSERT INTO subscriber_aliases (alias_id, subscriber_id, alias_token_version, subscriber_token_version, merged_at)
         VALUES ('merged-away-id', ?, 1, 1, ?)`,
      ).bind(row.id, now),
    ]);

    const link = local(await dataLinkUrl(config, { id: row.id, tokenVersion: row.token_version }, 'export'));
    const response = await postForm(link, {});
    expect(response.status).toBe(200);
    const data = await response.json<Record<string, unknown>>();

    // The sign-up confirmation we sent them, with the settings it carried.
    expect(data.mail_requests).toEqual([
      expect.objectContaining({
        kind: 'confirm',
        created_at: expect.any(String),
        used_at: expect.any(String),
      }),
    ]);
    expect(JSON.stringify(data.mail_requests)).toContain('RLHF');
    // Resend's events naming their address, in any letter case, and nobody else's.
    expect(data.webhook_events).toEqual([
      expect.objectContaining({
        type: 'email.clicked',
        email_id: 're_export_1',
        payload: expect.objectContaining({ data: expect.objectContaining({ click: expect.any(Object) }) }),
      }),
    ]);
    // Why each digest's papers were picked for them.
    expect(data.deliveries).toEqual([
      expect.objectContaining({
        id: 'del-export',
        ranking: [{ id: '2611.00001', score: 0.9, why: ['matches RLHF'] }],
        resend_id: 're_export_1',
      }),
    ]);
    expect(data.merged_ids).toEqual([{ id: 'merged-away-id', merged_at: now }]);
  });
});
