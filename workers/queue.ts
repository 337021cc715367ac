/**
 * The queue handler: validates the environment, then hands the batch to the delivery
 * consumer, which acks or retries each message itself.
 */
import { handleQueueBatch } from '../src/delivery/queue';
import { appContext, type Bindings } from '../src/env';

export const queue: ExportedHandlerQueueHandler<Bindings, unknown> = async (batch, env) => {
  await handleQueueBatch(appContext(env), batch);
};
