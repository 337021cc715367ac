/**
 * The cron handler: validates the environment, then hands the trigger to src/cron.ts.
 * Errors propagate so the Workers dashboard shows the invocation as failed.
 */
import { runCron } from '../src/cron';
import { appContext, type Bindings } from '../src/env';

export const scheduled: ExportedHandlerScheduledHandler<Bindings> = async (controller, env, ctx) => {
  await runCron(appContext(env), controller.cron, new Date(controller.scheduledTime), (work) =>
    ctx.waitUntil(work),
  );
};
