/**
 * The queue adapter: turns a Queue batch into send-protocol runs (`send.ts`), acks or
 * retries each message with the delay the protocol chose (a rate-limit wait comes back as
 * a fresh copy, spending no attempt, carrying those spent so far), and logs one line per
 * message.
 * The plan queue's messages continue planner runs, retention passes and erasures, one step
 * each.
 * Messages of a batch are pipelined: while one waits for its pacing slot, the next is
 * already loading, ranking and rendering. Messages from the dead-letter queue (same
 * handler, dispatched on `batch.queue`) mark their unfinished deliveries failed, so
 * nothing is silently lost.
 */
import { failUnfinished } from '../db/settling';
import type { AppContext } from '../env';
import { logError, logEvent } from '../lib/log';
import { nowIso } from '../lib/time';
import { erasureStep } from '../subscriptions/erase';
import {
  MAX_RETRY_DELAY_SECONDS,
  PLAN_QUEUE_MAX_RETRIES,
  PLAN_QUEUE_SUFFIX,
  parsePlanQueueMessage,
  parseSendMessage,
  SEND_QUEUE_DLQ_SUFFIX,
  SEND_QUEUE_MAX_RETRIES,
  type SendMessage,
} from './messages';
import { continuePlanning } from './planner';
import { backoffSeconds, type MessageStats } from './request';
import { retentionStep } from './retention';
import { processMessage, type WithdrawnReader, withdrawnPerBatch } from './send';
import { createTransport, type MailTransport } from './transport';

/**
 * Messages of a batch run as a two-stage pipeline: while one message waits for its pacing
 * slot, the next one is already loading, ranking and rendering, and while a response is
 * pending the next request can start. The next message starts preparing only once the
 * previous one's request has started, so the first request goes out as early as possible
 * and only about one rendered batch (a few MB) waits in memory at a time. For an edition
 * past 3,000 candidates (`sendsOneAtATime`) the next message waits until the previous one is
 * done: its request buffer and emails would not fit beside the edition in 64 MB.
 */
export async function handleQueueBatch(app: AppContext, batch: MessageBatch<unknown>): Promise<void> {
  if (batch.queue.endsWith(SEND_QUEUE_DLQ_SUFFIX)) {
    await handleDeadLetters(app, batch);
    return;
  }
  if (batch.queue.endsWith(PLAN_QUEUE_SUFFIX)) {
    await handlePlanContinuations(app, batch);
    return;
  }
  const transport = createTransport(app.config, app.db, { timeoutMs: app.config.RESEND_TIMEOUT_MS });
  // Read once per edition for the whole batch: its messages share the answer.
  const withdrawnOf = withdrawnPerBatch(app.db);
  const running: Promise<void>[] = [];
  for (const message of batch.messages) {
    let ready: () => void = () => {};
    const prepared = new Promise<void>((resolve) => {
      ready = resolve;
    });
    running.push(handleMessage(app, transport, withdrawnOf, message, ready));
    await prepared;
  }
  await Promise.all(running);
}

async function handleMessage(
  app: AppContext,
  transport: MailTransport,
  withdrawnOf: WithdrawnReader,
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
  // Counting what earlier copies spent: waits re-send the message, and the queue counts
  // each copy from 1, so only this sum bounds the retries of a message.
  const attempts = (body.spent ?? 0) + message.attempts;
  try {
    const outcome = await processMessage(app, transport, body, attempts, stats, withdrawnOf);
    let delaySeconds: number | null = null;
    if (outcome.kind === 'retry')
      delaySeconds = await retryOrGiveUp(app, message, body, attempts, outcome.delaySeconds);
    else if (outcome.kind === 'wait')
      delaySeconds = await waitLater(app, message, body, outcome.delaySeconds);
    else message.ack(); // 'paused' never escapes processMessage: the rows are parked
    const { ready: _ready, ...counts } = stats;
    logEvent('send_message', {
      message_id: message.id,
      edition: body.editionId,
      subscribers: body.subscriberIds.length,
      attempts,
      outcome: outcome.kind,
      ...(delaySeconds !== null
        ? { delay_seconds: delaySeconds }
        : outcome.kind === 'retry'
          ? { gives_up: true }
          : {}),
      ...counts,
      duration_ms: Date.now() - started,
    });
  } catch (error) {
    const delaySeconds = await retryOrGiveUp(app, message, body, attempts, backoffSeconds(attempts));
    logError('send_message_failed', error, {
      message_id: message.id,
      edition: body.editionId,
      attempts,
      ...(delaySeconds === null ? { gives_up: true } : { delay_seconds: delaySeconds }),
    });
  } finally {
    ready();
  }
}

const STEP_FAILED = {
  plan: 'plan_step_failed',
  prune: 'retention_step_failed',
  erase: 'erasure_step_failed',
};

async function handlePlanContinuations(app: AppContext, batch: MessageBatch<unknown>): Promise<void> {
  for (const message of batch.messages) {
    const body = parsePlanQueueMessage(message.body);
    if (!body) {
      logError('plan_message_invalid', new Error('Not a plan message'), {
        message_id: message.id,
        body: message.body,
      });
      message.ack();
      continue;
    }
    try {
      if (body.kind === 'prune') await retentionStep(app, body);
      else if (body.kind === 'erase') await erasureStep(app, body);
      else await continuePlanning(app, body);
      message.ack();
    } catch (error) {
      // The run's subscribers stay due, so a retry (or the next hourly run) picks them up;
      // a retention or erasure step deletes nothing on failure (one transaction), and is
      // retried too (an erasure left waiting is restarted by the daily housekeeping pass).
      // The queue has no dead-letter queue: the last attempt's line says the queue drops it.
      const delaySeconds = retryLater(message, backoffSeconds(message.attempts));
      logError(STEP_FAILED[body.kind], error, {
        message_id: message.id,
        ...(body.kind === 'erase' ? { subscriber: body.subscriber } : { run: body.run }),
        step: body.step,
        attempts: message.attempts,
        ...(message.attempts > PLAN_QUEUE_MAX_RETRIES ? { gives_up: true } : { delay_seconds: delaySeconds }),
      });
    }
  }
}

/**
 * Retries a message no later than Queues accept (a delay over 12 h is refused): a
 * retry-after or a pacing slot pushed far out by an upstream answer would otherwise make
 * the retry call itself throw. Returns the delay used.
 */
function retryLater(message: Message<unknown>, seconds: number): number {
  const delaySeconds = queueDelay(seconds);
  message.retry({ delaySeconds });
  return delaySeconds;
}

/**
 * A failed attempt: retried, unless the message's copies have together spent the attempts
 * the queue allows one message. The queue counts only this copy's attempts and would go on
 * retrying it, so it is given up here, as the dead-letter queue would (null: no retry).
 */
async function retryOrGiveUp(
  app: AppContext,
  message: Message<unknown>,
  body: SendMessage,
  /** This copy's attempts and those its predecessors spent (`spent`). */
  total: number,
  seconds: number,
): Promise<number | null> {
  // Past its own last attempt the queue dead-letters the copy itself.
  if (total > SEND_QUEUE_MAX_RETRIES && message.attempts <= SEND_QUEUE_MAX_RETRIES) {
    await deadLetter(app, message, body, nowIso());
    return null;
  }
  return retryLater(message, seconds);
}

const queueDelay = (seconds: number) => Math.min(Math.max(Math.ceil(seconds), 0), MAX_RETRY_DELAY_SECONDS);

/**
 * Rate limited (a 429, or no pacing slot soon enough): nothing failed, so the message must
 * not spend the attempts whose last one sends it to the dead-letter queue, or a long spell
 * of someone else's traffic on the team's window would fail digests that never failed. A
 * copy goes back on the queue with the delay and this one is acked. The claim stays on the
 * rows, so the copy replays it under the same key; should both ever run (the ack lost),
 * the key and the atomic claim still send each digest once. The copy carries the attempts
 * failed so far (`spent`), so failures between waits still add up to the queue's limit
 * (`retryOrGiveUp`); waits alone are bounded by `REPLAY_WINDOW_MS` (a claim is given up
 * after it) and the planner's expiry of rows too old to send (20 h daily, 72 h weekly),
 * after which a copy finds nothing open and ends.
 * Without a copy on the queue (its send failed) the message is retried as before.
 */
async function waitLater(
  app: AppContext,
  message: Message<unknown>,
  body: SendMessage,
  seconds: number,
): Promise<number> {
  const delaySeconds = queueDelay(seconds);
  // This attempt was a wait, not a failure: the copy carries only the attempts before it.
  const spent = (body.spent ?? 0) + message.attempts - 1;
  const copy: SendMessage = spent > 0 ? { ...body, spent } : body;
  try {
    await app.queue.send(copy, { delaySeconds, contentType: 'json' });
  } catch (error) {
    logError('send_message_wait_failed', error, { message_id: message.id, edition: body.editionId });
    return retryLater(message, delaySeconds);
  }
  message.ack();
  return delaySeconds;
}

async function handleDeadLetters(app: AppContext, batch: MessageBatch<unknown>): Promise<void> {
  const now = nowIso();
  for (const message of batch.messages) {
    const body = parseSendMessage(message.body);
    if (!body) {
      logError('send_message_invalid', new Error('Not a send message (dead-letter queue)'), {
        message_id: message.id,
        body: message.body,
      });
      message.ack();
      continue;
    }
    await deadLetter(app, message, body, now);
  }
}

/**
 * A message that exhausted its retries (from the dead-letter queue, or a copy that spent
 * them between waits): its unfinished rows fail with the reason, and it is acked.
 */
async function deadLetter(app: AppContext, message: Message<unknown>, body: SendMessage, now: string) {
  try {
    const failed = await failUnfinished(
      app.db,
      body.editionId,
      body.subscriberIds,
      body.requeue ?? null,
      'gave up: the send message exhausted its queue retries',
      now,
    );
    logError('send_message_dead_lettered', new Error('Send message exhausted its retries'), {
      message_id: message.id,
      edition: body.editionId,
      failed,
    });
    message.ack();
  } catch (error) {
    // Settled per message, so one failed write does not hold back the batch's others. A
    // dead letter that gives up here too leaves its rows unfinished with an old
    // enqueued_at: the hourly planner requeues or expires them (listOrphanedDeliveries).
    const delaySeconds = retryLater(message, backoffSeconds(message.attempts));
    logError('dead_letter_failed', error, {
      message_id: message.id,
      edition: body.editionId,
      subscribers: body.subscriberIds.length,
      attempts: message.attempts,
      delay_seconds: delaySeconds,
    });
  }
}
