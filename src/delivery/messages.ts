/**
 * The queues' message formats, shared by producers and consumers. The send queue carries
 * one edition plus up to 100 subscriber ids, i.e. at most one Resend batch request. The
 * plan queue carries the continuation of a planner run too large for one invocation, and
 * of a retention pass (src/delivery/retention.ts) with more to delete than one step, and of
 * an erasure whose history is more than one step (src/subscriptions/erase.ts). Bodies
 * are plain JSON (no v8 serialisation) so they can be read in the dashboard and replayed by
 * hand, and small: 100 ids stay around 4 KB, far below the 128 KB message limit.
 */
import { z } from 'zod';
import { chunk } from '../db/chunk';

export const SEND_QUEUE_DLQ_SUFFIX = '-dlq';
/** The plan queue's name ends with this (papers-digest-plan); the same Worker consumes it. */
export const PLAN_QUEUE_SUFFIX = '-plan';
export const SUBSCRIBERS_PER_MESSAGE = 100;
/**
 * `max_retries` of the plan queue's consumer in wrangler.toml (a test checks it): it has no
 * dead-letter queue, so a step failing on attempt max_retries + 1 is dropped.
 */
export const PLAN_QUEUE_MAX_RETRIES = 3;
/**
 * `max_retries` of the send queue's consumer in wrangler.toml (a test checks it): a message
 * retried on attempt max_retries + 1 goes to the dead-letter queue.
 */
export const SEND_QUEUE_MAX_RETRIES = 8;
/** Queues refuse a send or retry delay over 12 h. */
export const MAX_RETRY_DELAY_SECONDS = 43_200;
/** Queues accept at most 100 messages and 256 KB per sendBatch call. */
const MESSAGES_PER_SEND_BATCH = 100;
const BYTES_PER_SEND_BATCH = 200_000;

export const sendMessageSchema = z.object({
  v: z.literal(1),
  editionId: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
  subscriberIds: z.array(z.string().min(1).max(64)).min(1).max(SUBSCRIBERS_PER_MESSAGE),
  /**
   * Attempts that earlier copies of this message spent: a rate-limit wait comes back as a
   * fresh copy, whose queue count starts again at 1 (src/delivery/queue.ts). Absent: none.
   */
  spent: z.number().int().min(0).max(1_000).optional(),
  /** The planner's requeue that sent it (absent: the planning run did): see `failUnfinished`. */
  requeue: z.string().min(1).max(64).optional(),
});

export type SendMessage = z.infer<typeof sendMessageSchema>;

const editionId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/);

/** A planner run to continue: its time, mode, the editions it froze and where it stopped. */
export const planMessageSchema = z.object({
  v: z.literal(1),
  kind: z.literal('plan'),
  run: z.string().min(1).max(64),
  at: z.iso.datetime(),
  all: z.boolean(),
  editions: z.object({ daily: editionId.optional(), weekly: editionId.optional() }),
  /** `all` mode pages by subscriber id; the default mode needs no cursor. */
  after: z.string().max(64).optional(),
  step: z.number().int().min(1),
});

export type PlanMessage = z.infer<typeof planMessageSchema>;

/** A retention pass to continue: its time (the cutoffs count from it) and its step. */
export const pruneMessageSchema = z.object({
  v: z.literal(1),
  kind: z.literal('prune'),
  run: z.string().min(1).max(64),
  at: z.iso.datetime(),
  step: z.number().int().min(1),
});

export type PruneMessage = z.infer<typeof pruneMessageSchema>;

/** An erased subscriber's history to go on deleting: the (random) id and the step. */
export const eraseMessageSchema = z.object({
  v: z.literal(1),
  kind: z.literal('erase'),
  subscriber: z.string().min(1).max(64),
  step: z.number().int().min(1),
});

export type EraseMessage = z.infer<typeof eraseMessageSchema>;

const planQueueMessageSchema = z.discriminatedUnion('kind', [
  planMessageSchema,
  pruneMessageSchema,
  eraseMessageSchema,
]);

export function parsePlanQueueMessage(body: unknown): PlanMessage | PruneMessage | EraseMessage | null {
  const parsed = planQueueMessageSchema.safeParse(body);
  return parsed.success ? parsed.data : null;
}

export function parseSendMessage(body: unknown): SendMessage | null {
  const parsed = sendMessageSchema.safeParse(body);
  return parsed.success ? parsed.data : null;
}

export function buildSendMessages(
  editionId: string,
  subscriberIds: string[],
  requeue?: string,
): SendMessage[] {
  return chunk(subscriberIds, SUBSCRIBERS_PER_MESSAGE).map((ids) => ({
    v: 1,
    editionId,
    subscriberIds: ids,
    ...(requeue === undefined ? {} : { requeue }),
  }));
}

/** Sends messages with as few `sendBatch` calls as the Queues limits allow. Returns the call count. */
export async function enqueueSendMessages(queue: Queue<unknown>, messages: SendMessage[]): Promise<number> {
  let calls = 0;
  let batch: MessageSendRequest<unknown>[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await queue.sendBatch(batch);
    calls++;
    batch = [];
    bytes = 0;
  };
  for (const message of messages) {
    const size = JSON.stringify(message).length + 100;
    if (batch.length >= MESSAGES_PER_SEND_BATCH || bytes + size > BYTES_PER_SEND_BATCH) await flush();
    batch.push({ body: message, contentType: 'json' });
    bytes += size;
  }
  await flush();
  return calls;
}
