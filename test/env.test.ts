/**
 * What an operator sees when a deploy is misconfigured: every handler of the real Worker
 * (fetch, scheduled, queue) refuses to run, with an error that names the variable and never
 * its secret value, instead of running on a value that silently misbehaves (links built on
 * a host nobody serves, an arXiv category that matches nothing, a webhook secret that
 * turns every Resend event into a 500). The basics (missing secrets, http:// in production,
 * published secrets) are in test/workers/index.test.ts; these are the values that used to
 * pass the check.
 */
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  env,
  getQueueResult,
} from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { CRONS } from '../src/cron';
import { developmentHostRefusal, parseConfig } from '../src/env';
import worker from '../workers/index';
import { CONFIG_RETRY_DELAY_SECONDS } from '../workers/queue';

/** A complete production configuration with secrets of the accepted strength. */
const production = (overrides: Record<string, string>) =>
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
    ...overrides,
  }) as unknown as Env;

/** What a cron or queue invocation ended with: its error, or "accepted". */
const outcomeOf = (run: void | Promise<void>) =>
  Promise.resolve(run).then(
    () => 'accepted',
    (error: Error) => `${error.name}: ${error.message}`,
  );

/** Runs all three handlers on `bindings` and returns the status of fetch and what each said. */
async function everyHandler(bindings: Env): Promise<{ status: number; errors: string[] }> {
  const response = await worker.fetch(
    new Request('https://digest.test/healthz', { headers: { accept: 'application/json' } }),
    bindings,
    createExecutionContext(),
  );
  const body = await response.json<{ error?: { message: string } }>();
  const errors = [body.error?.message ?? `accepted (${response.status})`];
  const controller = createScheduledController({ cron: CRONS.planDigests, scheduledTime: Date.now() });
  errors.push(await outcomeOf(worker.scheduled(controller, bindings, createExecutionContext())));
  // Cron fails the invocation with the error, which Workers Logs records.
  expect(errors[1]).toMatch(/^ConfigError: Invalid configuration/);
  errors.push(await queueRefusal(bindings));
  return { status: response.status, errors };
}

/**
 * What the queue handler says of a misconfigured deploy: its error log line. It does not
 * fail the invocation (the queue would retry the batch at once, spending every retry in
 * seconds and dead-lettering the digests): each message waits CONFIG_RETRY_DELAY_SECONDS
 * for the fix instead.
 */
async function queueRefusal(bindings: Env): Promise<string> {
  const batch = createMessageBatch('papers-digest-send', [
    { id: 'm1', timestamp: new Date(), attempts: 1, body: { v: 1, editionId: 'e', subscriberIds: ['s'] } },
    { id: 'm2', timestamp: new Date(), attempts: 3, body: { v: 1, editionId: 'e', subscriberIds: ['t'] } },
  ]);
  const delays: (number | undefined)[] = [];
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    message.retry = (options?: QueueRetryOptions) => {
      delays.push(options?.delaySeconds);
      retry(options);
    };
  }
  const logged: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => logged.push(String(line)));
  const ctx = createExecutionContext();
  try {
    expect(await outcomeOf(worker.queue(batch, bindings, ctx))).toBe('accepted');
  } finally {
    spy.mockRestore();
  }
  const result = await getQueueResult(batch, ctx);
  expect(result.retryMessages.map((item: { msgId: string }) => item.msgId)).toEqual(['m1', 'm2']);
  expect(result.explicitAcks).toEqual([]);
  expect(delays).toEqual([CONFIG_RETRY_DELAY_SECONDS, CONFIG_RETRY_DELAY_SECONDS]);
  const line = JSON.parse(logged.find((text) => text.includes('queue_config_invalid'))!) as {
    level: string;
    message: string;
    messages: number;
  };
  expect(line).toMatchObject({ level: 'error', messages: 2 });
  expect(line.message).toMatch(/^Invalid configuration/);
  return `ConfigError: ${line.message}`;
}

describe('a misconfigured deploy', () => {
  it('is refused by every handler when PUBLIC_URL has a path, a query or credentials', async () => {
    // Signed links resolve from the host's root (/unsubscribe) while the others keep the
    // path: half the links of every email would lead nowhere, and nothing would say so.
    for (const publicUrl of [
      'https://example.org/digest',
      'https://digest.test/?ref=mail',
      'https://digest.test/#top',
      'https://user:pass@digest.test',
    ]) {
      const { status, errors } = await everyHandler(production({ PUBLIC_URL: publicUrl }));
      expect(status, publicUrl).toBe(500);
      for (const error of errors) expect(error, publicUrl).toMatch(/PUBLIC_URL must be only the origin/);
      expect(errors.join(' '), publicUrl).not.toContain('pass@');
    }
    // A trailing slash is the same origin.
    expect(parseConfig(production({ PUBLIC_URL: 'https://digest.example-lab.org/' })).PUBLIC_URL).toBe(
      'https://digest.example-lab.org',
    );
    // Development too: `--var PUBLIC_URL:http://localhost:8787/app` breaks the same links.
    expect(() =>
      parseConfig({ ...env, ENVIRONMENT: 'development', PUBLIC_URL: 'http://localhost:8787/app' } as Env),
    ).toThrowError(/PUBLIC_URL must be only the origin/);
  });

  it("is refused in production while PUBLIC_URL is still wrangler.toml's placeholder", async () => {
    // `[env.production.vars]` ships PUBLIC_URL = "https://digest.example.com": a deploy that
    // kept it mailed every link (unsubscribe included) to a host that can never be ours.
    for (const publicUrl of [
      'https://digest.example.com',
      'https://example.org',
      'https://news.example',
      'https://digest.test',
    ]) {
      const { status, errors } = await everyHandler(production({ PUBLIC_URL: publicUrl }));
      expect(status, publicUrl).toBe(500);
      for (const error of errors) expect(error, publicUrl).toContain('PUBLIC_URL is an example host');
    }
    expect(parseConfig(production({ PUBLIC_URL: 'https://digest.example-lab.org' })).PUBLIC_URL).toBe(
      'https://digest.example-lab.org',
    );
    // Development may keep the examples.
    expect(
      parseConfig({ ...env, ENVIRONMENT: 'development', PUBLIC_URL: 'https://digest.example.com' } as Env)
        .PUBLIC_URL,
    ).toBe('https://digest.example.com');
  });

  it("is refused in production while POSTAL_ADDRESS is still wrangler.toml's placeholder", async () => {
    // The placeholder went into the footer of every email, where the law of many countries
    // asks for the sender's real postal address.
    const { status, errors } = await everyHandler(
      production({ POSTAL_ADDRESS: 'Papers Digest, 1 Example Street, Example City' }),
    );
    expect(status).toBe(500);
    for (const error of errors) expect(error).toContain('POSTAL_ADDRESS is still the example address');
    // Development keeps it (its default).
    expect(parseConfig({ ...env, ENVIRONMENT: 'development' } as Env).POSTAL_ADDRESS).toContain(
      'Example Street',
    );
  });

  it('is refused in production while MAIL_FROM or REPLY_TO is on a domain reserved for examples', async () => {
    // wrangler.toml's MAIL_FROM (and the default when it is unset) is digest@example.com:
    // Resend refuses a sender on a domain nobody can verify, so every digest failed for
    // good, and a reply address there loses every reply.
    for (const from of [undefined, 'Papers Digest <digest@example.com>', 'digest@news.example.org']) {
      const { status, errors } = await everyHandler(production({ MAIL_FROM: from } as never));
      expect(status, from).toBe(500);
      for (const error of errors) {
        expect(error, from).toContain('MAIL_FROM is on a domain reserved for examples');
        expect(error, from).toContain('verified in Resend');
      }
    }
    for (const from of [
      '"Digest" <digest@lab.example>',
      'digest@mail.invalid',
      'digest@papers.test',
      'digest@box.localhost',
      'Digest <digest@EXAMPLE.NET>',
      'digest@example.com.',
    ]) {
      expect(() => parseConfig(production({ MAIL_FROM: from })), from).toThrowError(
        /MAIL_FROM is on a domain reserved for examples/,
      );
    }
    const { status, errors } = await everyHandler(production({ REPLY_TO: 'replies@example.org' }));
    expect(status).toBe(500);
    for (const error of errors) expect(error).toContain('REPLY_TO is on a domain reserved for examples');
    // Only the domain counts: a name or a local part that says "example" is anyone's.
    const own = parseConfig(
      production({ MAIL_FROM: 'Example Digest <example@my-example.com>', REPLY_TO: 'test@contest.org' }),
    );
    expect([own.MAIL_FROM, own.REPLY_TO]).toEqual([
      'Example Digest <example@my-example.com>',
      'test@contest.org',
    ]);
    // Development and tests keep wrangler.toml's example sender.
    expect(parseConfig({ ...env, ENVIRONMENT: 'development' } as Env).MAIL_FROM).toBe(
      'Papers Digest <digest@example.com>',
    );
    expect(parseConfig(env).MAIL_FROM).toBe('Papers Digest <digest@example.com>');
  });

  it('is refused in production when an upstream API URL is not https', async () => {
    // The URLs are configurable so that tests can reach local fakes: over http:// in
    // production, the Resend API key would cross the network in clear.
    for (const name of ['RESEND_API_URL', 'HF_API_URL', 'ARXIV_API_URL']) {
      const { status, errors } = await everyHandler(production({ [name]: 'http://127.0.0.1:9000' }));
      expect(status, name).toBe(500);
      for (const error of errors) expect(error, name).toContain(`${name} must be https:// in production`);
      expect(
        parseConfig(production({ [name]: 'https://proxy.example-lab.org/api' }))[name as 'HF_API_URL'],
      ).toBe('https://proxy.example-lab.org/api');
      // Development (`npm start -- --var HF_API_URL:http://127.0.0.1:9000`) and tests keep http.
      for (const environment of ['development', 'test']) {
        expect(
          parseConfig({ ...env, ENVIRONMENT: environment, [name]: 'http://127.0.0.1:9000' } as Env)[
            name as 'HF_API_URL'
          ],
          `${name} in ${environment}`,
        ).toBe('http://127.0.0.1:9000');
      }
    }
  });

  it('says how to set a var or a secret for production', async () => {
    // "set it with `wrangler secret put TOKEN_SECRET`" left out --env production, and the
    // other problems did not say where their value lives at all.
    const { errors } = await everyHandler(
      production({
        TOKEN_SECRET: '',
        ADMIN_TOKEN: 'dev-admin-token',
        PUBLIC_URL: 'https://digest.example.com',
      }),
    );
    for (const error of errors) {
      expect(error).toContain('TOKEN_SECRET is missing');
      expect(error).toContain("wrangler.toml's [env.production.vars]");
      expect(error).toContain('`wrangler secret put NAME --env production`');
      expect(error).not.toContain('`wrangler secret put TOKEN_SECRET`');
    }
    // Outside production, where local values live.
    expect(() => parseConfig({ ...env, TOKEN_SECRET: '' } as Env)).toThrowError(/\.dev\.vars/);
    // A development configuration deployed by mistake says the same.
    const development = parseConfig({
      ...env,
      ENVIRONMENT: 'development',
      TOKEN_SECRET: undefined,
    } as unknown as Env);
    const refusal = developmentHostRefusal(development, 'https://papers-digest.someone.workers.dev/');
    expect(refusal).toContain('`npm run deploy`');
    expect(refusal).toContain("wrangler.toml's [env.production.vars]");
    expect(refusal).toContain('`wrangler secret put NAME --env production`');
  });

  it('is refused when ARXIV_CATEGORIES names a category arXiv does not have', async () => {
    // cs.ML is stat.ML; "cs.CL;cs.LG" is one entry; cs.cl is not arXiv's spelling: each
    // was queried as is, matched no paper, and the ingest recorded an ok run with nothing.
    for (const [categories, named] of [
      ['cs.CL,cs.ML', 'cs.ML'],
      ['cs.CL;cs.LG', 'cs.CL;cs.LG'],
      ['cs.cl', 'cs.cl'],
    ] as const) {
      const { status, errors } = await everyHandler(production({ ARXIV_CATEGORIES: categories }));
      expect(status, categories).toBe(500);
      for (const error of errors) {
        expect(error, categories).toContain('ARXIV_CATEGORIES');
        expect(error, categories).toContain(`"${named}"`);
      }
    }
    // The taxonomy's spellings, archives without subject classes and any separators pass.
    expect(
      parseConfig(production({ ARXIV_CATEGORIES: 'cs.CL, stat.ML cond-mat.str-el,hep-th quant-ph' }))
        .ARXIV_CATEGORIES,
    ).toEqual(['cs.CL', 'stat.ML', 'cond-mat.str-el', 'hep-th', 'quant-ph']);
  });

  it('is refused when RESEND_WEBHOOK_SECRET is not a whsec_ secret Resend could have issued', async () => {
    // The check took any "whsec_" prefix: the rest, not base64, made every webhook a 500
    // ("Base64Coder: incorrect characters"), so bounces and complaints were never recorded.
    for (const secret of ['whsec_not base64!', 'whsec_abc', 'whsec_']) {
      const { status, errors } = await everyHandler(production({ RESEND_WEBHOOK_SECRET: secret }));
      expect(status, secret).toBe(500);
      for (const error of errors) {
        expect(error, secret).toContain('RESEND_WEBHOOK_SECRET');
        if (secret.length > 6) expect(error, secret).not.toContain(secret);
      }
    }
    const { errors } = await everyHandler(
      production({ RESEND_WEBHOOK_SECRET: 'c2VjcmV0LXdpdGhvdXQtcHJlZml4' }),
    );
    for (const error of errors) expect(error).toContain('RESEND_WEBHOOK_SECRET must be the "whsec_');
  });

  it('is refused when a binding wrangler does not inherit into [env.production] is missing', async () => {
    // A named environment gets no binding of the top level: one left out of it surfaced as
    // "Cannot read properties of undefined" deep in the planner, or (the burst limiter) as
    // no limit at all.
    for (const name of ['SEND_QUEUE', 'PLAN_QUEUE', 'SUBSCRIBE_IP_LIMITER']) {
      const { status, errors } = await everyHandler(production({ [name]: undefined } as never));
      expect(status, name).toBe(500);
      for (const error of errors) expect(error, name).toContain(`the binding "${name}" is missing`);
    }
  });

  it('names a rate that is not a number', async () => {
    const { status, errors } = await everyHandler(production({ RESEND_RATE_PER_SEC: '2/s' }));
    expect(status).toBe(500);
    for (const error of errors) expect(error).toContain('RESEND_RATE_PER_SEC');
  });
});
