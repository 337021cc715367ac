/**
 * A choice the form's selects do not offer (only a hand-made post or a stale page sends
 * one) comes back as a 400 naming the field, with every other value kept, and the select
 * still showing what was sent: with nothing selected a browser shows the first option, and
 * one more submit would send it without the person having chosen it.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { rowToSubscriber } from '../../src/db/subscribers';
import { parseConfig } from '../../src/env';
import { preferencesUrl } from '../../src/links';
import { local, postForm, rowOf, subscribeAndConfirm } from '../helpers/subscribers';

const config = parseConfig(env);

/** The <select> named `name`, and the values of its selected options. */
function select(html: string, name: string) {
  const markup = new RegExp(`<select[^>]*name="${name}"[^>]*>[\\s\\S]*?</select>`).exec(html)?.[0] ?? '';
  const selected = [...markup.matchAll(/<option value="([^"]*)"[^>]*selected/g)].map((match) => match[1]);
  return { markup, selected };
}

/** Posts `fields` to `path`, expects a 400, and checks every select shows exactly what was sent. */
async function refusedKeepingSelects(path: string, fields: Record<string, string>, invalid: string[]) {
  const response = await postForm(path, fields);
  expect(response.status).toBe(400);
  const html = await response.text();
  for (const name of ['frequency', 'send_weekday', 'send_hour', 'time_zone', 'trending_mix']) {
    if (name in fields) expect(select(html, name).selected, name).toEqual([fields[name]]);
  }
  for (const name of invalid) {
    expect(html).toMatch(new RegExp(`<a href="#${name}">[^<]+: `));
    expect(select(html, name).markup).toContain('aria-invalid="true"');
  }
  return html;
}

describe('a choice the selects do not offer', () => {
  it('on the sign-up form: 400 on that field, everything else kept, the value sent shown', async () => {
    const html = await refusedKeepingSelects(
      '/subscribe',
      {
        email: 'fortnightly@example.com',
        interests: 'graph neural networks',
        frequency: 'fortnightly',
        send_hour: '7',
        time_zone: 'Europe/Berlin',
      },
      ['frequency'],
    );
    expect(html).toContain('value="fortnightly@example.com"');
    expect(html).toContain('>graph neural networks</textarea>');
    expect(await rowOf('fortnightly@example.com')).toBeNull();
  });

  it('on the preferences page: 400 on each field, nothing saved, the values sent shown', async () => {
    const row = await subscribeAndConfirm('weekday-9@example.com');
    const link = local(await preferencesUrl(config, rowToSubscriber(row)));
    const fields = {
      interests: 'robotics',
      frequency: 'monthly',
      send_weekday: '9',
      send_hour: '6',
      time_zone: 'Asia/Tokyo',
      digest_size: '7',
      trending_mix: '0.7',
    };
    const html = await refusedKeepingSelects(link, fields, ['frequency', 'send_weekday']);
    expect(html).toContain('value="7"');
    expect(html).toContain('>robotics</textarea>');
    const after = (await rowOf('weekday-9@example.com'))!;
    expect([after.frequency, after.send_weekday, after.interests]).toEqual(['daily', 1, 'RLHF']);
  });
});
