/**
 * One Resend batch request of a claimed group and what its answer does to the rows. The
 * request waits for a shared pacing slot (`pacer.ts`) in this isolate's send lane; then
 * accepted → `sent` with message ids in one transaction; 409 for a key
 * Resend already holds → sent (an earlier attempt got through); validation error →
 * the batch split in two and each half sent on its own, down to the email Resend refuses,
 * which alone is `failed` with the reason (within a budget of requests per message, past
 * which what is left fails whole); 429 → wait for retry-after (no queue attempt spent), claim
 * kept, every consumer's next slot pushed back; 5xx/timeout/network → retry with exponential backoff, claim kept;
 * quota exhausted, or the account's configuration refused (key, domain, from address) →
 * pause recorded, claim released (the caller parks the rows), unless the request was a
 * replay: then the claim is kept, parked, for the same key after the pause.
 */
import type { Delivery, RankingSnapshot } from '../db/deliveries';
import { deferSendSlots } from '../db/pacer';
import { splitSendKey } from '../db/sending';
import { markFailed, markSent, noteTransientFailure, parkClaim, releaseClaim } from '../db/settling';
import type { Subscriber } from '../domain';
import type { AppContext } from '../env';
import { sha256Hex } from '../lib/crypto';
import type { JsonChunks } from '../lib/json';
import { logError, logEvent } from '../lib/log';
import { nowIso } from '../lib/time';
import { FULL_BUDGET_CANDIDATES } from '../ranking/cache';
import { inSendLane, notePacing, takeSendSlot } from './pacer';
import { pauseForConfiguration, pauseForQuota } from './quota';
import { encodeBatch, type MailTransport, type OutgoingEmail, type SendResult } from './transport';

/**
 * Exponential backoff for 5xx/timeouts: 10 s, 20 s, 40 s … 1280 s, about 40 minutes over
 * the queue's 8 retries: a blip costs seconds, an outage that outlasts it reaches the
 * dead-letter queue and shows as failed deliveries rather than a digest arriving a day late.
 */
export function backoffSeconds(attempts: number): number {
  return Math.min(10 * 2 ** Math.max(attempts - 1, 0), 1800);
}

/**
 * `retry`: the request failed and the message is retried (an attempt spent; the last one
 * leads to the dead-letter queue). `wait`: rate limited, nothing failed, so the message
 * comes back after the delay without spending an attempt (queue.ts).
 */
export type Outcome =
  | { kind: 'done' }
  | { kind: 'paused' }
  | { kind: 'retry'; delaySeconds: number }
  | { kind: 'wait'; delaySeconds: number };

export interface MessageStats {
  sent: number;
  skipped: number;
  failed: number;
  replayed: number;
  requests: number;
  /** Where the time went (ms), so a slow edition can be diagnosed from one log line. */
  ms: Record<string, number>;
  /**
   * Called once this message's request has started (or it has nothing to send): the next
   * message may prepare. With `oneAtATime`, only once the message is done (the consumer
   * calls it last in any case): its request answered and its rows settled.
   */
  ready: () => void;
  /** Set for a large edition's message (`sendsOneAtATime`): its request is the only one in flight. */
  oneAtATime?: true;
  /** The pacing slot taken and when the request actually started (epoch ms). */
  slot?: { at: number; started: number };
}

/** Adds the time since `since` to a named phase and returns now (Date.now() advances on I/O only). */
export function lap(stats: MessageStats, phase: string, since: number): number {
  const now = performance.now();
  stats.ms[phase] = Math.round((stats.ms[phase] ?? 0) + now - since);
  return now;
}

/**
 * Editions past this many candidates send one message at a time: the next message starts
 * preparing once this one's request has been answered and its rows settled, not once the
 * request has started. Pipelined, the isolate holds the request in flight (its 5–6 MB body and 100
 * emails) while the next message ranks, renders and encodes its own, and a large edition's
 * index and papers leave no room for the second batch (`npm run bench:memory`: 73.6 MB at
 * 10,000 candidates pipelined, against a 64 MB budget). It costs such an edition the
 * overlap of a message's preparation (~0.1–0.2 s at 10,000 candidates) with the previous
 * request; editions up to 3,000 candidates, whose caches get their whole budget
 * (`editionBudget`), stay pipelined.
 */
export const ONE_AT_A_TIME_CANDIDATES = FULL_BUDGET_CANDIDATES;

export function sendsOneAtATime(candidates: number): boolean {
  return candidates > ONE_AT_A_TIME_CANDIDATES;
}

export interface PreparedEmail {
  delivery: Delivery;
  subscriber: Subscriber;
  ranking: RankingSnapshot[];
  email: OutgoingEmail;
  /** Its part of the request body (encodeEmail), encoded right after rendering. */
  json: JsonChunks;
}

export async function sendGroup(
  app: AppContext,
  transport: MailTransport,
  key: string,
  group: PreparedEmail[],
  attempts: number,
  stats: MessageStats,
  /**
   * An earlier attempt under this key may have reached Resend (a replay of a claim): a
   * refusal of this request then says nothing about that one.
   */
  replay = false,
): Promise<Outcome> {
  const { db } = app;
  const rate = app.config.RESEND_RATE_PER_SEC;
  // Encoded before the slot is taken, so the request leaves the moment its slot comes.
  let mark = performance.now();
  const batch = encodeBatch(
    group.map((item) => item.email),
    group.map((item) => item.json),
  );
  mark = lap(stats, 'encode', mark);
  // The request promise travels wrapped: an async function would otherwise await it.
  const lane = await inSendLane(async (): Promise<{ retryIn: number } | { request: Promise<SendResult> }> => {
    // The outbox has no rate limit; pacing it would only slow `npm start` down.
    if (transport.name === 'resend') {
      const slot = await takeSendSlot(db, rate);
      if ('retryIn' in slot) return slot;
      stats.slot = { at: slot.slot, started: slot.started };
    }
    // The SDK starts the HTTP request before its first await, so leaving the lane right
    // after this call lets the next message take its slot while this response is pending.
    const request = transport.sendBatch(batch, { idempotencyKey: key });
    // Only now may the next message start preparing: one rendered batch waits at a time
    // (a large edition's next message waits until this one is done: one batch at a time).
    if (!stats.oneAtATime) stats.ready();
    return { request };
  });
  if ('retryIn' in lane) {
    stats.ready();
    return { kind: 'wait', delaySeconds: lane.retryIn };
  }
  mark = lap(stats, 'wait', mark);
  stats.requests++;
  const result = await lane.request;
  mark = lap(stats, 'send', mark);
  if (stats.slot) await notePacing(db, result.rateLimit, stats.slot.started, rate);
  const now = new Date();
  const ids = group.map((item) => item.delivery.id);
  switch (result.kind) {
    case 'sent':
      await markSent(
        db,
        key,
        group.map((item, index) => ({
          id: item.delivery.id,
          resendId: result.ids[index] ?? null,
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
        key,
        group.map((item) => ({
          id: item.delivery.id,
          resendId: null,
        })),
        nowIso(now),
        `accepted by an earlier attempt; message id unknown (${result.message})`,
      );
      stats.sent += group.length;
      return { kind: 'done' };
    case 'rejected': {
      const reason = `Resend rejected the batch (${result.status} ${result.name}): ${result.message}`;
      if (group.length > 1 && splitsOnRejection(result) && stats.requests < SPLIT_REQUESTS)
        return sendHalves(app, transport, key, group, reason, attempts, stats);
      await markFailed(db, ids, reason, nowIso(now));
      stats.failed += group.length;
      return { kind: 'done' };
    }
    case 'rate_limited': {
      const delaySeconds = Math.max(1, Math.ceil(result.retryAfterSeconds));
      await noteTransientFailure(db, key, `429 rate limited: ${result.message}`, nowIso(now));
      await deferSendSlots(db, now.getTime() + delaySeconds * 1000);
      return { kind: 'wait', delaySeconds };
    }
    case 'retryable': {
      const status = result.status === null ? 'network error or timeout' : `HTTP ${result.status}`;
      await noteTransientFailure(db, key, `${status}: ${result.message}`, nowIso(now));
      return { kind: 'retry', delaySeconds: backoffSeconds(attempts) };
    }
    case 'quota_exceeded':
    case 'misconfigured': {
      let waiting: string;
      if (result.kind === 'quota_exceeded') {
        const pause = await pauseForQuota(db, result.period, result.message, now);
        waiting = `waiting for the Resend ${result.period} quota to reset at ${pause.until}`;
        logEvent('resend_quota_paused', { ...pause });
      } else {
        // Every digest waits on an operator: say so as an error, not a routine event.
        const pause = await pauseForConfiguration(db, result, now);
        waiting = `waiting for an operator: Resend refused the configuration (${result.status} ${result.name}: ${result.message}); asked again after ${pause.until}`;
        logError('resend_configuration_refused', new Error(result.message), { ...pause });
      }
      // A replay refused may follow a request Resend accepted (its answer lost): a fresh
      // key after the pause could deliver it twice, so the group keeps this one.
      if (replay)
        await parkClaim(
          db,
          key,
          `${waiting}; still claimed: an earlier attempt may have been sent`,
          nowIso(now),
        );
      else await releaseClaim(db, key, waiting, nowIso(now));
      return { kind: 'paused' };
    }
  }
}

/**
 * Requests one message may spend splitting a refused batch: enough to find one refused
 * email among 100 (1 + 2 × 7), so a single bad address costs nobody else their digest.
 * Past it the refusal is taken to have a cause the emails share (a header or tag every one
 * carries, a list of bad addresses imported together), and the rest fails whole with the
 * reason: splitting on down to single emails cost 199 requests and ~500 D1 statements per
 * message, ten times an invocation's budget for a batch of ten.
 */
export const SPLIT_REQUESTS = 16;

/**
 * Resend validates a batch strictly (`x-batch-validation: strict`): one email it refuses
 * (a recipient its validator rejects, say) and none of the 100 is sent. A 422
 * validation_error may be about one email, so the batch is split instead of failing
 * everyone; other refusals (the sender address, the key, the account) are about every
 * email alike, and splitting them would only multiply requests.
 */
function splitsOnRejection(result: { status: number; name: string }): boolean {
  return result.status === 422 && result.name === 'validation_error';
}

/**
 * Sends the two halves of a rejected group, each under a key of its own that the rows carry
 * (so a retry replays each half as it was sent, and a half already accepted is answered
 * from Resend's idempotency memory, not sent again). At most 2n - 1 requests find the one
 * email of n that Resend refuses; the rest go out. Nothing was sent by the rejected
 * request, so nothing can go out twice.
 */
async function sendHalves(
  app: AppContext,
  transport: MailTransport,
  key: string,
  group: PreparedEmail[],
  reason: string,
  attempts: number,
  stats: MessageStats,
): Promise<Outcome> {
  const middle = Math.ceil(group.length / 2);
  const halves = [group.slice(0, middle), group.slice(middle)];
  const keys = halves.map((_, index) => `${key}.${index}`);
  const part = (index: number) => ({
    key: keys[index]!,
    ids: halves[index]!.map((item) => item.delivery.id),
  });
  await splitSendKey(app.db, key, [part(0), part(1)]);
  logEvent('resend_batch_split', { key, sizes: halves.map((half) => half.length) });
  for (const [index, half] of halves.entries()) {
    if (stats.requests >= SPLIT_REQUESTS) {
      // The message's splitting budget is spent: the refusal is taken to be shared.
      const ids = half.map((item) => item.delivery.id);
      const note = ` (not tried alone: ${stats.requests} requests for this message already)`;
      await markFailed(app.db, ids, reason + note, nowIso());
      logEvent('resend_batch_split_stopped', {
        key: keys[index],
        size: half.length,
        requests: stats.requests,
      });
      stats.failed += half.length;
      continue;
    }
    const outcome = await sendGroup(app, transport, keys[index]!, half, attempts, stats);
    // A half left to retry keeps its key: the queue's retry replays it (and the other).
    if (outcome.kind !== 'done') return outcome;
  }
  return { kind: 'done' };
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
