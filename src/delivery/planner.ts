/**
 * The digest planner (delivery issue): finds due subscribers and enqueues send work.
 */
import type { AppContext } from '../env';

export interface PlanOptions {
  at: Date;
  /** Ignore send hours: plan every active subscriber whose period has no digest yet. */
  all?: boolean;
}

export async function planDigests(_app: AppContext, _options: PlanOptions): Promise<{ planned: number }> {
  return { planned: 0 };
}
