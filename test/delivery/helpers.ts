/**
 * Shared fixtures for the delivery tests: rows seeded straight into D1 (subscribers and
 * papers as the other areas store them), an env copy that selects the Resend transport and
 * records what the planner enqueues, the Worker's real queue handler driven message by
 * message (following retries like the queue would), and a fake Resend at the HTTP boundary
 * that behaves like the real one: `{data:[{id}]}`, error bodies `{name, message,
 * statusCode}`, idempotency keys replayed for 24 h and refused (409) when reused with a
 * different body.
 */
import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { vi } from 'vitest';
import type { DeliveryRow } from '../../src/db/deliveries';
import { getRecentlySentPaperIds } from '../../src/db/sending';
import type { Paper, Subscriber } from '../../src/domain';
import worker from '../../workers/index';
import { insertPapers, insertSubscribers, makePaper, makeSubscriber, uniqueSuffix } from '../factories';
import { fakeHttp, HttpResponse, http } from '../helpers/fake-http';

export const RESEND_BATCH_URL = 'https://api.resend.com/emails/batch';
export const SEND_QUEUE = 'papers-digest-send';
export const DEAD_LETTER_QUEUE = 'papers-digest-send-dlq';
export const PLAN_QUEUE = 'papers-digest-plan';

/** A subscriber row as the sign-up area stores it; defaults suit the delivery tests. */
export async function seedSubscriber(seed: Partial<Subscriber> = {}): Promise<Subscriber> {
  const subscriber = makeSubscriber({ digestSize: 5, ...seed });
  await insertSubscribers(env.DB, [subscriber]);
  return subscriber;
}

/** Many subscribers in few statements (the benchmark-sized cases). */
export async function seedSubscribers(count: number, seed: Partial<Subscriber> = {}): Promise<string[]> {
  const subscribers = Array.from({ length: count }, () => makeSubscriber({ digestSize: 5, ...seed }));
  await insertSubscribers(env.DB, subscribers);
  return subscribers.map((subscriber) => subscriber.id);
}

let paperCounter = 0;

/** A candidate paper about diffusion models, first ingested at `ingestedAt`. */
export function candidatePaper(overrides: Partial<Paper> & { ingestedAt: string }): Paper {
  const id = overrides.id ?? `2611.${String(10000 + paperCounter++).slice(-5)}`;
  const categories = overrides.categories ?? ['cs.LG'];
  return makePaper({
    id,
    title: `Diffusion models for sparse attention ${id}`,
    abstract: 'We study diffusion models and attention in large language models.',
    authors: ['Ada Lovelace', 'Alan Turing'],
    categories,
    primaryCategory: categories[0] ?? null,
    links: {
      abs: `https://arxiv.org/abs/${id}`,
      pdf: `https://arxiv.org/pdf/${id}`,
      hf: null,
      code: null,
      project: null,
    },
    upvotes: 10,
    sources: ['arxiv'],
    publishedAt: overrides.ingestedAt,
    refreshedAt: overrides.ingestedAt,
    ...overrides,
  });
}

/** Stores candidate papers, a statement per 200: thousands in one call. */
export async function seedPapers(
  papers: readonly (Partial<Paper> & { ingestedAt: string })[],
): Promise<string[]> {
  const rows = papers.map(candidatePaper);
  await insertPapers(env.DB, rows);
  return rows.map((paper) => paper.id);
}

export async function seedPaper(overrides: Partial<Paper> & { ingestedAt: string }): Promise<string> {
  return (await seedPapers([overrides]))[0]!;
}

/** A Queue binding that records what the planner sends (so tests decide when messages run). */
export function recordingQueue() {
  const bodies: unknown[] = [];
  const batchSizes: number[] = [];
  /** The delay each message was sent with (null: none), in the order of `bodies`. */
  const delays: (number | null)[] = [];
  const queue = {
    async send(body: unknown, options?: QueueSendOptions) {
      bodies.push(body);
      delays.push(options?.delaySeconds ?? null);
      batchSizes.push(1);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<unknown>>) {
      const list = [...messages];
      batchSizes.push(list.length);
      for (const message of list) {
        bodies.push(message.body);
        delays.push(message.delaySeconds ?? null);
      }
    },
  } as unknown as Queue<unknown>;
  return { queue, bodies, batchSizes, delays };
}

export type TestEnv = typeof env;

/**
 * The test env with the Resend transport selected (fast pacing, short timeout) and
 * recording queues: `queued` holds send messages, `continuations` plan-queue messages.
 */
export function resendEnv(overrides: Partial<Record<string, unknown>> = {}) {
  const recorder = recordingQueue();
  const plans = recordingQueue();
  const testEnv = {
    ...env,
    SEND_QUEUE: recorder.queue,
    PLAN_QUEUE: plans.queue,
    RESEND_API_KEY: 're_test_key',
    RESEND_RATE_PER_SEC: '50',
    RESEND_TIMEOUT_MS: '400',
    ...overrides,
  } as TestEnv;
  return {
    env: testEnv,
    queued: recorder.bodies,
    /** The delay each of `queued` was sent with (null: none). */
    queuedDelays: recorder.delays,
    batchSizes: recorder.batchSizes,
    continuations: plans.bodies,
  };
}

export async function planViaAdmin(
  testEnv: TestEnv,
  body: Record<string, unknown> | undefined,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request('https://digest.test/admin/digest', {
      method: 'POST',
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    testEnv,
    ctx,
  );
  // What the run left for after its answer (warming the edition) finishes inside the test.
  await waitOnExecutionContext(ctx);
  return { status: response.status, json: await response.json<Record<string, unknown>>() };
}

export interface QueueRun {
  acked: boolean;
  retryDelay: number | null;
}

/**
 * Delivers one message to the Worker's real queue handler, as the queue would. The pool's
 * getQueueResult does not report retry delays, so the message's retry() is observed too.
 */
export async function deliver(
  testEnv: TestEnv,
  body: unknown,
  attempts = 1,
  queue = SEND_QUEUE,
): Promise<QueueRun> {
  return (await deliverBatch(testEnv, [body], attempts, queue))[0]!;
}

/** Delivers several messages in ONE batch (one invocation), as the queue does up to max_batch_size. */
export async function deliverBatch(
  testEnv: TestEnv,
  bodies: unknown[],
  attempts = 1,
  queue = SEND_QUEUE,
): Promise<QueueRun[]> {
  const batch = createMessageBatch(
    queue,
    bodies.map((body) => ({ id: `msg-${uniqueSuffix()}`, timestamp: new Date(), attempts, body })),
  );
  const delays = new Map<string, number>();
  const observed: MessageBatch<unknown> = {
    queue: batch.queue,
    metadata: batch.metadata,
    messages: batch.messages.map((message) => ({
      id: message.id,
      timestamp: message.timestamp,
      body: message.body,
      attempts: message.attempts,
      ack: () => message.ack(),
      retry: (options?: QueueRetryOptions) => {
        delays.set(message.id, options?.delaySeconds ?? 0);
        message.retry(options);
      },
    })),
    ackAll: () => batch.ackAll(),
    retryAll: (options?: QueueRetryOptions) => batch.retryAll(options),
  };
  const ctx = createExecutionContext();
  await worker.queue(observed, testEnv, ctx);
  const result = await getQueueResult(batch, ctx);
  return batch.messages.map((message) => {
    const retried =
      result.retryMessages.some((item: { msgId: string }) => item.msgId === message.id) ||
      result.retryBatch.retry;
    return {
      acked: !retried && (result.explicitAcks.includes(message.id) || result.ackAll),
      retryDelay: retried ? (delays.get(message.id) ?? 0) : null,
    };
  });
}

/** Delivers a message until it is acked (following retries), returning every run. */
export async function deliverUntilAcked(
  testEnv: TestEnv,
  body: unknown,
  maxAttempts = 6,
): Promise<QueueRun[]> {
  const runs: QueueRun[] = [];
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const run = await deliver(testEnv, body, attempt);
    runs.push(run);
    if (run.acked) break;
  }
  return runs;
}

export interface ResendRequest {
  key: string | null;
  /** Arrival time (epoch ms). */
  at: number;
  authorization: string | null;
  batchValidation: string | null;
  emails: {
    from: string;
    to: string | string[];
    subject: string;
    html: string;
    text: string;
    headers?: Record<string, string>;
    tags?: { name: string; value: string }[];
  }[];
}

export type Step =
  | 'accept'
  /** Resend accepts and sends, but the connection drops before the client reads the answer. */
  | 'accept-then-drop'
  | { status: number; name: string; message?: string; headers?: Record<string, string> }
  | 'network-error'
  | 'hang';

/**
 * The fake Resend batch endpoint. `steps` answer the first requests in order (then every
 * request is accepted). Keys are remembered like Resend does: a replay returns the first
 * 2xx answer, a different body under a known key gets 409 invalid_idempotent_request.
 * With `rateLimit`, every answer carries Resend's RateLimit headers for that many requests
 * per one-second window (others' requests can be added with `usedByOthers`; `transitMs`
 * delays the arrival of the first requests, as a slow connection would, `answerMs` the
 * answer to them after they were counted, as a batch Resend takes time over), and a request
 * beyond it gets 429 rate_limit_exceeded with retry-after. `refuses` names recipients
 * Resend's validator rejects: as in strict batch validation, a batch holding one of them
 * gets 422 validation_error and none of its emails is sent.
 */
export function fakeResend(
  steps: Step[] = [],
  rateLimit?: { limit: number; transitMs?: number[]; answerMs?: number[] },
  refuses: (to: string) => boolean = () => false,
) {
  const requests: ResendRequest[] = [];
  /** When each request arrived (epoch ms), including those of other senders on the team. */
  const arrivals: number[] = [];
  let othersBeforeNext = 0;
  const window = (now: number) => arrivals.filter((at) => at > now - 1000);
  const rateHeaders = (now: number): Record<string, string> => {
    if (!rateLimit) return {};
    const inWindow = window(now);
    return {
      'ratelimit-limit': String(rateLimit.limit),
      'ratelimit-remaining': String(Math.max(0, rateLimit.limit - inWindow.length)),
      'ratelimit-reset': String(Math.max(1, Math.ceil(((inWindow[0] ?? now) + 1000 - now) / 1000))),
    };
  };
  /** Emails Resend actually accepted (what recipients receive). */
  const delivered: { id: string; to: string; subject: string; key: string | null }[] = [];
  const byKey = new Map<string, { body: string; response: { data: { id: string }[] } }>();
  let answered = 0;
  fakeHttp.use(
    http.post(RESEND_BATCH_URL, async ({ request }) => {
      // A request reaches Resend some time after it left: the window counts its arrival.
      const transit = rateLimit?.transitMs?.[requests.length] ?? 0;
      if (transit > 0) await new Promise((resolve) => setTimeout(resolve, transit));
      const now = Date.now();
      for (; othersBeforeNext > 0; othersBeforeNext--) arrivals.push(now - 1);
      const raw = await request.text();
      const key = request.headers.get('idempotency-key');
      const emails = JSON.parse(raw) as ResendRequest['emails'];
      requests.push({
        key,
        authorization: request.headers.get('authorization'),
        batchValidation: request.headers.get('x-batch-validation'),
        emails,
        at: now,
      });
      if (rateLimit && window(now).length >= rateLimit.limit) {
        const headers = rateHeaders(now);
        return HttpResponse.json(
          { name: 'rate_limit_exceeded', message: 'Too many requests.', statusCode: 429 },
          { status: 429, headers: { ...headers, 'retry-after': headers['ratelimit-reset']! } },
        );
      }
      if (rateLimit) arrivals.push(now);
      const answerDelay = rateLimit?.answerMs?.[requests.length - 1] ?? 0;
      if (answerDelay > 0) await new Promise((resolve) => setTimeout(resolve, answerDelay));
      if (key && byKey.has(key)) {
        const previous = byKey.get(key)!;
        if (previous.body !== raw) {
          return HttpResponse.json(
            {
              name: 'invalid_idempotent_request',
              message: 'Same idempotency key used with a different request payload.',
              statusCode: 409,
            },
            { status: 409 },
          );
        }
        return HttpResponse.json(previous.response);
      }
      const step = steps[answered++] ?? 'accept';
      if (step === 'network-error') return HttpResponse.error();
      if (step === 'hang') {
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        return HttpResponse.error();
      }
      if (typeof step === 'object') {
        return HttpResponse.json(
          { name: step.name, message: step.message ?? step.name, statusCode: step.status },
          { status: step.status, headers: step.headers },
        );
      }
      if (emails.length > 100) {
        return HttpResponse.json(
          { name: 'validation_error', message: 'Too many emails', statusCode: 422 },
          { status: 422 },
        );
      }
      if (emails.some((email) => refuses(Array.isArray(email.to) ? email.to[0]! : email.to))) {
        return HttpResponse.json(
          {
            name: 'validation_error',
            message: 'Invalid `to` field. The email address needs to follow the `email@example.com` format.',
            statusCode: 422,
          },
          { status: 422 },
        );
      }
      const response = { data: emails.map(() => ({ id: crypto.randomUUID() })) };
      emails.forEach((email, index) => {
        delivered.push({
          id: response.data[index]!.id,
          to: Array.isArray(email.to) ? email.to[0]! : email.to,
          subject: email.subject,
          key,
        });
      });
      if (key) byKey.set(key, { body: raw, response });
      if (step === 'accept-then-drop') return HttpResponse.error();
      return HttpResponse.json(response, { headers: rateHeaders(now) });
    }),
  );
  /**
   * Another sender on the same team (a transactional email, say) used the window just before
   * our next request arrives.
   */
  const usedByOthers = () => {
    othersBeforeNext++;
  };
  /** Resend keeps an Idempotency-Key for 24 h: what it knows a day later. */
  const forgetKeys = () => {
    byKey.clear();
  };
  return { requests, delivered, usedByOthers, forgetKeys };
}

export async function deliveriesOf(editionId: string): Promise<DeliveryRow[]> {
  const { results } = await env.DB.prepare(
    'SELECT * FROM deliveries WHERE edition_id = ? ORDER BY subscriber_id',
  )
    .bind(editionId)
    .all<DeliveryRow>();
  return results;
}

export async function deliveryOf(subscriberId: string): Promise<DeliveryRow | null> {
  return env.DB.prepare('SELECT * FROM deliveries WHERE subscriber_id = ? ORDER BY queued_at DESC LIMIT 1')
    .bind(subscriberId)
    .first<DeliveryRow>();
}

/** The papers a subscriber counts as received: what the sender leaves out of their next digest. */
export async function historyOf(subscriberId: string): Promise<string[]> {
  const sent = await getRecentlySentPaperIds(env.DB, [subscriberId], '');
  return [...(sent.get(subscriberId) ?? [])].sort();
}

/** Clears what earlier tests in the same file left (D1 storage is shared within a file). */
export async function resetDelivery(): Promise<void> {
  await env.DB.batch([
    env.DB.prepare('DELETE FROM sent_papers'),
    env.DB.prepare('DELETE FROM deliveries'),
    env.DB.prepare('DELETE FROM editions'),
    env.DB.prepare('DELETE FROM subscribers'),
    env.DB.prepare('DELETE FROM papers'),
    env.DB.prepare('DELETE FROM app_state'),
    env.DB.prepare('DELETE FROM suppressions'),
    env.DB.prepare('DELETE FROM webhook_events'),
  ]);
}

/** Lines logged as JSON by src/lib/log.ts during the test. */
export function capturedLogs() {
  const lines: Record<string, unknown>[] = [];
  const capture = (line: unknown) => {
    try {
      lines.push(JSON.parse(String(line)) as Record<string, unknown>);
    } catch {
      // not one of ours
    }
  };
  vi.spyOn(console, 'log').mockImplementation(capture);
  vi.spyOn(console, 'error').mockImplementation(capture);
  return lines;
}
