/**
 * The digest planner, run by the hourly cron and by POST /admin/digest. Each run plans what
 * is due, not what is stored: it reads only subscribers whose next possible send instant
 * has come (plan-step.ts), a bounded step per invocation. A run too large for one step (a
 * catch-up after an import, the 08:00 cohort of a million subscribers) continues through
 * the plan queue, one step per invocation, each in its own budget; the newest run holds a
 * lease in app_state and an older run's continuation stops when it sees a newer one (the
 * newer run covers everything the older would have planned). Clock runs (the cron) and
 * `all` runs (the admin's "plan everyone") hold separate leases: neither covers the other's
 * remaining work, so the hourly cron never cuts an admin run short. The lease records the
 * run's progress (steps, planned, finished) for /admin/stats. Every step also re-enqueues
 * deliveries no message carries any more (parked during a quota pause, or lost) and expires
 * the ones too old to be worth sending, both bounded per step.
 */
import { getAppState, setAppState } from '../db/app-state';
import {
  expireDeliveries,
  listOrphanedDeliveries,
  markEnqueued,
  PLAN_RUN_KEYS,
  type PlanRunProgress,
  recordPlanStep,
} from '../db/planning';
import type { Frequency } from '../domain';
import type { AppContext } from '../env';
import { inBackground } from '../lib/background';
import { logError, logEvent } from '../lib/log';
import { nowIso } from '../lib/time';
import { buildSendMessages, enqueueSendMessages, type PlanMessage } from './messages';
import { type EditionCreated, type PlanRun, planStep } from './plan-step';
import { activeSendingPause, type ConfigPause, type QuotaPause } from './quota';
import { loadEdition } from './render';

export interface PlanOptions {
  at: Date;
  /** Ignore send hours: plan every active subscriber whose period has no digest yet. */
  all?: boolean;
  /**
   * The invocation's waitUntil: an edition the run creates is then loaded into this
   * isolate's cache (candidates, ranking index, prepared render) while planning goes on,
   * so the first send message handled here does not wait for it.
   */
  waitUntil?: (work: Promise<unknown>) => void;
}

export interface PlannedEdition extends EditionCreated {
  subscribers: number;
}

export interface PlanSummary {
  /** The run's id: /admin/stats (`planner`) shows its progress under it while it continues. */
  run: string;
  at: string;
  all: boolean;
  /** Deliveries newly planned by this invocation (one per due subscriber). */
  planned: number;
  editions: PlannedEdition[];
  /** Queue messages sent for the new deliveries (≤ 100 subscribers each). */
  messages: number;
  /** Older unfinished deliveries put back on the queue (parked by a quota pause, or lost). */
  requeued: number;
  /** Unfinished deliveries given up on because they are too old to be useful. */
  expired: number;
  /** Set while Resend's quota is exhausted or its configuration refused: planning continues, sending waits. */
  paused: QuotaPause | ConfigPause | null;
}

/** After this long a planned digest is stale (the next one is due), so it is not sent late. */
const EXPIRE_AFTER_HOURS: Record<Frequency, number> = { daily: 20, weekly: 72 };
/** A retrying message touches its rows at least every ~21 min; rows untouched for 3 h lost their message. */
const ORPHANED_AFTER_MS = 3 * 3_600_000;
/** Per step, so the sweep stays inside the invocation budget; a big backlog takes several steps. */
export const REQUEUE_LIMIT = 200;
export const EXPIRE_LIMIT = 200;
const runKey = (all: boolean) => (all ? PLAN_RUN_KEYS.all : PLAN_RUN_KEYS.hourly);

export async function planDigests(app: AppContext, options: PlanOptions): Promise<PlanSummary> {
  const run: PlanRun = {
    run: crypto.randomUUID(),
    at: options.at.toISOString(),
    all: options.all ?? false,
    editions: {},
    step: 1,
  };
  const lease: PlanRunProgress = {
    run: run.run,
    at: run.at,
    all: run.all,
    started: nowIso(),
    step: 0,
    planned: 0,
    finished: null,
  };
  await setAppState(app.db, runKey(run.all), lease);
  const warm = options.waitUntil;
  const onEdition = warm ? (editionId: string) => warm(warmEdition(app, editionId)) : undefined;
  const { sweep, step, planned } = await runStep(app, run, onEdition);
  return {
    run: run.run,
    at: run.at,
    all: run.all,
    planned,
    editions: step.editionsCreated
      .map((edition) => ({ ...edition, subscribers: step.planned.get(edition.id) ?? 0 }))
      .filter((edition) => edition.subscribers > 0),
    messages: step.messages,
    requeued: sweep.requeued,
    expired: sweep.expired,
    paused: sweep.paused,
  };
}

/** Loads an edition into this isolate's cache; a failure only costs the warm-up (the consumer loads again). */
function warmEdition(app: AppContext, editionId: string): Promise<void> {
  return inBackground('edition_warm', () => loadEdition(app, editionId));
}

/** A continuation from the plan queue: one more step, unless a newer run of its kind took over. */
export async function continuePlanning(app: AppContext, message: PlanMessage): Promise<void> {
  const current = await getAppState<{ run: string }>(app.db, runKey(message.all));
  if (current?.run !== message.run) {
    logEvent('plan_superseded', { run: message.run, step: message.step, by: current?.run ?? null });
    return;
  }
  const { v: _v, kind: _kind, ...run } = message;
  await runStep(app, run);
}

async function runStep(app: AppContext, run: PlanRun, onEdition?: (editionId: string) => void) {
  const started = Date.now();
  // Planning first: its first messages can be on their way while the sweep runs.
  const step = await planStep(app, run, onEdition);
  const sweep = await housekeeping(app, new Date());
  const more = step.more || sweep.more;
  if (more) {
    const next: PlanMessage = { v: 1, kind: 'plan', ...run, step: run.step + 1 };
    await app.planQueue.send(next, { contentType: 'json' });
  }
  const planned = [...step.planned.values()].reduce((sum, count) => sum + count, 0);
  const now = nowIso();
  await recordPlanStep(app.db, runKey(run.all), run.run, run.step, planned, more ? null : now, now);
  logEvent('plan_step', {
    run: run.run,
    at: run.at,
    step: run.step,
    examined: step.examined,
    planned,
    messages: step.messages,
    requeued: sweep.requeued,
    expired: sweep.expired,
    continues: more,
    duration_ms: Date.now() - started,
  });
  return { sweep, step, planned };
}

async function housekeeping(app: AppContext, now: Date) {
  const { db } = app;
  const nowText = nowIso(now);
  const paused = await activeSendingPause(db, now);
  let expired = 0;
  for (const frequency of ['daily', 'weekly'] as const) {
    const cutoff = new Date(now.getTime() - EXPIRE_AFTER_HOURS[frequency] * 3_600_000);
    expired += await expireDeliveries(
      db,
      frequency,
      nowIso(cutoff),
      `expired: not sent within ${EXPIRE_AFTER_HOURS[frequency]} h of planning`,
      nowText,
      EXPIRE_LIMIT,
    );
  }
  const requeued = paused ? 0 : await requeueOrphans(app, now);
  return { paused, expired, requeued, more: requeued === REQUEUE_LIMIT || expired >= EXPIRE_LIMIT };
}

async function requeueOrphans(app: AppContext, now: Date): Promise<number> {
  const orphans = await listOrphanedDeliveries(
    app.db,
    nowIso(new Date(now.getTime() - ORPHANED_AFTER_MS)),
    REQUEUE_LIMIT,
  );
  if (orphans.length === 0) return 0;
  const byEdition = new Map<string, string[]>();
  for (const orphan of orphans) {
    const list = byEdition.get(orphan.editionId) ?? [];
    list.push(orphan.subscriberId);
    byEdition.set(orphan.editionId, list);
  }
  // Named in the messages and on the rows: an older message of these rows still on the
  // queue can then no longer give up on them (failUnfinished).
  const requeue = crypto.randomUUID();
  const messages = [...byEdition].flatMap(([editionId, ids]) => buildSendMessages(editionId, ids, requeue));
  try {
    await enqueueSendMessages(app.queue, messages);
  } catch (error) {
    logError('requeue_failed', error, { deliveries: orphans.length });
    return 0;
  }
  await markEnqueued(
    app.db,
    orphans.map((orphan) => orphan.id),
    nowIso(now),
    requeue,
  );
  return orphans.length;
}
