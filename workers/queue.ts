/**
 * The queue handler: validates the environment, then hands the batch to the delivery
 * consumer, which acks or retries each message itself. A deploy whose configuration is
 * refused does not fail the invocation: the queue would retry the batch at once, spend
 * every retry within seconds and dead-letter the digests (the dead-letter handler needs
 * the same configuration). Each message waits for the fix instead, and the error is logged.
 */
import { handleQueueBatch } from '../src/delivery/queue';
import { type AppContext, appContext, type Bindings, ConfigError } from '../src/env';
import { logError } from '../src/lib/log';

/** 15 minutes: the send queue's 8 retries give an operator 2 hours to fix a deploy. */
export const CONFIG_RETRY_DELAY_SECONDS = 900;

export const queue: ExportedHandlerQueueHandler<Bindings, unknown> = async (batch, env) => {
  let app: AppContext;
  try {
    app = appContext(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logError('queue_config_invalid', error, { queue: batch.queue, messages: batch.messages.length });
    for (const message of batch.messages) message.retry({ delaySeconds: CONFIG_RETRY_DELAY_SECONDS });
    return;
  }
  await handleQueueBatch(app, batch);
};
