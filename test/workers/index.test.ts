/**
 * The entry object and the foundation routes: the three handlers exist and run, health
 * reports the schema version, admin auth, the dev outbox, and clear errors for bad config.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import devVarsExample from '../../.dev.vars.example?raw';
import { CRONS } from '../../src/cron';
import { outboxTransport } from '../../src/delivery/transport';
import { ConfigError, DEV_SECRETS, parseConfig } from '../../src/env';
import worker from '../../workers/index';
import emptyAtomFeed from '../fixtures/arxiv/synthetic-atom-empty.xml?raw';
import { ADMIN_TOKEN, adminRequest, BASE_URL, fetchWith, request, runScheduled } from '../helpers/app';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';

describe('worker entry', () => {
  it('exports fetch, scheduled and queue handlers', () => {
    expect(typeof worker.fetch).toBe('function');
    expect(typeof worker.scheduled).toBe('function');
    expect(typeof worker.queue).toBe('function');
  });

  it('serves the landing page and health with the schema version', async () => {
    const home = await request('/');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toContain('text/html');
    expect(await home.text()).toContain('Papers Digest');

    const health = await request('/healthz');
    expect(health.status).toBe(200);
    const body = await health.json<{ ok: boolean; schema_version: number; schema_name: string }>();
    expect(body.ok).toBe(true);
    expect(body.schema_name).toMatch(/^\d{4}_.+\.sql$/);
    // The version is the newest migration's number, whatever gaps the numbering has.
    const newest = env.TEST_MIGRATIONS.map((migration) => migration.name)
      .sort()
      .at(-1)!;
    expect(body.schema_name).toBe(newest);
    expect(body.schema_version).toBe(Number.parseInt(newest, 10));
  });

  it('runs every configured cron, each recording its work, and rejects unknown ones', async () => {
    // A quiet day upstream: both sources answer, with nothing new.
    fakeHttp.use(
      http.get('https://huggingface.co/api/daily_papers', () => HttpResponse.json([])),
      http.get('https://export.arxiv.org/api/query', () =>
        HttpResponse.text(emptyAtomFeed, { headers: { 'content-type': 'application/atom+xml' } }),
      ),
    );
    for (const cron of Object.values(CRONS)) await runScheduled(cron);
    const runs = await env.DB.prepare('SELECT source, status FROM ingest_runs ORDER BY id').all<{
      source: string;
      status: string;
    }>();
    expect(runs.results).toEqual([
      { source: 'hf', status: 'ok' },
      { source: 'arxiv', status: 'ok' },
    ]);
    await expect(runScheduled('1 2 3 4 5')).rejects.toThrow(/No job is configured/);
  });

  it('consumes a queue batch: a send message for finished deliveries and a malformed one are acked', async () => {
    const batch = createMessageBatch('papers-digest-send', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: { kind: 'noop' } },
      {
        id: 'm2',
        timestamp: new Date(),
        attempts: 1,
        body: { v: 1, editionId: 'daily-none', subscriberIds: ['nobody'] },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages).toEqual([]);
    expect([...result.explicitAcks].sort()).toEqual(['m1', 'm2']);
  });

  it('answers unknown paths with 404 in the format the client asked for', async () => {
    const page = await request('/nope', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('Not found');
    const json = await request('/nope', { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(await json.json()).toEqual({ error: { code: 'not_found', message: 'Not found' } });
  });

  it('answers a known path asked with the wrong method with 405 and what it allows', async () => {
    const put = await request('/unsubscribe?token=x', { method: 'PUT', headers: { accept: 'text/html' } });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(put.headers.get('cache-control')).toBe('no-store');
    expect(await put.text()).toContain('does not accept PUT requests, only GET, HEAD, POST');
    const post = await request('/digest?token=x', {
      method: 'POST',
      headers: { accept: 'application/json' },
    });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await post.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
    const deleteVote = await request('/feedback', { method: 'DELETE' });
    expect(deleteVote.status).toBe(405);
    expect(deleteVote.headers.get('allow')).toBe('GET, HEAD, POST');
    // Paths with parameters are matched as the router matches them.
    expect((await request('/papers/2026-01-02', { method: 'POST' })).headers.get('allow')).toBe('GET, HEAD');
    expect((await request('/papers/2026-01-02/x', { method: 'POST' })).status).toBe(404);
  });

  it('sends a page address typed or pasted with a trailing slash to the page, its query kept', async () => {
    // "/papers/" answered "There is nothing at this address" although the archive is there.
    for (const [path, target] of [
      ['/papers/', '/papers'],
      ['/papers/2026-01-02/?page=2', '/papers/2026-01-02?page=2'],
      ['/data/', '/data'],
      ['/confirm/?token=abc.def', '/confirm?token=abc.def'],
    ] as const) {
      for (const method of ['GET', 'HEAD']) {
        const response = await request(path, { method, redirect: 'manual' });
        expect(response.status, `${method} ${path}`).toBe(302);
        expect(response.headers.get('location')).toBe(target);
      }
    }
    // Only to a page that exists, and never for a form post (a redirect would lose its body).
    expect((await request('/nope/', { redirect: 'manual' })).status).toBe(404);
    expect((await request('/webhooks/resend/', { redirect: 'manual' })).status).toBe(404);
    // Never to another site: a browser reads "//data" as the host "data".
    for (const path of ['//data/', '/\\data/', '//127.0.0.1/']) {
      const response = await request(`${BASE_URL}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(404);
      expect(response.headers.get('location')).toBeNull();
    }
    const post = await request('/subscribe/', { method: 'POST', redirect: 'manual' });
    expect(post.status).toBe(404);
  });

  // The redirect was built from the decoded path: an encoded line break became a raw one in
  // Location, which the runtime refuses, and a typo'd address was answered as our failure (500).
  it('redirects to the path as it was sent, its percent-encoding kept', async () => {
    for (const [path, target] of [
      ['/papers/x%0d%0aSet-Cookie:%20a=b/', '/papers/x%0d%0aSet-Cookie:%20a=b'],
      ['/papers/%5C%5Cevil.example/', '/papers/%5C%5Cevil.example'],
      ['/papers/%E2%9C%93/', '/papers/%E2%9C%93'],
    ] as const) {
      const response = await request(`${BASE_URL}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(302);
      expect(response.headers.get('location'), path).toBe(target);
      expect(response.headers.get('set-cookie'), path).toBeNull();
    }
  });

  it('sends a GET of the sign-up address (a reloaded or bookmarked error page) to the form', async () => {
    const reloaded = await request('/subscribe', { redirect: 'manual' });
    expect(reloaded.status).toBe(303);
    expect(reloaded.headers.get('location')).toBe('/');
  });
});

const SECRET_NAMES = ['TOKEN_SECRET', 'ADMIN_TOKEN', 'RESEND_WEBHOOK_SECRET', 'EMAIL_HASH_SECRET'] as const;

/** The values .dev.vars.example sets (the ones left empty are left out). */
const exampleVars = (): Record<string, string> =>
  Object.fromEntries(
    devVarsExample
      .split('\n')
      .filter((line) => /^[A-Z_]+=./.test(line))
      .map((line) => line.split(/=(.*)/s).slice(0, 2)),
  );

/** A complete production configuration with secrets of the accepted strength. */
const productionEnv = () =>
  ({
    ...env,
    ENVIRONMENT: 'production',
    PUBLIC_URL: 'https://digest.example-lab.org',
    MAIL_FROM: 'Papers Digest <digest@example-lab.org>',
    POSTAL_ADDRESS: 'Papers Digest, 5 Rue de la Paix, 75002 Paris',
    OUTBOX: 'off',
    RESEND_API_KEY: 're_x',
    TOKEN_SECRET: 'x'.repeat(40),
    ADMIN_TOKEN: 'y'.repeat(32),
    RESEND_WEBHOOK_SECRET: 'whsec_c2VjcmV0',
    EMAIL_HASH_SECRET: 'z'.repeat(40),
  }) as unknown as Env;

describe('configuration', () => {
  it('fails loudly, naming the missing secrets, outside development', async () => {
    const production = {
      ...env,
      ENVIRONMENT: 'production',
      OUTBOX: 'off',
      TOKEN_SECRET: '',
      ADMIN_TOKEN: undefined,
      RESEND_API_KEY: '',
    };
    const response = await worker.fetch(
      new Request('https://digest.test/healthz', { headers: { accept: 'application/json' } }),
      production,
      createExecutionContext(),
    );
    expect(response.status).toBe(500);
    const body = await response.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe('misconfigured');
    expect(body.error.message).toContain('TOKEN_SECRET is missing');
    expect(body.error.message).toContain('ADMIN_TOKEN is missing');
    expect(body.error.message).toContain('RESEND_API_KEY is missing');
  });

  it('rejects invalid URLs in vars', async () => {
    const broken = { ...env, HF_API_URL: 'not a url' };
    const response = await worker.fetch(
      new Request('https://digest.test/healthz', { headers: { accept: 'application/json' } }),
      broken,
      createExecutionContext(),
    );
    expect(response.status).toBe(500);
    expect((await response.json<{ error: { message: string } }>()).error.message).toContain('HF_API_URL');
  });

  it('accepts a complete production configuration', async () => {
    const response = await worker.fetch(
      new Request('https://digest.test/healthz'),
      productionEnv(),
      createExecutionContext(),
    );
    expect(response.status).toBe(200);
  });

  // A token with a space or "!" passed the length check, then every Bearer header carrying it
  // was refused as malformed (hono/bearer-auth accepts only RFC 6750 token68 characters).
  it('refuses an ADMIN_TOKEN that no Bearer header can carry, and accepts a base64 one', async () => {
    expect(() =>
      parseConfig({ ...productionEnv(), ADMIN_TOKEN: 'correct horse battery staple!' } as Env),
    ).toThrowError(/ADMIN_TOKEN may contain only letters, digits/);
    const base64 = 'q1Jx+7/Zk0vP3mA9bC2dE4fG6hI8jK0lM1nO2pQ3rS4=';
    expect(parseConfig({ ...productionEnv(), ADMIN_TOKEN: base64 } as Env).ADMIN_TOKEN).toBe(base64);
    const { response } = await fetchWith(
      new Request('https://digest.test/admin/stats', { headers: { authorization: `Bearer ${base64}` } }),
      { ...env, ADMIN_TOKEN: base64 } as Env,
    );
    expect(response.status).toBe(200);
  });

  // MAIL_FROM is the From header of every email. A line break (a value pasted with its
  // newline) or an unquoted comma in the name made Resend refuse every request, and a
  // refused request fails its digests for good: the edition went nowhere, quietly.
  it('refuses a MAIL_FROM that is not one mailbox a From header can carry', () => {
    const production = productionEnv();
    for (const from of [
      'Papers Digest <digest@example-lab.org>',
      'digest@example-lab.org',
      '"Papers Digest, Inc." <digest@example-lab.org>',
    ]) {
      expect(parseConfig({ ...production, MAIL_FROM: from } as Env).MAIL_FROM).toBe(from);
    }
    for (const from of [
      'Papers Digest <digest@example-lab.org>\n',
      'Papers Digest <digest@example-lab.org>\r\nBcc: someone@example-lab.net',
      'Papers\tDigest <digest@example-lab.org>',
      'Papers Digest, Inc. <digest@example-lab.org>',
      'Papers Digest <digest@example-lab.org',
      'Papers Digest',
      'digest@example-lab.org, other@example-lab.org',
    ]) {
      expect(() => parseConfig({ ...production, MAIL_FROM: from } as Env), from).toThrowError(/MAIL_FROM/);
    }
  });

  // RFC 8058 §3.1: List-Unsubscribe MUST carry an HTTPS URI for one-click unsubscribe, and
  // PUBLIC_URL is what that URI (and every signed link in an email) is built on.
  it('refuses, in production, a PUBLIC_URL that is not https', () => {
    const production = productionEnv();
    expect(
      parseConfig({ ...production, PUBLIC_URL: 'https://digest.example-lab.org' } as Env).PUBLIC_URL,
    ).toBe('https://digest.example-lab.org');
    expect(() =>
      parseConfig({ ...production, PUBLIC_URL: 'http://digest.example-lab.org' } as Env),
    ).toThrowError(/PUBLIC_URL must start with https:\/\/ in production/);
    // Local development keeps http://localhost.
    expect(
      parseConfig({ ...production, ENVIRONMENT: 'development', PUBLIC_URL: 'http://localhost:8787' } as Env)
        .PUBLIC_URL,
    ).toBe('http://localhost:8787');
  });

  // Security review: production accepted the dev fallbacks and the placeholders of
  // .dev.vars.example, so a deploy from a copied example file let anyone forge any
  // subscriber's links (data export included), use the admin API and sign webhooks.
  it('refuses, in production, every secret published in the repository', () => {
    const production = productionEnv();
    expect(() => parseConfig(production)).not.toThrow();
    const example = exampleVars();
    for (const name of SECRET_NAMES) {
      for (const published of [DEV_SECRETS[name], example[name]]) {
        expect(published, name).toBeTruthy();
        expect(() => parseConfig({ ...production, [name]: published } as Env), name).toThrowError(
          new RegExp(`${name} is a value published in this repository`),
        );
      }
    }
    // Development keeps them, so `npm start` needs no setup.
    expect(parseConfig({ ...production, ...example, ENVIRONMENT: 'development' } as Env).isDevelopment).toBe(
      true,
    );
  });

  // Issue 12 made ENVIRONMENT=test require its secrets because a deploy with it ran on
  // public ones; the published values themselves were still taken there.
  it('refuses the published secrets under ENVIRONMENT=test as well', () => {
    const test = { ...productionEnv(), ENVIRONMENT: 'test' } as Env;
    expect(() => parseConfig(test)).not.toThrow();
    const example = exampleVars();
    for (const name of SECRET_NAMES) {
      for (const published of [DEV_SECRETS[name], example[name]]) {
        expect(() => parseConfig({ ...test, [name]: published } as Env), name).toThrowError(
          new RegExp(`${name} is a value published in this repository`),
        );
      }
    }
  });

  // An audit: production took Cloudflare's always-pass test secret (anyone passes with the
  // public dummy token), and a site key without its secret (or the reverse) silently left
  // the forms unguarded (or closed to everyone).
  it('refuses, in production, a Turnstile site key without its secret (or the reverse), and test secrets', () => {
    const production = productionEnv();
    const own = {
      TURNSTILE_SITE_KEY: '0x4AAAAAAAown-site-key',
      TURNSTILE_SECRET_KEY: '0x4AAAAAAAown-secret',
    };
    expect(parseConfig({ ...production, ...own } as Env).TURNSTILE_SECRET_KEY).toBe(own.TURNSTILE_SECRET_KEY);
    expect(() =>
      parseConfig({ ...production, TURNSTILE_SITE_KEY: own.TURNSTILE_SITE_KEY } as Env),
    ).toThrowError(/TURNSTILE_SITE_KEY is set but TURNSTILE_SECRET_KEY is not/);
    expect(() =>
      parseConfig({ ...production, TURNSTILE_SECRET_KEY: own.TURNSTILE_SECRET_KEY } as Env),
    ).toThrowError(/TURNSTILE_SECRET_KEY is set but TURNSTILE_SITE_KEY is not/);
    for (const secret of ['1x0000000000000000000000000000000AA', '2x0000000000000000000000000000000AA']) {
      expect(() => parseConfig({ ...production, ...own, TURNSTILE_SECRET_KEY: secret } as Env)).toThrowError(
        /published test secrets/,
      );
    }
    // Development keeps Cloudflare's test keys, which .dev.vars.example suggests.
    expect(
      parseConfig({
        ...production,
        ENVIRONMENT: 'development',
        TURNSTILE_SITE_KEY: '1x00000000000000000000AA',
        TURNSTILE_SECRET_KEY: '1x0000000000000000000000000000000AA',
      } as Env).isDevelopment,
    ).toBe(true);
  });

  // Issue 12, "ENVIRONMENT=test counts as development": a test run got the dev secrets and
  // the outbox without asking, so a deploy with ENVIRONMENT=test ran with public secrets.
  it('gives ENVIRONMENT=test no development fallbacks: secrets and the outbox must be configured', () => {
    const bare = { DB: env.DB, SEND_QUEUE: env.SEND_QUEUE, ENVIRONMENT: 'test' } as unknown as Env;
    expect(() => parseConfig(bare)).toThrowError(ConfigError);
    let message = '';
    try {
      parseConfig(bare);
    } catch (error) {
      message = (error as Error).message;
    }
    for (const name of ['TOKEN_SECRET', 'ADMIN_TOKEN', 'EMAIL_HASH_SECRET', 'RESEND_API_KEY']) {
      expect(message).toContain(`${name} is missing`);
    }
    const secrets = {
      TOKEN_SECRET: 'x'.repeat(40),
      ADMIN_TOKEN: 'y'.repeat(32),
      RESEND_WEBHOOK_SECRET: 'whsec_c2VjcmV0',
      EMAIL_HASH_SECRET: 'z'.repeat(40),
    };
    const noOutbox = parseConfig({ ...bare, ...secrets, RESEND_API_KEY: 're_x' } as unknown as Env);
    expect(noOutbox.isDevelopment).toBe(false);
    expect(noOutbox.devTools).toBe(false);
    expect(noOutbox.TOKEN_SECRET).toBe(secrets.TOKEN_SECRET);
    // The outbox only when asked for, and never in production.
    expect(parseConfig({ ...bare, ...secrets, OUTBOX: 'on' } as unknown as Env).devTools).toBe(true);
    expect(() =>
      parseConfig({ ...bare, ...secrets, ENVIRONMENT: 'production', OUTBOX: 'on' } as unknown as Env),
    ).toThrowError(/OUTBOX=on is refused in production/);
    // Development keeps its zero-config start.
    const development = parseConfig({ ...bare, ENVIRONMENT: 'development' } as unknown as Env);
    expect(development.ADMIN_TOKEN).toBe(DEV_SECRETS.ADMIN_TOKEN);
    expect(development.devTools).toBe(true);
  });

  // A bare `wrangler deploy` ships the top-level (development) config, whose admin token
  // and signing secrets are in this repository: such a Worker must not serve the public.
  it('answers only local hosts while development runs on its published fallback secrets', async () => {
    const development = {
      ...env,
      ENVIRONMENT: 'development',
      OUTBOX: '',
      TOKEN_SECRET: undefined,
      ADMIN_TOKEN: undefined,
      RESEND_WEBHOOK_SECRET: undefined,
      EMAIL_HASH_SECRET: undefined,
    } as unknown as Env;
    const fetchAt = (url: string, init?: RequestInit, bindings: Env = development) =>
      worker.fetch(new Request(url, init), bindings, createExecutionContext());

    const deployed = await fetchAt('https://papers-digest.someone.workers.dev/');
    expect(deployed.status).toBe(503);
    expect(await deployed.text()).toContain('npm run deploy');
    const admin = await fetchAt('https://papers-digest.someone.workers.dev/admin/stats', {
      headers: { Authorization: `Bearer ${DEV_SECRETS.ADMIN_TOKEN}` },
    });
    expect(admin.status).toBe(503);
    expect(((await admin.json()) as { error: { code: string } }).error.code).toBe(
      'development_configuration',
    );
    // A look-alike name is not this machine.
    expect((await fetchAt('https://localhost.evil.example/')).status).toBe(503);
    expect((await fetchAt('http://8.8.8.8:8787/')).status).toBe(503);

    for (const local of [
      'http://localhost:8787/',
      'http://127.0.0.1:8787/',
      'http://[::1]:8787/',
      'http://192.168.1.20:8787/',
      'http://papers.localhost:8787/',
    ]) {
      expect((await fetchAt(local)).status, local).toBe(200);
    }
    // With real secrets of its own a development server may be reached by any name (a tunnel).
    const ownSecrets = {
      ...development,
      TOKEN_SECRET: 'x'.repeat(40),
      ADMIN_TOKEN: 'y'.repeat(32),
      RESEND_WEBHOOK_SECRET: 'whsec_c2VjcmV0',
      EMAIL_HASH_SECRET: 'z'.repeat(40),
    } as unknown as Env;
    expect((await fetchAt('https://dev-tunnel.example.net/', undefined, ownSecrets)).status).toBe(200);
  });

  // .dev.vars.example says "Copy to .dev.vars": its placeholders are as public as the
  // fallbacks, but being set they counted as the developer's own secrets, so a server run
  // with the copied file and reached through a tunnel took the published admin token.
  it('answers only local hosts while development runs on the example file or weak secrets', async () => {
    const example = { ...env, ENVIRONMENT: 'development', OUTBOX: '', ...exampleVars() } as Env;
    const weak = { ...productionEnv(), ENVIRONMENT: 'development', ADMIN_TOKEN: 'admin' } as Env;
    for (const [name, bindings] of [
      ['example', example],
      ['weak', weak],
    ] as const) {
      const admin = await worker.fetch(
        new Request('https://dev-tunnel.example.net/admin/stats', {
          headers: { Authorization: `Bearer ${parseConfig(bindings).ADMIN_TOKEN}` },
        }),
        bindings,
        createExecutionContext(),
      );
      expect(admin.status, name).toBe(503);
      const local = await worker.fetch(
        new Request('http://localhost:8787/'),
        bindings,
        createExecutionContext(),
      );
      expect(local.status, name).toBe(200);
    }
  });

  it('serves /dev only when the outbox is configured', async () => {
    const testEnv = { ...env, OUTBOX: 'off', RESEND_API_KEY: 're_x' };
    const response = await worker.fetch(
      new Request('https://digest.test/dev/outbox.json'),
      testEnv,
      createExecutionContext(),
    );
    expect(response.status).toBe(404);
  });

  // README: the outbox and /dev are on "only in development without RESEND_API_KEY". They
  // stayed on with a key, so a development server reached through a tunnel (real secrets,
  // so it answers any host; the README's way to receive Resend's webhooks) showed its
  // outbox, confirmation and preferences links included, to whoever found the address.
  it('turns the outbox and /dev off in development once RESEND_API_KEY is set', async () => {
    // Secrets of its own and a Resend key, as production has them.
    const tunnel = { ...productionEnv(), ENVIRONMENT: 'development', OUTBOX: '' } as Env;
    expect(parseConfig(tunnel).devTools).toBe(false);
    for (const path of ['/dev', '/dev/outbox', '/dev/outbox.json']) {
      const response = await worker.fetch(
        new Request(`https://dev-tunnel.example.net${path}`),
        tunnel,
        createExecutionContext(),
      );
      expect(response.status, path).toBe(404);
    }
    // Asked for explicitly, it is still there.
    expect(parseConfig({ ...tunnel, OUTBOX: 'on' } as unknown as Env).devTools).toBe(true);
  });
});

describe('admin auth', () => {
  it('rejects a missing token with 401 JSON', async () => {
    const response = await request('/admin/stats');
    expect(response.status).toBe(401);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe('unauthorized');
  });

  it('rejects a wrong token, including a prefix of the right one', async () => {
    for (const token of ['wrong', 'dev-admin', 'dev-admin-token-and-more']) {
      const response = await request('/admin/stats', { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(401);
    }
  });

  it('asks browsers for Basic auth and accepts the token as password', async () => {
    const prompt = await request('/admin/stats', { headers: { accept: 'text/html' } });
    expect(prompt.status).toBe(401);
    expect(prompt.headers.get('www-authenticate')).toContain('Basic');
    const basic = await request('/admin/stats', {
      headers: { authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` },
    });
    expect(basic.status).toBe(200);
    const dashboard = await request('/admin', {
      headers: { authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`, accept: 'text/html' },
    });
    expect(dashboard.status).toBe(200);
  });

  // Issue 12, smaller items: "`Bearer <token> junk` is accepted".
  it('rejects malformed Authorization headers, even around the right token', async () => {
    for (const header of [
      `Bearer ${ADMIN_TOKEN} junk`,
      `Bearer ${ADMIN_TOKEN},x`,
      `Bearer${ADMIN_TOKEN}`,
      `Token ${ADMIN_TOKEN}`,
      `Basic ${btoa(`admin:${ADMIN_TOKEN}`)} junk`,
    ]) {
      const response = await request('/admin/stats', { headers: { authorization: header } });
      expect(response.status, header).toBeGreaterThanOrEqual(400);
      expect(response.status, header).toBeLessThan(402);
      expect((await response.json<{ error: { code: string } }>()).error.code).toMatch(
        /^(invalid_authorization|unauthorized)$/,
      );
    }
    const junk = await request('/admin/stats', { headers: { authorization: `Bearer ${ADMIN_TOKEN} junk` } });
    expect(junk.status).toBe(400);
    expect(await junk.json()).toMatchObject({ error: { code: 'invalid_authorization' } });
  });

  // Issue 12, "Admin CSRF": a page on another site auto-submitted a form to POST
  // /admin/digest and the operator's browser added its Basic credentials.
  it('never runs a state-changing admin route on Basic credentials, whatever the origin', async () => {
    const basic = `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`;
    const editionCount = async () =>
      (await env.DB.prepare('SELECT COUNT(*) AS n FROM editions').first<{ n: number }>())!.n;
    const before = await editionCount();
    const attempts: Record<string, string>[] = [
      { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      { 'content-type': 'text/plain', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://digest.test' },
    ];
    for (const headers of attempts) {
      const response = await request('/admin/digest', {
        method: 'POST',
        headers: { ...headers, authorization: basic },
        body: 'all=true',
      });
      expect(response.status).toBe(401);
      expect((await response.json<{ error: { code: string } }>()).error.code).toBe('bearer_required');
    }
    const imported = await request('/admin/subscribers/import', {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'text/csv', origin: 'https://evil.example' },
      body: 'email\ncsrf-victim@example.org',
    });
    expect(imported.status).toBe(401);
    expect(await editionCount()).toBe(before);
    const row = await env.DB.prepare(
      `SELECT 1 FROM subscribers WHERE email = 'csrf-victim@example.org'`,
    ).first();
    expect(row).toBeNull();
    // The same request with the Bearer token is what scripts use, and works.
    const bearer = await adminRequest('/admin/digest', { method: 'POST' });
    expect(bearer.status).toBe(200);
  });

  it('returns the stats shape with the right token', async () => {
    const response = await adminRequest('/admin/stats');
    expect(response.status).toBe(200);
    const stats = await response.json<Record<string, unknown>>();
    expect(stats).toMatchObject({
      papers: expect.any(Number),
      subscribers: {
        pending: expect.any(Number),
        active: expect.any(Number),
        unsubscribed: expect.any(Number),
        suppressed: expect.any(Number),
      },
      deliveries: {
        queued: expect.any(Number),
        sent: expect.any(Number),
        failed: expect.any(Number),
        skipped: expect.any(Number),
      },
    });
  });
});

describe('development outbox', () => {
  it('stores sent emails and shows them as JSON and HTML', async () => {
    const transport = outboxTransport(env.DB);
    const result = await transport.sendBatch(
      [
        {
          from: 'Papers Digest <digest@example.com>',
          to: 'reader@example.org',
          subject: 'Hello <world> & friends',
          html: '<html><head></head><body><p>Hi there</p></body></html>',
          text: 'Hi there',
          headers: { 'List-Unsubscribe': '<https://digest.test/unsubscribe?token=abc>' },
        },
      ],
      { idempotencyKey: 'smoke-1' },
    );
    expect(result.kind).toBe('sent');

    const replay = await transport.sendBatch(
      [{ from: 'a@example.com', to: 'reader@example.org', subject: 'again', html: '', text: '' }],
      { idempotencyKey: 'smoke-1' },
    );
    expect(replay).toEqual(result);

    const list = await request('/dev/outbox.json');
    const emails =
      await list.json<
        {
          id: number;
          to: string;
          subject: string;
          html: string;
          text: string;
          headers: Record<string, string>;
          created_at: string;
        }[]
      >();
    const email = emails.find((item) => item.subject === 'Hello <world> & friends');
    expect(email).toBeDefined();
    expect(emails.filter((item) => item.subject === 'again')).toHaveLength(0);
    expect(email!.to).toBe('reader@example.org');
    expect(email!.text).toBe('Hi there');
    expect(email!.headers['List-Unsubscribe']).toContain('unsubscribe');
    expect(email!.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);

    const page = await request('/dev/outbox', { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(html).toContain('Hello &lt;world&gt; &amp; friends');
    const detail = await request(`/dev/outbox/${email!.id}/html`);
    expect(await detail.text()).toContain('<p>Hi there</p>');
  });

  it('does not exist outside development', async () => {
    const response = await worker.fetch(
      new Request('https://digest.test/dev/outbox.json'),
      productionEnv(),
      createExecutionContext(),
    );
    expect(response.status).toBe(404);
  });
});
