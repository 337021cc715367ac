/**
 * Pacing of requests to Resend within one isolate. Requests leave one at a time through a
 * "send lane", each in a slot reserved from the shared pacer in D1 (`db/pacer.ts`), so
 * every consumer, in every isolate, stays under RESEND_RATE_PER_SEC together. A message
 * leaves the lane as soon as its request has started, so the next one can take its slot
 * while the response is pending.
 */
import { reserveSendSlot } from '../db/pacer';

/**
 * Slots are spaced 6% wider than 1/R: requests start on time here but reach Resend with
 * some jitter (a multi-megabyte body, a busy isolate), and R+1 consecutive requests must
 * never land inside one second of Resend's window.
 */
export function pacingIntervalMs(ratePerSecond: number): number {
  return Math.ceil((1000 / ratePerSecond) * 1.06);
}

/** Waiting longer than this inside one invocation is wasteful: retry the message instead. */
const MAX_SLOT_WAIT_MS = 120_000;

/**
 * The send lane: requests from this isolate start one at a time, each in its own pacing
 * slot. `lastRequestStartedAt` keeps the spacing honest when a timer fires late (CPU work
 * of the message being prepared can delay it): the next slot is counted from the actual start.
 */
let sendLane: Promise<unknown> = Promise.resolve();
let lastRequestStartedAt = 0;

export function inSendLane<T>(task: () => Promise<T>): Promise<T> {
  const run = sendLane.then(task, task);
  sendLane = run.catch(() => undefined);
  return run;
}

export type SlotWait = { retryIn: number } | { slot: number; started: number };

/**
 * Reserves the next shared slot and waits for it (call inside the lane). When the slot is
 * too far away the caller should retry the message later instead of holding the invocation.
 */
export async function waitForSendSlot(db: D1Database, intervalMs: number): Promise<SlotWait> {
  const slot = await reserveSendSlot(db, intervalMs, lastRequestStartedAt + intervalMs);
  const wait = slot - Date.now();
  if (wait > MAX_SLOT_WAIT_MS) return { retryIn: Math.ceil(wait / 1000) };
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  lastRequestStartedAt = Date.now();
  return { slot, started: lastRequestStartedAt };
}
