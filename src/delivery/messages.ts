/**
 * The send queue's message format, shared by the planner (producer) and the consumer:
 * one edition plus up to 100 subscriber ids, i.e. at most one Resend batch request. The
 * body is plain JSON (no v8 serialisation) so it can be read in the dashboard and replayed
 * by hand, and it is small: 100 ids stay around 4 KB, far below the 128 KB message limit.
 */
import { z } from 'zod';
import { chunk } from '../db/chunk';

export const SEND_QUEUE_DLQ_SUFFIX = '-dlq';
export const SUBSCRIBERS_PER_MESSAGE = 100;
/** Queues accept at most 100 messages and 256 KB per sendBatch call. */
const MESSAGES_PER_SEND_BATCH = 100;
const BYTES_PER_SEND_BATCH = 200_000;

export const sendMessageSchema = z.object({
  v: z.literal(1),
  editionId: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
  subscriberIds: z.array(z.string().min(1).max(64)).min(1).max(SUBSCRIBERS_PER_MESSAGE),
});

export type SendMessage = z.infer<typeof sendMessageSchema>;

export function parseSendMessage(body: unknown): SendMessage | null {
  const parsed = sendMessageSchema.safeParse(body);
  return parsed.success ? parsed.data : null;
}

export function buildSendMessages(editionId: string, subscriberIds: string[]): SendMessage[] {
  return chunk(subscriberIds, SUBSCRIBERS_PER_MESSAGE).map((ids) => ({
    v: 1,
    editionId,
    subscriberIds: ids,
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
