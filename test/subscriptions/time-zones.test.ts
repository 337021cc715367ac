/**
 * Time zones under the names people know: the form lists Asia/Kolkata, not the runtime's
 * frozen Asia/Calcutta; what is submitted under either name is stored under the current
 * one; a row stored under an old name is shown with its zone selected and kept by a save.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { rowToSubscriber } from '../../src/db/subscribers';
import { parseConfig } from '../../src/env';
import { localTime } from '../../src/lib/time';
import { preferencesUrl } from '../../src/links';
import { currentZoneName, olderZoneNames, timeZoneChoices } from '../../src/subscriptions/time-zones';
import { request } from '../helpers/app';
import { local, postForm, rowOf, subscribeAndConfirm } from '../helpers/subscribers';

const config = parseConfig(env);

function zoneSelect(html: string) {
  const markup = /<select[^>]*name="time_zone"[^>]*>[\s\S]*?<\/select>/.exec(html)?.[0] ?? '';
  return {
    values: [...markup.matchAll(/<option value="([^"]*)"/g)].map((match) => match[1]),
    selected: [...markup.matchAll(/<option value="([^"]*)"[^>]*selected/g)].map((match) => match[1]),
    markup,
  };
}

describe('time-zone names', () => {
  it('lists every zone once, under its current name', async () => {
    const { values, markup } = zoneSelect(await (await request('/')).text());
    expect(values).toContain('Asia/Kolkata');
    expect(values).toContain('Europe/Kyiv');
    expect(values).toContain('America/Argentina/Buenos_Aires');
    for (const old of ['Asia/Calcutta', 'Europe/Kiev', 'America/Buenos_Aires', 'Asia/Saigon'])
      expect(values).not.toContain(old);
    expect(new Set(values).size).toBe(values.length);
    expect(values[0]).toBe('UTC');
    // The browser may report the old spelling: the script finds the option by it.
    expect(markup).toMatch(/<option value="Asia\/Kolkata"[^>]*data-aliases="Asia\/Calcutta"/);
  });

  it('renames only to the same zone: every old and new name keep the same clock', () => {
    const zones = timeZoneChoices();
    const instants = [Date.UTC(2026, 0, 15, 12), Date.UTC(2026, 6, 15, 12), Date.UTC(2010, 2, 28, 3)];
    for (const zone of zones) {
      expect(currentZoneName(zone)).toBe(zone);
      for (const old of olderZoneNames(zone)) {
        for (const at of instants)
          expect(localTime(new Date(at), zone)).toEqual(localTime(new Date(at), old));
      }
    }
  });

  it('stores a sign-up under the current name, whichever spelling was sent', async () => {
    for (const [email, zone] of [
      ['kolkata-new@example.com', 'Asia/Kolkata'],
      ['kolkata-old@example.com', 'asia/calcutta'],
    ] as const) {
      const row = await subscribeAndConfirm(email, { time_zone: zone });
      expect(row.time_zone).toBe('Asia/Kolkata');
    }
  });

  it('shows a zone stored under its old name selected, and a save keeps that zone', async () => {
    const row = await subscribeAndConfirm('kiev-stored@example.com');
    await env.DB.prepare(`UPDATE subscribers SET time_zone = 'Europe/Kiev' WHERE id = ?`).bind(row.id).run();
    const link = local(await preferencesUrl(config, rowToSubscriber(row)));
    const html = await (await request(link)).text();
    expect(zoneSelect(html).selected).toEqual(['Europe/Kyiv']);
    expect(zoneSelect(html).values).not.toContain('Europe/Kiev');
    expect(html).toContain('every day at 08:00 (Europe/Kyiv)');
    const saved = await postForm(link, { interests: 'RLHF', time_zone: 'Europe/Kyiv', send_hour: '8' });
    expect(saved.status).toBe(200);
    expect((await rowOf('kiev-stored@example.com'))!.time_zone).toBe('Europe/Kyiv');
  });
});
