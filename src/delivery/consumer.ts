/**
 * The queue consumer: turns one message (an edition + up to 100 subscribers) into at most
 * one Resend batch request, exactly once. The protocol, per message:
 *   1. Rows still `sending` from an earlier attempt are replayed first, as the same group
 *      under the same Idempotency-Key and re-rendered from the stored ranking, so whatever
 *      happened last time (crash before the request, after Resend accepted it, mid-write)
 *      Resend either sends them now or answers with its first response.
 *   2. Queued rows are ranked: nothing worth sending → `skipped` with the reason; the rest are
 *      claimed atomically (queued → sending, with the key, subject and ranking) before the
 *      request, so a concurrent or later consumer can never build a second, different
 *      request for them.
 *   3. The request waits for a shared pacing slot (RESEND_RATE_PER_SEC across consumers),
 *      then its answer decides: accepted → `sent` + message ids + sent_papers in one
 *      transaction; 429 → retry after retry-after with the claim kept; 5xx/timeout/network
 *      → retry with exponential backoff, claim kept; validation error → `failed` with the
 *      reason; quota exhausted → pause recorded, claim released, rows parked for the planner.
 * Messages from the dead-letter queue (same handler, dispatched on `batch.queue`) mark
 * their unfinished deliveries failed, so nothing is silently lost.
 */

import {
  type Claim,
  claimDeliveries,
  countAttempt,
  type Delivery,
  deferSendSlots,
  failUnfinished,
  getLastSentWindowEnds,
  getMessageDeliveries,
  getSendingBySendKeys,
  getSentPaperIds,
  markFailed,
  markSent,
  markSkipped,
  noteTransientFailure,
  parkDeliveries,
  type RankingSnapshot,
  releaseClaim,
  renameSendKey,
  reserveSendSlot,
  type SkipDecision,
} from '../db/deliveries';
import { type Edition, getEdition, getEditionPapers } from '../db/editions';
import { getSubscribersByIds } from '../db/subscribers';
import { assembleDigest, type PreparedEdition, prepareEdition } from '../digest';
import type { Paper, Subscriber } from '../domain';
import type { AppContext, Config } from '../env';
import { sha256Hex } from '../lib/crypto';
import { logError, logEvent } from '../lib/log';
import { nowIso } from '../lib/time';
import { unsubscribeUrl } from '../links';
import {
  buildEditionIndex,
  type EditionIndex,
  profileFromSubscriber,
  type RankedPaper,
  rankForSubscriber,
} from '../ranking';
import { parseSendMessage, SEND_QUEUE_DLQ_SUFFIX, type SendMessage } from './messages';
import { activeQuotaPause, pauseForQuota } from './quota';
import { createTransport, type MailTransport, type OutgoingEmail, type SendResult } from './transport';

/**
 * Exponential backoff for 5xx/timeouts: 10 s, 20 s, 40 s … 1280 s, about 40 minutes over
 * the queue's 8 retries: a blip costs seconds, an outage that outlasts it reaches the
 * dead-letter queue and shows as failed deliveries rather than a digest arriving a day late.
 */
export function backoffSeconds(attempts: number): number {
  return Math.min(10 * 2 ** Math.max(attempts - 1, 0), 1800);
}

/**
 * Slots are spaced 6% wider than 1/R: requests start on time here but reach Resend with
 * some jitter (a multi-megabyte body, a busy isolate), and R+1 consecutive requests must
 * never land inside one second of Resend's window.
 */
export function pacingIntervalMs(ratePerSecond: number): number {
  return Math.ceil((1000 / ratePerSecond) * 1.06);
}

/** Waiting longer than this inside one invocation is wasteful: retry the message instead. */
const MAX_SLOT_WAIT_MS = 120_000;

/**
 * The send lane: requests from this isolate start one at a time, each in its own pacing
 * slot. `lastRequestStartedAt` keeps the spacing honest when a timer fires late (CPU work
 * of the message being prepared can delay it): the next slot is counted from the actual start.
 */
let sendLane: Promise<unknown> = Promise.resolve();
let lastRequestStartedAt = 0;

function inSendLane<T>(task: () => Promise<T>): Promise<T> {
  const run = sendLane.then(task, task);
  sendLane = run.catch(() => undefined);
  return run;
}

type Outcome = { kind: 'done' } | { kind: 'paused' } | { kind: 'retry'; delaySeconds: number };

interface MessageStats {
  sent: number;
  skipped: number;
  failed: number;
  replayed: number;
  requests: number;
  /** Where the time went (ms), so a slow edition can be diagnosed from one log line. */
  ms: Record<string, number>;
  /** Called once this message's request has started (or it has nothing to send): the next message may prepare. */
  ready: () => void;
  /** The pacing slot taken and when the request actually started (epoch ms). */
  slot?: { at: number; started: number };
}

/** Adds the time since `since` to a named phase and returns now (Date.now() advances on I/O only). */
function lap(stats: MessageStats, phase: string, since: number): number {
  const now = performance.now();
  stats.ms[phase] = Math.round((stats.ms[phase] ?? 0) + now - since);
  return now;
}

/**
 * Messages of a batch run as a two-stage pipeline: while one message waits for its pacing
 * slot, the next one is already loading, ranking and rendering, and while a response is
 * pending the next request can start. The next message starts preparing only once the
 * previous one's request has started, so the first request goes out as early as possible
 * and only about one rendered batch (a few MB) waits in memory at a time.
 */
export async function handleQueueBatch(app: AppContext, batch: MessageBatch<unknown>): Promise<void> {
  if (batch.queue.endsWith(SEND_QUEUE_DLQ_SUFFIX)) {
    await handleDeadLetters(app, batch);
    return;
  }
  const transport = createTransport(app.config, app.db, { timeoutMs: app.config.RESEND_TIMEOUT_MS });
  const running: Promise<void>[] = [];
  for (const message of batch.messages) {
    let ready: () => void = () => {};
    const prepared = new Promise<void>((resolve) => {
      ready = resolve;
    });
    running.push(handleMessage(app, transport, message, ready));
    await prepared;
  }
  await Promise.all(running);
}

async function handleMessage(
  app: AppContext,
  transport: MailTransport,
  message: Message<unknown>,
  ready: () => void,
): Promise<void> {
  const started = Date.now();
  const body = parseSendMessage(message.body);
  if (!body) {
    ready();
    // Retrying cannot make a malformed body valid; log it whole so nothing vanishes unseen.
    logError('send_message_invalid', new Error('Not a send message'), {
      message_id: message.id,
      body: message.body,
    });
    message.ack();
    return;
  }
  const stats: MessageStats = { sent: 0, skipped: 0, failed: 0, replayed: 0, requests: 0, ms: {}, ready };
  try {
    const outcome = await processMessage(app, transport, body, message.attempts, stats);
    if (outcome.kind === 'retry') message.retry({ delaySeconds: outcome.delaySeconds });
    else message.ack(); // 'paused' never escapes processMessage: the rows are parked
    const { ready: _ready, ...counts } = stats;
    logEvent('send_message', {
      message_id: message.id,
      edition: body.editionId,
      subscribers: body.subscriberIds.length,
      attempts: message.attempts,
      outcome: outcome.kind,
      ...(outcome.kind === 'retry' ? { delay_seconds: outcome.delaySeconds } : {}),
      ...counts,
      duration_ms: Date.now() - started,
    });
  } catch (error) {
    const delaySeconds = backoffSeconds(message.attempts);
    logError('send_message_failed', error, {
      message_id: message.id,
      edition: body.editionId,
      attempts: message.attempts,
      delay_seconds: delaySeconds,
    });
    message.retry({ delaySeconds });
  } finally {
    ready();
  }
}

async function handleDeadLetters(app: AppContext, batch: MessageBatch<unknown>): Promise<void> {
  const now = nowIso();
  for (const message of batch.messages) {
    const body = parseSendMessage(message.body);
    if (body) {
      const failed = await failUnfinished(
        app.db,
        body.editionId,
        body.subscriberIds,
        'gave up: the send message exhausted its queue retries',
        now,
      );
      logError('send_message_dead_lettered', new Error('Send message exhausted its retries'), {
        message_id: message.id,
        edition: body.editionId,
        failed,
      });
    } else {
      logError('send_message_invalid', new Error('Not a send message (dead-letter queue)'), {
        message_id: message.id,
        body: message.body,
      });
    }
    message.ack();
  }
}

async function processMessage(
  app: AppContext,
  transport: MailTransport,
  message: SendMessage,
  attempts: number,
  stats: MessageStats,
): Promise<Outcome> {
  const { db } = app;
  const started = performance.now();
  if (await activeQuotaPause(db, new Date())) {
    await parkDeliveries(db, message.editionId, message.subscriberIds);
    return { kind: 'done' };
  }
  const rows = await getMessageDeliveries(db, message.editionId, message.subscriberIds);
  const open = rows.filter((row) => row.status === 'queued' || row.status === 'sending');
  if (open.length === 0) return { kind: 'done' }; // a re-run after success: everything is final

  const edition = await loadEdition(app, message.editionId);
  if (!edition) {
    await markFailed(
      db,
      open.map((row) => row.id),
      `edition ${message.editionId} no longer exists`,
      nowIso(),
    );
    stats.failed += open.length;
    return { kind: 'done' };
  }

  // 1. Replay groups claimed by an earlier attempt, exactly as claimed.
  const keys = [
    ...new Set(open.flatMap((row) => (row.status === 'sending' && row.sendKey ? [row.sendKey] : []))),
  ];
  const claimed = await getSendingBySendKeys(db, keys);
  const queued = open.filter((row) => row.status === 'queued');
  const subscribers = new Map(
    (await getSubscribersByIds(db, [...new Set([...claimed, ...queued].map((row) => row.subscriberId))])).map(
      (subscriber) => [subscriber.id, subscriber],
    ),
  );
  lap(stats, 'load', started);
  for (const key of keys) {
    const group = claimed.filter((row) => row.sendKey === key);
    if (group.length === 0) continue;
    stats.replayed += group.length;
    const outcome = await replayGroup(app, transport, edition, key, group, subscribers, attempts, stats);
    if (outcome.kind !== 'done') return settle(app, message, outcome);
  }

  // 2. Rank and claim what is still queued.
  if (queued.length === 0) return { kind: 'done' };
  return settle(
    app,
    message,
    await sendQueued(app, transport, edition, queued, subscribers, attempts, stats),
  );
}

/** A quota pause parks the whole message for the planner instead of burning queue retries. */
async function settle(app: AppContext, message: SendMessage, outcome: Outcome): Promise<Outcome> {
  if (outcome.kind !== 'paused') return outcome;
  await parkDeliveries(app.db, message.editionId, message.subscriberIds);
  return { kind: 'done' };
}

// ---------------------------------------------------------------------------------------
// Edition context: candidates, ranking index and prepared render, built once per isolate.

interface EditionContext {
  edition: Edition;
  config: Config;
  papers: Paper[];
  paperById: Map<string, Paper>;
  index: EditionIndex;
  prepared: PreparedEdition;
}

const editionCache = new Map<string, Promise<EditionContext | null>>();
const EDITION_CACHE_SIZE = 3;

function loadEdition(app: AppContext, editionId: string): Promise<EditionContext | null> {
  const cached = editionCache.get(editionId);
  if (cached) {
    return cached.then((context) =>
      context && context.config !== app.config ? buildEdition(app, editionId) : context,
    );
  }
  const pending = buildEdition(app, editionId);
  editionCache.set(editionId, pending);
  pending.then(
    (context) => {
      if (!context) editionCache.delete(editionId);
    },
    () => editionCache.delete(editionId),
  );
  while (editionCache.size > EDITION_CACHE_SIZE) editionCache.delete(editionCache.keys().next().value!);
  return pending;
}

async function buildEdition(app: AppContext, editionId: string): Promise<EditionContext | null> {
  const [edition, papers] = await Promise.all([
    getEdition(app.db, editionId),
    getEditionPapers(app.db, editionId),
  ]);
  if (!edition) return null;
  // The digest area may take more than the date (e.g. the candidates, to pre-render cards).
  const input = { editionDate: edition.plannedAt.slice(0, 10), papers, frequency: edition.frequency };
  const prepared = await prepareEdition(app.config, input);
  return {
    edition,
    config: app.config,
    papers,
    paperById: new Map(papers.map((paper) => [paper.id, paper])),
    index: buildEditionIndex(papers),
    prepared,
  };
}

// ---------------------------------------------------------------------------------------
// Sending

interface PreparedEmail {
  delivery: Delivery;
  subscriber: Subscriber;
  ranking: RankingSnapshot[];
  email: OutgoingEmail;
}

async function sendQueued(
  app: AppContext,
  transport: MailTransport,
  context: EditionContext,
  queued: Delivery[],
  subscribers: Map<string, Subscriber>,
  attempts: number,
  stats: MessageStats,
): Promise<Outcome> {
  const { db } = app;
  const now = nowIso();
  const subscriberIds = queued.map((row) => row.subscriberId);
  let mark = performance.now();
  const [alreadySent, lastSentEnds] = await Promise.all([
    getSentPaperIds(db, subscriberIds, context.edition.paperIds),
    getLastSentWindowEnds(db, subscriberIds, context.edition.id),
  ]);

  mark = lap(stats, 'load', mark);
  const skips: SkipDecision[] = [];
  const prepared: PreparedEmail[] = [];
  for (const delivery of [...queued].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const subscriber = subscribers.get(delivery.subscriberId);
    if (!subscriber) {
      skips.push({ id: delivery.id, reason: 'subscriber no longer exists' });
      continue;
    }
    if (subscriber.status !== 'active') {
      skips.push({ id: delivery.id, reason: `subscriber is ${subscriber.status}` });
      continue;
    }
    const exclude = new Set(alreadySent.get(subscriber.id));
    // "New" means ingested after the subscriber's previous digest.
    const since = lastSentEnds.get(subscriber.id);
    if (since && since > context.edition.windowStart) {
      for (const paper of context.papers) if (paper.ingestedAt < since) exclude.add(paper.id);
    }
    const result = rankForSubscriber(context.index, profileFromSubscriber(subscriber), { exclude });
    if (result.skipReason || result.papers.length === 0) {
      skips.push({ id: delivery.id, reason: result.skipReason ?? 'no new papers' });
      continue;
    }
    const ranking = result.papers.map((item) => ({ id: item.paper.id, score: item.score, why: item.why }));
    mark = lap(stats, 'rank', mark);
    const email = await renderEmail(app.config, context, subscriber, delivery.id, result.papers);
    mark = lap(stats, 'render', mark);
    prepared.push({ delivery, subscriber, ranking, email });
  }
  mark = lap(stats, 'rank', mark);
  await markSkipped(db, skips, now);
  stats.skipped += skips.length;
  if (prepared.length === 0) return { kind: 'done' };

  const intended = prepared.map((item) => item.delivery.id);
  let key = await idempotencyKey(context.edition.id, intended, now);
  const claims: Claim[] = prepared.map((item) => ({
    id: item.delivery.id,
    subject: item.email.subject,
    ranking: item.ranking,
  }));
  const won = await claimDeliveries(db, key, claims, now);
  const group = prepared.filter((item) => won.has(item.delivery.id));
  if (group.length === 0) return { kind: 'done' }; // another consumer claimed them all
  if (group.length !== prepared.length) {
    // Someone else claimed part of this set: the key must name exactly what we send.
    const narrower = await idempotencyKey(
      context.edition.id,
      group.map((item) => item.delivery.id),
      now,
    );
    await renameSendKey(db, key, narrower);
    key = narrower;
  }
  lap(stats, 'claim', mark);
  return sendGroup(app, transport, key, group, attempts, stats);
}

async function replayGroup(
  app: AppContext,
  transport: MailTransport,
  context: EditionContext,
  key: string,
  rows: Delivery[],
  subscribers: Map<string, Subscriber>,
  attempts: number,
  stats: MessageStats,
): Promise<Outcome> {
  const group: PreparedEmail[] = [];
  const orphaned: string[] = [];
  for (const delivery of rows) {
    const subscriber = subscribers.get(delivery.subscriberId);
    if (!subscriber) {
      orphaned.push(delivery.id);
      continue;
    }
    const ranking = delivery.ranking ?? delivery.paperIds.map((id) => ({ id, score: 0, why: [] }));
    const ranked: RankedPaper[] = ranking.flatMap((item) => {
      const paper = context.paperById.get(item.id);
      return paper ? [{ paper, score: item.score, why: item.why }] : [];
    });
    const email = await renderEmail(app.config, context, subscriber, delivery.id, ranked);
    group.push({ delivery, subscriber, ranking, email });
  }
  if (orphaned.length > 0) {
    // The subscriber was erased between attempts: there is nobody left to render for.
    await markFailed(app.db, orphaned, 'subscriber erased before the send completed', nowIso());
    stats.failed += orphaned.length;
  }
  if (group.length === 0) return { kind: 'done' };
  await countAttempt(app.db, key, nowIso());
  return sendGroup(app, transport, key, group, attempts, stats);
}

async function sendGroup(
  app: AppContext,
  transport: MailTransport,
  key: string,
  group: PreparedEmail[],
  attempts: number,
  stats: MessageStats,
): Promise<Outcome> {
  const { db } = app;
  const interval = pacingIntervalMs(app.config.RESEND_RATE_PER_SEC);
  // The outbox has no rate limit; pacing it would only slow `npm start` down.
  let mark = performance.now();
  // The request promise travels wrapped: an async function would otherwise await it.
  const lane = await inSendLane(async (): Promise<{ retryIn: number } | { request: Promise<SendResult> }> => {
    if (transport.name === 'resend') {
      const slot = await reserveSendSlot(db, interval, lastRequestStartedAt + interval);
      const wait = slot - Date.now();
      if (wait > MAX_SLOT_WAIT_MS) return { retryIn: Math.ceil(wait / 1000) };
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      lastRequestStartedAt = Date.now();
      stats.slot = { at: slot, started: lastRequestStartedAt };
    }
    // The SDK starts the HTTP request before its first await, so leaving the lane right
    // after this call lets the next message take its slot while this response is pending.
    const request = transport.sendBatch(
      group.map((item) => item.email),
      { idempotencyKey: key },
    );
    // Only now may the next message start preparing: one rendered batch waits at a time.
    stats.ready();
    return { request };
  });
  if ('retryIn' in lane) {
    stats.ready();
    return { kind: 'retry', delaySeconds: lane.retryIn };
  }
  mark = lap(stats, 'wait', mark);
  stats.requests++;
  const result = await lane.request;
  mark = lap(stats, 'send', mark);
  const now = new Date();
  const ids = group.map((item) => item.delivery.id);
  switch (result.kind) {
    case 'sent':
      await markSent(
        db,
        group.map((item, index) => ({
          id: item.delivery.id,
          subscriberId: item.subscriber.id,
          resendId: result.ids[index] ?? null,
          paperIds: item.ranking.map((paper) => paper.id),
        })),
        nowIso(now),
      );
      lap(stats, 'store', mark);
      stats.sent += group.length;
      return { kind: 'done' };
    case 'idempotency_conflict':
      // Resend already holds a request under this key: an earlier attempt got through.
      await markSent(
        db,
        group.map((item) => ({
          id: item.delivery.id,
          subscriberId: item.subscriber.id,
          resendId: null,
          paperIds: item.ranking.map((paper) => paper.id),
        })),
        nowIso(now),
        `accepted by an earlier attempt; message id unknown (${result.message})`,
      );
      stats.sent += group.length;
      return { kind: 'done' };
    case 'rejected':
      await markFailed(
        db,
        ids,
        `Resend rejected the batch (${result.status} ${result.name}): ${result.message}`,
        nowIso(now),
      );
      stats.failed += group.length;
      return { kind: 'done' };
    case 'rate_limited': {
      const delaySeconds = Math.max(1, Math.ceil(result.retryAfterSeconds));
      await noteTransientFailure(db, key, `429 rate limited: ${result.message}`, nowIso(now));
      await deferSendSlots(db, now.getTime() + delaySeconds * 1000, interval);
      return { kind: 'retry', delaySeconds };
    }
    case 'retryable': {
      const status = result.status === null ? 'network error or timeout' : `HTTP ${result.status}`;
      await noteTransientFailure(db, key, `${status}: ${result.message}`, nowIso(now));
      return { kind: 'retry', delaySeconds: backoffSeconds(attempts) };
    }
    case 'quota_exceeded': {
      const pause = await pauseForQuota(db, result.period, result.message, now);
      await releaseClaim(
        db,
        key,
        `waiting for the Resend ${result.period} quota to reset at ${pause.until}`,
        nowIso(now),
      );
      logEvent('resend_quota_paused', { ...pause });
      return { kind: 'paused' };
    }
  }
}

async function renderEmail(
  config: Config,
  context: EditionContext,
  subscriber: Subscriber,
  deliveryId: string,
  ranked: RankedPaper[],
): Promise<OutgoingEmail> {
  const digest = await assembleDigest(context.prepared, config, { subscriber, deliveryId }, ranked);
  const unsubscribe = await unsubscribeUrl(config, subscriber);
  return {
    from: config.MAIL_FROM,
    to: subscriber.email,
    subject: digest.subject,
    html: digest.html,
    text: digest.text,
    headers: {
      'List-Unsubscribe': `<${unsubscribe}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'List-Id': listId(config),
    },
    tags: [
      { name: 'category', value: 'digest' },
      { name: 'edition', value: context.edition.id },
      { name: 'delivery', value: deliveryId },
    ],
  };
}

/** RFC 2919 List-Id: a stable dot-atom under our own host name. */
export function listId(config: Config): string {
  return `Papers Digest <digest.${new URL(config.PUBLIC_URL).hostname}>`;
}

/**
 * The Resend Idempotency-Key of a claimed group: derived from the edition, the exact set of
 * deliveries in the request and the claim time, and stored on the rows, so every retry of
 * the group presents the same key while a group re-claimed after a quota pause gets a new one.
 */
export async function idempotencyKey(
  editionId: string,
  deliveryIds: string[],
  claimedAt: string,
): Promise<string> {
  const digest = await sha256Hex(`${editionId}\n${[...deliveryIds].sort().join(',')}\n${claimedAt}`);
  return `digest-${editionId}-${digest.slice(0, 32)}`;
}
