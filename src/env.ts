/**
 * The Worker's bindings and their validation. The binding *types* are generated from
 * wrangler.toml by `npm run cf-typegen` (worker-configuration.d.ts, checked by `npm test`),
 * so they cannot drift from the config; their *values* are parsed here once per env with
 * zod into a typed `Config`, because the types cannot say that a secret is long enough or
 * a URL well-formed. Outside development a missing, weak or published secret (one in this
 * repository) fails loudly with a message naming it, instead of surfacing later as a
 * confusing 500 or as unsigned links.
 * Only ENVIRONMENT=development gets the fixed dev secrets and the outbox by default; a
 * test run configures both explicitly, so nothing test-only can leak into production.
 */
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import {
  ARXIV_CATEGORIES,
  STANDALONE_ARCHIVES,
  sameSubjectCategories,
} from './subscriptions/arxiv-categories';
import { TEST_SECRETS as TURNSTILE_TEST_SECRETS } from './subscriptions/turnstile';

/** Raw bindings as wrangler provides them: the generated `Env` (see worker-configuration.d.ts). */
export type Bindings = Env;

/** Development-only fallbacks; used only when ENVIRONMENT is "development". */
export const DEV_SECRETS = {
  TOKEN_SECRET: 'dev-token-secret-do-not-use-in-production',
  ADMIN_TOKEN: 'dev-admin-token',
  // base64 of "dev-webhook-secret-32-bytes-long!"
  RESEND_WEBHOOK_SECRET: 'whsec_ZGV2LXdlYmhvb2stc2VjcmV0LTMyLWJ5dGVzLWxvbmch',
  EMAIL_HASH_SECRET: 'dev-email-hash-secret-do-not-use-in-production',
} as const;

/**
 * Secrets anyone can read in this repository: the dev fallbacks above and the placeholders
 * of .dev.vars.example (all start with "change-me"). Outside development they are refused
 * (development answers only local hosts with them: developmentHostRefusal): an operator
 * who copied the example file would otherwise run with a TOKEN_SECRET that lets anyone sign
 * an unsubscribe, preferences or data-export link for any subscriber, an admin token
 * anyone can send, and a webhook secret anyone can sign bounces with.
 */
function isPublishedSecret(value: string): boolean {
  return Object.values(DEV_SECRETS).includes(value as never) || /^change-me/i.test(value);
}

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
/** A retention period in days: 0 keeps for ever, otherwise at least `least`. */
const keptDays = (least: number, fallback: number) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number()
      .int()
      .max(36_500)
      .refine((days) => days === 0 || days >= least, `must be 0 (keep for ever) or at least ${least} days`)
      .default(fallback),
  );
const url = (fallback: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .url({ protocol: /^https?$/ })
      .default(fallback)
      .transform((value) => value.replace(/\/+$/, '')),
  );

/**
 * Domains reserved for examples and tests (RFC 2606, RFC 6761), as wrangler.toml's
 * placeholders use: no one can serve, verify or receive mail on them.
 */
const EXAMPLE_DOMAIN = /(?:^|\.)(?:example\.(?:com|net|org)|example|invalid|test|localhost)\.?$/i;

/**
 * The upstream APIs, configurable only so that tests and `npm start` can reach local fakes
 * over http://; production requires https:// (the Resend API key goes with every request).
 */
const API_URLS = {
  RESEND_API_URL: 'https://api.resend.com',
  HF_API_URL: 'https://huggingface.co',
  ARXIV_API_URL: 'https://export.arxiv.org',
} as const;

/** Where an operator sets a var and a secret for production. */
const PRODUCTION_SETTINGS =
  "vars in wrangler.toml's [env.production.vars], secrets with `wrangler secret put NAME --env production`";

const ADDRESS = /[^\s"(),:;<>@[\\\]]+@[^\s"(),:;<>@[\\\]]+/.source;
/** A quoted name (specials and escapes allowed), or a plain one without specials. */
const DISPLAY_NAME = /(?:"(?:[^"\\]|\\.)*"|[^"(),:;<>@[\\\]]*)/.source;
const MAILBOX = new RegExp(`^(?:${ADDRESS}|${DISPLAY_NAME}\\s*<${ADDRESS}>)$`);

/**
 * What is wrong with one ARXIV_CATEGORIES entry, or null. The ingest queries each as
 * written, and arXiv answers a category it does not have (`cs.ML`, `cs.cl`, or two joined
 * by a `;`) with an empty list, which the ingest records as a quiet day: checked here.
 */
function categoryProblem(entry: string): string | null {
  if (ARXIV_CATEGORIES.has(entry) || STANDALONE_ARCHIVES.has(entry)) return null;
  const spelled = [...ARXIV_CATEGORIES, ...STANDALONE_ARCHIVES].find(
    (known) => known.toLowerCase() === entry.toLowerCase(),
  );
  const instead = spelled ? [spelled] : entry.includes('.') ? sameSubjectCategories(entry) : [];
  return `"${entry}" is not an arXiv category${instead.length > 0 ? ` (did you mean ${instead.join(' or ')}?)` : ''}`;
}

/**
 * Whether the webhook route could verify with this secret: the verifier decodes what follows
 * "whsec_" as base64 on every request, and a secret it cannot decode (a truncated paste, a
 * stray character) threw there, a 500 for every Resend event, so no bounce or complaint was
 * ever recorded. Decoded here by the same library, once.
 */
function isWebhookSecret(secret: string): boolean {
  try {
    new Webhook(secret);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a From value is one RFC 5322 mailbox that Resend accepts: an address, or a display
 * name and the address in angle brackets. It is the From header of every email, so a control
 * character (a pasted value's newline would split the header) or an unquoted special in the
 * name (a comma makes two mailboxes of one) gets every request refused, and a refused
 * request fails its digests for good. Checked when the configuration is read instead.
 */
function isOneMailbox(value: string): boolean {
  return !/\p{Cc}/u.test(value) && MAILBOX.test(value.trim());
}

/** The address of a From value: the part in angle brackets, or the whole value. */
export function mailboxAddress(mailbox: string): string {
  return /<([^<>]+)>\s*$/.exec(mailbox)?.[1]?.trim() ?? mailbox.trim();
}

const rawSchema = z.object({
  ENVIRONMENT: z.preprocess(
    emptyToUndefined,
    z.enum(['development', 'test', 'production']).default('production'),
  ),
  PUBLIC_URL: url('http://localhost:8787'),
  MAIL_FROM: z.preprocess(emptyToUndefined, z.string().min(3).default('Papers Digest <digest@example.com>')),
  POSTAL_ADDRESS: z.preprocess(emptyToUndefined, z.string().default('')),
  // Where replies to every email go (Resend's reply_to), when not to MAIL_FROM: often a
  // no-reply sending address, with a monitored inbox here. One bare address: it becomes a
  // header of every email, so a malformed one would get every request refused.
  REPLY_TO: z.preprocess(emptyToUndefined, z.email().optional()),
  RESEND_API_URL: url(API_URLS.RESEND_API_URL),
  HF_API_URL: url(API_URLS.HF_API_URL),
  ARXIV_API_URL: url(API_URLS.ARXIV_API_URL),
  ARXIV_CATEGORIES: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default('cs.CL,cs.LG,cs.AI,cs.CV')
      .transform((value) =>
        value
          .split(/[,\s]+/)
          .map((category) => category.trim())
          .filter(Boolean),
      ),
  ),
  RESEND_RATE_PER_SEC: z.preprocess(emptyToUndefined, z.coerce.number().positive().max(100).default(2)),
  // How long one Resend request may take before it counts as a timeout (retried under the same key).
  RESEND_TIMEOUT_MS: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(100).max(120_000).default(20_000),
  ),
  TURNSTILE_SITE_KEY: optionalString,
  // Accepted public-form submissions per IPv4 address or IPv6 /64 a day (0: no daily cap).
  FORM_SUBMISSIONS_PER_IP_PER_DAY: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(0).max(1_000_000).default(20),
  ),
  // Days a sent digest (its row, web view, 👍/👎 links, feed entry) is kept; 0 = for ever.
  // At least 12: the rows say what a subscriber was sent within a candidate window (8 days
  // before its edition), and a weekly digest may still be ranked up to 72 h after planning
  // (parked through a quota pause; it expires then, at the next hourly sweep): a digest
  // queued just inside that window must outlive it, 11 days and an hour, rounded up.
  DIGEST_RETENTION_DAYS: keptDays(12, 30),
  // Days a paper is kept (the public archive reaches that far back); 0 = for ever. At least
  // 30, past every lookback of the ingest (a paper deleted while a source still lists it
  // would come back as new). A paper stored inside the window of an edition still kept stays
  // whatever its age (src/db/retention.ts), so this never takes a paper from a kept digest.
  PAPER_RETENTION_DAYS: keptDays(30, 365),
  // "on": email goes to the D1 outbox (browsable at /dev) instead of Resend. Default: on in
  // development without RESEND_API_KEY, off everywhere else; refused in production.
  OUTBOX: z.preprocess(emptyToUndefined, z.enum(['on', 'off']).optional()),
  RESEND_API_KEY: optionalString,
  TOKEN_SECRET: optionalString,
  ADMIN_TOKEN: optionalString,
  RESEND_WEBHOOK_SECRET: optionalString,
  EMAIL_HASH_SECRET: optionalString,
  TURNSTILE_SECRET_KEY: optionalString,
});

type SecretName = keyof typeof DEV_SECRETS;

export type Config = Omit<z.output<typeof rawSchema>, SecretName | 'OUTBOX'> &
  Record<SecretName, string> & {
    /** ENVIRONMENT is "development": dev secrets, the dev notice on the landing page. */
    isDevelopment: boolean;
    /** The development outbox and /dev pages are on (never in production). */
    devTools: boolean;
    /**
     * Development runs with at least one secret anyone may know: a fallback from DEV_SECRETS,
     * a placeholder of .dev.vars.example (both published in this repository), or one too short.
     */
    usesDevSecrets: boolean;
  };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Every problem in one error, then where the values it names are set in that environment. */
function configError(environment: unknown, problems: string[]): ConfigError {
  const where =
    environment === 'production'
      ? `${PRODUCTION_SETTINGS}, then run \`npm run deploy\``
      : "vars in wrangler.toml's [vars] or `--var NAME:VALUE`, secrets in .dev.vars";
  return new ConfigError(
    `Invalid configuration (ENVIRONMENT=${environment}): ${problems.join('; ')}. Set ${where}.`,
  );
}

const cache = new WeakMap<object, Config>();

/**
 * Validates the bindings once per env object (workerd reuses it across requests).
 * Throws ConfigError with every problem listed, so one deploy log line says what to fix.
 */
export function parseConfig(env: Bindings): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  if (!env.DB)
    throw new ConfigError('Invalid configuration: the D1 binding "DB" is missing (see wrangler.toml)');

  const parsed = rawSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw configError(env.ENVIRONMENT || 'production', problems);
  }
  const { OUTBOX, ...raw } = parsed.data;
  const isDevelopment = raw.ENVIRONMENT === 'development';
  const problems: string[] = [];
  let usesDevSecrets = false;
  const secret = (name: SecretName, minLength: number): string => {
    const value = raw[name];
    if (value && !isDevelopment && isPublishedSecret(value)) {
      problems.push(`${name} is a value published in this repository: set a random secret of your own`);
      return '';
    }
    if (value && value.length >= minLength) {
      // The example file's placeholders are as public as the fallbacks, though set.
      usesDevSecrets ||= isDevelopment && isPublishedSecret(value);
      return value;
    }
    if (isDevelopment) {
      usesDevSecrets = true;
      return value ?? DEV_SECRETS[name];
    }
    problems.push(value ? `${name} is too short (at least ${minLength} characters)` : `${name} is missing`);
    return '';
  };
  const config: Config = {
    ...raw,
    TOKEN_SECRET: secret('TOKEN_SECRET', 32),
    ADMIN_TOKEN: secret('ADMIN_TOKEN', 16),
    RESEND_WEBHOOK_SECRET: secret('RESEND_WEBHOOK_SECRET', 10),
    EMAIL_HASH_SECRET: secret('EMAIL_HASH_SECRET', 32),
    isDevelopment,
    // Without OUTBOX, only a development run with no way to send real mail: one with a key
    // sends through Resend, and may be reached from outside (a tunnel for its webhooks).
    devTools: OUTBOX === 'on' || (isDevelopment && OUTBOX === undefined && !raw.RESEND_API_KEY),
    usesDevSecrets,
  };
  // Every link in an email is PUBLIC_URL and a path from the root (the Worker serves its
  // pages there), and signed links resolve from the root while the others append: a path,
  // query or fragment would leave half the links of every email leading nowhere, without a
  // word. Credentials would be mailed to every subscriber. Only the origin is accepted, and
  // stored as the URL parser spells it (lower-case host, no default port).
  const publicUrl = new URL(raw.PUBLIC_URL);
  if (publicUrl.pathname !== '/' || /[?#]/.test(raw.PUBLIC_URL) || publicUrl.username || publicUrl.password) {
    problems.push(
      'PUBLIC_URL must be only the origin (scheme, host and optional port, like https://digest.example.org): no path, query, fragment or user name, since every page is served from the root of its host',
    );
  } else {
    config.PUBLIC_URL = publicUrl.origin;
  }
  // wrangler.toml's production PUBLIC_URL is a placeholder on a domain reserved for examples
  // (RFC 2606): kept by mistake, every link of every email, unsubscribe included, would lead
  // to a host that can never be ours, and nothing else would notice.
  if (raw.ENVIRONMENT === 'production' && EXAMPLE_DOMAIN.test(publicUrl.hostname)) {
    problems.push(
      "PUBLIC_URL is an example host: set it to the Worker's own URL (its workers.dev address or your domain)",
    );
  }
  // So is its MAIL_FROM (and the default one): Resend refuses a sender on a domain nobody
  // can verify, which fails every digest for good; replies sent to such a REPLY_TO are lost.
  const senders = [
    ['MAIL_FROM', mailboxAddress(raw.MAIL_FROM), 'an address on your own domain, verified in Resend'],
    ['REPLY_TO', raw.REPLY_TO ?? '', 'an inbox you read, or leave it empty (replies go to MAIL_FROM)'],
  ] as const;
  for (const [name, address, instead] of senders) {
    if (raw.ENVIRONMENT === 'production' && EXAMPLE_DOMAIN.test(address.replace(/^.*@/, ''))) {
      problems.push(`${name} is on a domain reserved for examples (${address}): set it to ${instead}`);
    }
  }
  for (const name of Object.keys(API_URLS) as (keyof typeof API_URLS)[]) {
    if (raw.ENVIRONMENT === 'production' && new URL(raw[name]).protocol !== 'https:') {
      problems.push(
        `${name} must be https:// in production (${API_URLS[name]}): http:// is for local fakes in development and tests`,
      );
    }
  }
  const unknownCategories = raw.ARXIV_CATEGORIES.map(categoryProblem).filter(Boolean);
  if (unknownCategories.length > 0) {
    problems.push(
      `ARXIV_CATEGORIES: ${unknownCategories.join('; ')}. Use arXiv's spelling (cs.CL, stat.ML, hep-th), separated by commas`,
    );
  }
  // RFC 8058: the one-click List-Unsubscribe URI MUST be HTTPS (Gmail and Yahoo ignore
  // one-click otherwise), and every link in an email carries a token.
  if (raw.ENVIRONMENT === 'production' && !raw.PUBLIC_URL.startsWith('https://')) {
    problems.push(
      'PUBLIC_URL must start with https:// in production: one-click unsubscribe (RFC 8058) and the signed links in every email need HTTPS',
    );
  }
  // Likewise the footer's postal address: the placeholder would be printed in every email,
  // where the law of many countries asks for the sender's real one.
  if (raw.ENVIRONMENT === 'production' && /\bexample (?:street|city)\b/i.test(raw.POSTAL_ADDRESS)) {
    problems.push(
      "POSTAL_ADDRESS is still the example address: set it to the sender's real postal address (shown in every email)",
    );
  }
  if (!isOneMailbox(raw.MAIL_FROM)) {
    problems.push(
      'MAIL_FROM must be one address, alone ("digest@example.org") or after a name ("Papers Digest <digest@example.org>", the name in double quotes if it has a comma), with no line break',
    );
  }
  if (raw.ENVIRONMENT === 'production' && OUTBOX === 'on') {
    problems.push('OUTBOX=on is refused in production: it would keep mail in D1 and show it at /dev');
  }
  if (!config.devTools && !raw.RESEND_API_KEY) {
    problems.push('RESEND_API_KEY is missing (or set OUTBOX=on, outside production)');
  }
  // RFC 6750's token68 syntax, which hono/bearer-auth enforces on the header: a token with
  // other characters (a space, "!", "#"...) could never be sent, so admin would stay locked
  // behind a "malformed header" error although the operator sent exactly the token.
  if (config.ADMIN_TOKEN && !/^[A-Za-z0-9._~+/-]+=*$/.test(config.ADMIN_TOKEN)) {
    problems.push(
      'ADMIN_TOKEN may contain only letters, digits and . _ ~ + / - (then = padding), or no "Authorization: Bearer" header can carry it: generate one with `openssl rand -base64 32`',
    );
  }
  if (!isDevelopment && config.RESEND_WEBHOOK_SECRET && !config.RESEND_WEBHOOK_SECRET.startsWith('whsec_')) {
    problems.push('RESEND_WEBHOOK_SECRET must be the "whsec_..." signing secret from the Resend dashboard');
  } else if (config.RESEND_WEBHOOK_SECRET && !isWebhookSecret(config.RESEND_WEBHOOK_SECRET)) {
    problems.push(
      'RESEND_WEBHOOK_SECRET is not a signing secret: after "whsec_" it must be base64, as the Resend dashboard shows it (copy it whole)',
    );
  }
  // Turnstile is on when its secret is set, and the forms show the widget when the site key
  // is: one without the other leaves the forms unguarded (a widget nobody checks) or closed
  // to everyone (a check no widget can pass). A test secret lets anyone through with
  // Cloudflare's public dummy token (or nobody at all).
  if (
    raw.ENVIRONMENT === 'production' &&
    Boolean(raw.TURNSTILE_SITE_KEY) !== Boolean(raw.TURNSTILE_SECRET_KEY)
  ) {
    problems.push(
      raw.TURNSTILE_SITE_KEY
        ? 'TURNSTILE_SITE_KEY is set but TURNSTILE_SECRET_KEY is not: the widget would show and nothing would check it (set both, or neither)'
        : 'TURNSTILE_SECRET_KEY is set but TURNSTILE_SITE_KEY is not: no form could pass the check (set both, or neither)',
    );
  }
  if (
    raw.ENVIRONMENT === 'production' &&
    raw.TURNSTILE_SECRET_KEY &&
    TURNSTILE_TEST_SECRETS.has(raw.TURNSTILE_SECRET_KEY)
  ) {
    problems.push(
      "TURNSTILE_SECRET_KEY is one of Cloudflare's published test secrets: set the secret of your own widget",
    );
  }
  if (problems.length > 0) {
    throw configError(raw.ENVIRONMENT, problems);
  }
  cache.set(env, config);
  return config;
}

/** Everything a domain function may need from the environment: validated config plus bindings. */
export interface AppContext {
  config: Config;
  db: D1Database;
  queue: Queue<unknown>;
  planQueue: Queue<unknown>;
  bindings: Bindings;
}

/**
 * Why a request must be refused because the development configuration answers a host
 * that is not this machine or its network, or null. `wrangler deploy` without
 * `--env production` ships the top-level, development config: its admin token and signing
 * secrets are published in this repository, so a deployed copy would let anyone in. Such a
 * Worker answers nothing but this explanation. Loopback and private addresses stay open
 * (a phone on the developer's network), and so does any host once real secrets of its own
 * (not the placeholders of .dev.vars.example) are set in .dev.vars (a tunnel for Resend's
 * webhooks); Cloudflare routes a deployed Worker only by its own host names, so a request
 * cannot pose as localhost.
 */
export function developmentHostRefusal(config: Config, url: string): string | null {
  if (!config.usesDevSecrets) return null;
  const { hostname } = new URL(url);
  if (isLocalHost(hostname)) return null;
  return (
    `This server runs its development configuration, whose secrets are published, so it only answers on localhost (this request was for ${hostname}). ` +
    `To deploy, set ${PRODUCTION_SETTINGS}, then run \`npm run deploy\` (wrangler deploy --env production); to reach a development server under another name, set TOKEN_SECRET, ADMIN_TOKEN, RESEND_WEBHOOK_SECRET and EMAIL_HASH_SECRET in .dev.vars to random values of your own (not the examples).`
  );
}

const PRIVATE_IPV4 = /^(127|10)\.|^192\.168\.|^172\.(1[6-9]|2\d|3[01])\.|^169\.254\.|^0\.0\.0\.0$/;

function isLocalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return PRIVATE_IPV4.test(host);
  // IPv6 literals come bracketed: loopback, unique local (fc00::/7), link-local (fe80::/10).
  return host === '[::1]' || /^\[f[cd][0-9a-f]{0,2}:/.test(host) || /^\[fe[89ab][0-9a-f]?:/.test(host);
}

export function appContext(env: Bindings): AppContext {
  const config = parseConfig(env);
  // wrangler gives a named environment ([env.production]) none of the top level's bindings:
  // one left out there surfaced as "Cannot read properties of undefined" deep in the
  // planner, or, the burst limiter (optional in tests), as no per-IP limit at all.
  const missing = ['SEND_QUEUE', 'PLAN_QUEUE']
    .concat(config.ENVIRONMENT === 'production' ? ['SUBSCRIBE_IP_LIMITER'] : [])
    .filter((name) => !env[name as keyof Bindings]);
  if (missing.length > 0) {
    throw new ConfigError(
      `Invalid configuration (ENVIRONMENT=${config.ENVIRONMENT}): ${missing.map((name) => `the binding "${name}" is missing`).join('; ')} (see wrangler.toml: each [env.*] repeats every binding)`,
    );
  }
  return {
    config,
    db: env.DB,
    queue: env.SEND_QUEUE,
    planQueue: env.PLAN_QUEUE,
    bindings: env,
  };
}
