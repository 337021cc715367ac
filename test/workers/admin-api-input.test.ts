/**
 * Odd but honest input to the admin JSON API, through the real Worker: a JSON content type
 * sent without a body (curl -H 'Content-Type: application/json' -X POST) means "defaults",
 * and a planner time far in the future, which would push every planned subscriber's next
 * digest past it, is refused with a clear 400 before anything is planned.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { insertSubscribers, makeSubscriber } from '../factories';
import { adminRequest } from '../helpers/app';

function planDigest(body: string | undefined, contentType = 'application/json') {
  return adminRequest('/admin/digest', {
    method: 'POST',
    headers: { 'content-type': contentType },
    ...(body === undefined ? {} : { body }),
  });
}

describe('admin JSON API input', () => {
  it('reads a JSON content type without a body as "all defaults"', async () => {
    for (const body of [undefined, '', ' \r\n']) {
      const response = await planDigest(body);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ all: false, planned: 0 });
    }
  });

  // A mistyped year ("2062" for "2026") planned everyone due for 2062, and each of them then
  // stayed out of the hourly cron until then: next_send_at had moved past the typo.
  it('refuses an `at` more than a day ahead and leaves every schedule as it was', async () => {
    const reader = makeSubscriber({ sendHour: 0 });
    await insertSubscribers(env.DB, [reader]);
    const ahead = new Date(Date.now() + 36 * 3_600_000).toISOString();
    for (const at of ['2062-11-26T08:30:00Z', ahead]) {
      const response = await planDigest(JSON.stringify({ at }));
      expect(response.status).toBe(400);
      const error = (await response.json<{ error: { code: string; fields: Record<string, string[]> } }>())
        .error;
      expect(error.code).toBe('invalid_request');
      expect(error.fields.at!.join(' ')).toMatch(/future/);
    }
    const deliveries = await env.DB.prepare('SELECT COUNT(*) AS n FROM deliveries WHERE subscriber_id = ?')
      .bind(reader.id)
      .first<{ n: number }>();
    expect(deliveries!.n).toBe(0);
    // The real hour still finds them due.
    const now = await (await planDigest(JSON.stringify({ at: new Date().toISOString() }))).json<{
      planned: number;
    }>();
    expect(now.planned).toBe(1);
    // Up to a day ahead stays allowed: the benchmarks simulate the coming hour.
    const soon = await planDigest(JSON.stringify({ at: new Date(Date.now() + 3_600_000).toISOString() }));
    expect(soon.status).toBe(200);
  });
});
