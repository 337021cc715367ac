/**
 * The preference centre as a subscriber meets it, through the Worker's real handlers: a
 * page left open while they unsubscribe elsewhere, an old sign-up's interests that today's
 * checks refuse, stored settings read back exactly. What the page says and what is stored
 * are both checked, since a page that says "saved" over a write that did not happen (or
 * the other way round) is the bug a person cannot see.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { rowToSubscriber } from '../../src/db/subscribers';
import { parseConfig } from '../../src/env';
import { preferencesUrl, unsubscribeUrl } from '../../src/links';
import { BASE_URL, fetchWith, request } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';
import { h1, local, nextIp, postForm, type Row, rowOf, subscribeAndConfirm } from '../helpers/subscribers';

const config = parseConfig(env);

async function preferencesLink(row: Row): Promise<string> {
  return local(await preferencesUrl(config, rowToSubscriber(row)));
}

const settings = {
  interests: 'diffusion models',
  frequency: 'weekly',
  send_weekday: '3',
  send_hour: '9',
  time_zone: 'Europe/Berlin',
  digest_size: '12',
  trending_mix: '0.5',
};

describe('saving preferences while unsubscribing elsewhere', () => {
  it('does not change an unsubscribed subscription, and says they are unsubscribed', async () => {
    const row = await subscribeAndConfirm('race-prefs@example.com');
    const link = await preferencesLink(row);
    const unsubscribe = local(await unsubscribeUrl(config, rowToSubscriber(row)));
    // The unsubscribe lands between the token check and the write: the one-click POST from
    // a mail client while the preferences page, open in a tab, is being saved.
    let raced = false;
    const spy = spyD1(env.DB, async (sql) => {
      if (!raced && /^\s*UPDATE subscribers SET interests/.test(sql)) {
        raced = true;
        expect((await postForm(unsubscribe, {})).status).toBe(200);
      }
    });
    const { response } = await fetchWith(
      new Request(`${BASE_URL}${link}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: BASE_URL,
          'cf-connecting-ip': nextIp(),
        },
        body: new URLSearchParams(settings).toString(),
      }),
      { ...env, DB: spy.db },
    );
    expect(raced).toBe(true);
    const html = await response.text();
    expect(response.status).toBe(410);
    expect(h1(html)).not.toBe('Preferences saved');
    expect(html).toContain('stopped working when you unsubscribed');
    const after = (await rowOf('race-prefs@example.com'))!;
    expect(after.status).toBe('unsubscribed');
    expect(after.interests).toBe('RLHF');
    expect(after.frequency).toBe('daily');
  });
});

describe('interests stored before a check that now refuses them', () => {
  it('are flagged when the page opens, naming the entry and the fix, and a save keeps everything', async () => {
    const row = await subscribeAndConfirm('made-up-category@example.com');
    await env.DB.prepare(`UPDATE subscribers SET interests = 'cs.ML, diffusion' WHERE id = ?`)
      .bind(row.id)
      .run();
    const link = await preferencesLink(row);
    // Before they change anything: the page says what will stop a save, and why.
    const opened = await request(link);
    expect(opened.status).toBe(200);
    const page = await opened.text();
    const error = /<p class="error" id="interests-error">([\s\S]*?)<\/p>/.exec(page)?.[1] ?? '';
    expect(error).toContain('&quot;cs.ML&quot; is not an arXiv category');
    expect(error).toContain('Did you mean stat.ML?');
    expect(page).toMatch(
      /<textarea[^>]*aria-describedby="interests-hint interests-error"[^>]*aria-invalid="true"/,
    );
    // Saving another change without fixing it: refused, everything typed kept.
    const refused = await postForm(link, { ...settings, interests: 'cs.ML, diffusion' });
    expect(refused.status).toBe(400);
    const html = await refused.text();
    expect(html).toContain('>cs.ML, diffusion</textarea>');
    expect(html).toContain('value="12"');
    // Fixed: saved.
    const fixed = await postForm(link, { ...settings, interests: 'stat.ML, diffusion' });
    expect(h1(await fixed.text())).toBe('Preferences saved');
    expect((await rowOf('made-up-category@example.com'))!.interests).toBe('stat.ML, diffusion');
  });
});

/** What a browser submits for the page's settings form, unchanged: each control's current value. */
function submittedAsIs(html: string): Record<string, string> {
  const form = /<form method="post" action="\/preferences\?[\s\S]*?<\/form>/.exec(html)?.[0] ?? '';
  const text = (value: string) =>
    value
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
  const fields: Record<string, string> = {};
  for (const [, name, value] of form.matchAll(/<textarea[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g))
    fields[name!] = text(value!);
  for (const [, name, options] of form.matchAll(/<select[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
    const selected =
      /<option value="([^"]*)"[^>]*selected/.exec(options!) ?? /<option value="([^"]*)"/.exec(options!);
    fields[name!] = text(selected![1]!);
  }
  for (const [input] of form.matchAll(/<input[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(input)?.[1];
    if (!name || (/type="checkbox"/.test(input) && !/checked/.test(input))) continue;
    fields[name] = text(/value="([^"]*)"/.exec(input)?.[1] ?? '');
  }
  return fields;
}

describe('the preferences page saved unchanged', () => {
  it('keeps every stored setting exactly', async () => {
    const row = await subscribeAndConfirm('round-trip@example.com');
    const interests = 'RLHF;  diffusion models\tand <friends> & co,\n\nauthor: Yejin Choi\ncs.CL and cs.LG';
    await env.DB.prepare(
      `UPDATE subscribers SET interests = ?, frequency = 'weekly', send_weekday = 0, send_hour = 23,
         time_zone = 'America/St_Johns', digest_size = 37, trending_mix = 0.25, always_send = 1 WHERE id = ?`,
    )
      .bind(interests, row.id)
      .run();
    const before = (await rowOf('round-trip@example.com'))!;
    const link = await preferencesLink(row);
    const fields = submittedAsIs(await (await request(link)).text());
    const saved = await postForm(link, fields);
    expect(h1(await saved.text())).toBe('Preferences saved');
    const after = (await rowOf('round-trip@example.com'))!;
    for (const column of [
      'interests',
      'frequency',
      'send_weekday',
      'send_hour',
      'time_zone',
      'digest_size',
      'trending_mix',
      'always_send',
      'status',
    ] as const) {
      expect(after[column], column).toEqual(before[column]);
    }
  });
});
