/**
 * Unusual but legitimate sign-up input, through the real Worker and real D1: bodies as real
 * forms and scripts send them (a field given twice, one input per interest, a script
 * posting the form encoding but asking for JSON), and what each is recorded as. Bad input
 * gets a clear 400 (a page for the form, JSON for API clients) with everything typed kept.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/env';
import { preferencesUrl } from '../../src/links';
import { BASE_URL, request } from '../helpers/app';
import {
  counts,
  emailsTo,
  linkIn,
  local,
  nextIp,
  postForm,
  postJson,
  rowOf,
  subscribeAndConfirm,
} from '../helpers/subscribers';

const config = parseConfig(env);

/** A form body sent as is (URLSearchParams or FormData keep repeated fields). */
function postBody(path: string, body: URLSearchParams | FormData, headers: Record<string, string> = {}) {
  return request(path, {
    method: 'POST',
    headers: { origin: BASE_URL, 'cf-connecting-ip': nextIp(), ...headers },
    body,
  });
}

/** Sends a request that must write nothing (no subscriber, email or suppression); its response. */
async function writesNothing(send: () => Promise<Response>): Promise<Response> {
  const before = await counts();
  const response = await send();
  expect(await counts()).toEqual(before);
  return response;
}

async function expectFieldError(response: Response, field: string, message: string) {
  expect(response.status).toBe(400);
  expect(await response.json()).toMatchObject({
    error: { code: 'validation_failed', fields: { [field]: [message] } },
  });
}

async function confirmLatest(email: string) {
  const link = linkIn((await emailsTo(email)).at(-1)!.text, '/confirm');
  expect((await postForm(local(link), {})).status).toBe(200);
  return (await rowOf(email))!;
}

describe('consent method', () => {
  it('records a script that posts the form encoding but asks for JSON as an API sign-up', async () => {
    const response = await postForm(
      '/subscribe',
      { email: 'script@example.org', interests: 'RLHF' },
      { accept: 'application/json' },
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'pending_confirmation' });
    expect((await rowOf('script@example.org'))!.consent_method).toBe('api');
    expect(await confirmLatest('script@example.org')).toMatchObject({
      status: 'active',
      consent_method: 'api',
    });
  });

  it('still records a browser form as a form sign-up', async () => {
    const response = await postForm(
      '/subscribe',
      { email: 'browser@example.org' },
      { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    );
    expect(response.status).toBe(200);
    expect(await confirmLatest('browser@example.org')).toMatchObject({ consent_method: 'form' });
  });
});

describe('a form field given more than once', () => {
  it('takes every value of interests, from one input per interest', async () => {
    const body = new URLSearchParams([
      ['email', 'lists@example.org'],
      ['interests', 'LLM agents'],
      ['interests', ''],
      ['interests', 'cs.CL'],
    ]);
    expect((await postBody('/subscribe', body)).status).toBe(200);
    expect(await confirmLatest('lists@example.org')).toMatchObject({
      interests: 'LLM agents; cs.CL',
      categories: '["cs.CL"]',
    });
  });

  it('takes every value of interests from a multipart form too', async () => {
    const body = new FormData();
    body.append('email', 'multi-lists@example.org');
    body.append('interests', 'RLHF');
    body.append('interests', 'diffusion models');
    expect((await postBody('/subscribe', body)).status).toBe(200);
    expect((await confirmLatest('multi-lists@example.org')).interests).toBe('RLHF; diffusion models');
  });

  it.each(['email', 'frequency', 'send_hour', 'time_zone'])(
    'refuses %s given twice with a page that keeps what was typed, and writes nothing',
    async (field) => {
      const values: Record<string, [string, string]> = {
        email: ['twice-a@example.org', 'twice-b@example.org'],
        frequency: ['daily', 'weekly'],
        send_hour: ['7', '19'],
        time_zone: ['Europe/Paris', 'Asia/Tokyo'],
      };
      const body = new URLSearchParams([['interests', 'kept interests']]);
      if (field !== 'email') body.append('email', 'twice@example.org');
      for (const value of values[field]!) body.append(field, value);
      const response = await writesNothing(() => postBody('/subscribe', body));
      expect(response.status).toBe(400);
      const html = await response.text();
      expect(html).toContain(`Send ${field} once: the form gave it 2 times.`);
      expect(html).toContain('kept interests');
      if (field === 'email') expect(html).toContain('twice-a@example.org; twice-b@example.org');
    },
  );

  it('answers a script that asks for JSON with the field named', async () => {
    const body = new URLSearchParams([
      ['email', 'json-twice@example.org'],
      ['frequency', 'daily'],
      ['frequency', 'weekly'],
    ]);
    const response = await writesNothing(() => postBody('/subscribe', body, { accept: 'application/json' }));
    await expectFieldError(response, 'frequency', 'Send frequency once: the form gave it 2 times.');
  });

  it('treats a honeypot sent twice as a bot: the answer a person gets, and nothing done', async () => {
    for (const [index, website] of [
      ['', 'https://spam.example'],
      ['https://spam.example', ''],
    ].entries()) {
      const email = `bot${index}@example.org`;
      const body = new URLSearchParams({ email });
      for (const value of website) body.append('website', value);
      const response = await writesNothing(() => postBody('/subscribe', body));
      expect(response.status).toBe(200);
      expect(await response.text()).toContain(email);
    }
    // Two blank honeypots are a person's form, nothing more.
    const person = new URLSearchParams([
      ['email', 'person@example.org'],
      ['website', ''],
      ['website', ''],
    ]);
    expect((await postBody('/subscribe', person)).status).toBe(200);
    expect((await rowOf('person@example.org'))!.status).toBe('pending');
    // In JSON too, where JSON.parse alone keeps only the last, blank, value; no error names the trap.
    const json = '{"email": "json-bot@example.org", "website": "https://spam.example", "website": ""}';
    const response = await writesNothing(() => postJson('/subscribe', json));
    expect([response.status, await response.json()]).toMatchObject([202, { status: 'pending_confirmation' }]);
  });

  it('refuses a JSON object that names a field twice, instead of keeping the last value', async () => {
    const response = await writesNothing(() =>
      postJson(
        '/subscribe',
        '{"email": "json-a@example.org", "interests": {"nested": 1}, "email": "json-b@example.org", "frequency": "daily"}',
      ),
    );
    await expectFieldError(response, 'email', 'Send email once: the JSON object gives it 2 times.');
  });

  it('reads JSON whose values hold braces, quotes and commas as before', async () => {
    const response = await postJson(
      '/subscribe',
      '{ "email" : "json-c@example.org" , "interests" : ["a \\"quoted\\" {topic}, too", "cs.CL"] }',
    );
    expect(response.status).toBe(202);
    expect((await rowOf('json-c@example.org'))!.interests).toBe('a "quoted" {topic}, too; cs.CL');
  });

  it('applies the same rules on the preferences page', async () => {
    const row = await subscribeAndConfirm('prefs-twice@example.org');
    const link = local(await preferencesUrl(config, { id: row.id, tokenVersion: row.token_version }));
    const twice = new URLSearchParams([
      ['interests', 'edited interests'],
      ['send_hour', '7'],
      ['send_hour', '9'],
    ]);
    const refused = await postBody(link, twice);
    expect(refused.status).toBe(400);
    const html = await refused.text();
    expect(html).toContain('Send send_hour once: the form gave it 2 times.');
    expect(html).toContain('edited interests');
    expect(await rowOf('prefs-twice@example.org')).toEqual(row);

    const lists = new URLSearchParams([
      ['interests', 'RLHF'],
      ['interests', 'cs.LG'],
      ['frequency', 'Weekly'],
      ['send_hour', '7pm'],
    ]);
    expect((await postBody(link, lists)).status).toBe(200);
    expect(await rowOf('prefs-twice@example.org')).toMatchObject({
      interests: 'RLHF; cs.LG',
      frequency: 'weekly',
      send_hour: 19,
    });
  });

  it('refuses an address given twice on the data request form', async () => {
    const body = new URLSearchParams([
      ['email', 'data-a@example.org'],
      ['email', 'data-b@example.org'],
      ['action', 'export'],
    ]);
    const response = await postBody('/data', body);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Send email once: the form gave it 2 times.');
  });
});

describe('interests as typed on other devices', () => {
  it('stores "café" typed with a combining accent as the precomposed one', async () => {
    const response = await postForm('/subscribe', {
      email: 'nfc@example.org',
      interests: 'cafe\u0301 culture, caf\u00e9 culture',
    });
    expect(response.status).toBe(200);
    expect((await rowOf('nfc@example.org'))!.interests).toBe('caf\u00e9 culture, caf\u00e9 culture');
    const html = await (
      await postForm(local(linkIn((await emailsTo('nfc@example.org')).at(-1)!.text, '/confirm')), {})
    ).text();
    // Read once by the digest, as the confirmed page shows.
    expect(html).toContain('Topics: caf\u00e9 culture</li>');
  });
});

describe('arXiv categories that do not exist', () => {
  // "cs.ML" reads as a category, so it was neither a topic nor anything arXiv lists: the
  // ingest asked arXiv for it, ranking matched no paper, and the sign-up said nothing.
  const typed = 'diffusion models; cs.ML, "RLHF" <b> 🧪\ncs.CLL';

  it('refuses them on the form with the text kept and the error on the interests field', async () => {
    const response = await writesNothing(() =>
      postForm('/subscribe', {
        email: 'typo-category@example.org',
        interests: typed,
        frequency: 'weekly',
        send_hour: '19',
        time_zone: 'Asia/Tokyo',
      }),
    );
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toMatch(
      /<textarea[^>]*aria-describedby="interests-hint interests-error"[^>]*aria-invalid="true"/,
    );
    expect(html).toContain(
      '<p class="error" id="interests-error"><span class="visually-hidden">Error: </span>&quot;cs.ML&quot; and &quot;cs.CLL&quot; are not arXiv categories',
    );
    expect(html).toContain('Did you mean stat.ML?');
    expect(html).toContain('diffusion models; cs.ML, &quot;RLHF&quot; &lt;b&gt; 🧪\ncs.CLL</textarea>');
    expect(html).toContain('<option value="weekly" selected');
    expect(html).toContain('<option value="19" selected');
    expect(html).toContain('<option value="Asia/Tokyo" selected');
  });

  it('refuses them from JSON clients and on the preferences page, changing nothing', async () => {
    const json = await writesNothing(() =>
      postJson('/subscribe', { email: 'typo-category@example.org', interests: ['cs.ML'] }),
    );
    await expectFieldError(
      json,
      'interests',
      '"cs.ML" is not an arXiv category, so no paper would match it. Did you mean stat.ML? Check the spelling (arxiv.org/category_taxonomy lists them all), or write the topic in words.',
    );
    const row = await subscribeAndConfirm('category-prefs@example.org');
    const link = local(await preferencesUrl(config, { id: row.id, tokenVersion: row.token_version }));
    const refused = await postForm(link, { interests: 'math.XY', send_hour: '6' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('&quot;math.XY&quot; is not an arXiv category');
    expect(await rowOf('category-prefs@example.org')).toEqual(row);
  });

  it('accepts every spelling of real categories, archives alone and topics with dots', async () => {
    const interests =
      'cs.cl and stat.ML; cond-mat.mes-hall; astro-ph.co; physics.Optics; q-bio.nc; hep-th; quant-ph; node.js';
    const response = await postJson('/subscribe', { email: 'real-categories@example.org', interests });
    expect(response.status).toBe(202);
    expect((await rowOf('real-categories@example.org'))!.categories).toBe(
      '["cs.CL","stat.ML","cond-mat.mes-hall","astro-ph.CO","physics.optics","q-bio.NC","hep-th","quant-ph"]',
    );
  });
});

describe('international addresses', () => {
  it('says why an address with letters like ö before the @ is refused, instead of calling it invalid', async () => {
    const response = await writesNothing(() =>
      postForm('/subscribe', { email: 'jörg@example.de', interests: 'RLHF' }),
    );
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain(
      'Error: </span>We cannot send to addresses with letters like ö or 用 before the @ yet. Please use another address.',
    );
    expect(html).toContain('value="jörg@example.de"');
    const json = await postJson('/subscribe', { email: '用户@例子.广告' });
    await expectFieldError(
      json,
      'email',
      'We cannot send to addresses with letters like ö or 用 before the @ yet. Please use another address.',
    );
    // Still invalid, whatever its letters: no @.
    await expectFieldError(
      await postJson('/subscribe', { email: 'jörg.example.de' }),
      'email',
      'Enter a valid email address, like name@example.com.',
    );
  });
});

describe('internationalised domains on our pages', () => {
  it('shows the address in its own letters, not in punycode', async () => {
    // Stored and mailed as user@xn--bcher-kva.example (what mail servers use); shown so, the
    // owner read "We have sent an email to user@xn--bcher-kva.example" as a mistyped address.
    const inbox = await (await postForm('/subscribe', { email: 'user@Bücher.example' })).text();
    expect(inbox).toContain('We have sent an email to <strong>user@bücher.example</strong>');
    expect(inbox).not.toContain('xn--');
    expect((await rowOf('user@xn--bcher-kva.example'))!.email).toBe('user@xn--bcher-kva.example');
    const confirm = local(linkIn((await emailsTo('user@xn--bcher-kva.example')).at(-1)!.text, '/confirm'));
    const page = await (await request(confirm)).text();
    expect(page).toContain('<strong>user@bücher.example</strong>');
    expect(page).not.toContain('xn--');
  });
});
