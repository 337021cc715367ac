/**
 * Pacing of requests to Resend. Resend allows R requests per one-second window (R is
 * `ratelimit-limit`, 2 by default) and says so on every answer, with what is left
 * (`ratelimit-remaining`), when the window frees a request (`ratelimit-reset`) and, on a
 * 429, how long to wait (`retry-after`). Requests leave one at a time through this
 * isolate's "send lane", each in a slot reserved from the shared pacer in D1
 * (`db/pacer.ts`), so every consumer, in every isolate, stays under the limit together.
 *
 * What Resend counts is a window: at most R requests in any one second. So a slot is the
 * window's, not a fixed 1/R spacing: the first R requests of a run leave together, and
 * each later one a window (plus a guard for the request's own jitter) after the R-th
 * previous. Spacing slots 1/R apart cost a run one interval at its start for nothing, and
 * counted from planned slots it was not safe either: a timer that fires late makes one gap
 * long and the next one short. So the shared slots (D1) keep the window of planned slots,
 * and this isolate also keeps the window of its requests' actual starts. The limit is taken
 * from Resend's headers when they say less than RESEND_RATE_PER_SEC; and an answer saying
 * the window is full when our own requests do not fill it (another sender on the same team
 * key) holds every consumer back until the window frees a request. A message leaves the
 * lane as soon as its request has started, so the next one can take its slot while the
 * response is pending.
 */
import { deferSendSlots, reserveSendSlot } from '../db/pacer';
import type { MailTransport, OutgoingEmail, RateLimitInfo, SendResult } from './transport';

const WINDOW_MS = 1000;
/** Tolerance for a request reaching Resend later or earlier than it left (body size, busy host). */
const GUARD_MS = 60;
/**
 * A request on a new connection (the first of an isolate, or after keep-alive has likely
 * lapsed) reaches Resend later by the connection setup: counted as arriving this much later.
 */
const NEW_CONNECTION_MS = 80;
const KEEP_ALIVE_MS = 5_000;
/** Waiting longer than this inside one invocation is wasteful: retry the message instead. */
const MAX_SLOT_WAIT_MS = 120_000;

/**
 * When this isolate's recent requests are taken to reach Resend (epoch ms), oldest first:
 * their actual start, later for a request that had to open a connection.
 */
const starts: number[] = [];
/** The limit Resend last reported, when lower than configured. */
let reportedLimit: number | null = null;
/**
 * Until an answer has told this isolate Resend's limit, its requests go one at a time, each
 * after the previous one's answer (or `FIRST_ANSWER_WAIT_MS`): the configured rate may be
 * above what the team's key allows, and requests that leave before the first answer cannot
 * know it and draw 429s. One round trip per isolate.
 */
let limitHeard = false;
let pendingAnswer: Promise<void> | null = null;
let answered: () => void = () => {};
const FIRST_ANSWER_WAIT_MS = 5_000;

/** Requests per second to pace for: the configured rate, or Resend's own limit if lower. */
export function effectiveRate(configured: number): number {
  return reportedLimit !== null && reportedLimit < configured ? reportedLimit : configured;
}

/**
 * The send lane: requests from this isolate start one at a time, each in its own pacing
 * slot; the next may take its slot as soon as the previous request has started.
 */
let sendLane: Promise<unknown> = Promise.resolve();

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
export async function waitForSendSlot(
  db: D1Database,
  configuredRate: number,
  maxWaitMs: number = MAX_SLOT_WAIT_MS,
): Promise<SlotWait> {
  const rate = effectiveRate(configuredRate);
  // R requests per window; a rate below 1 (or not whole) stretches the window to match.
  const perWindow = Math.max(1, Math.floor(rate));
  const windowMs = (WINDOW_MS * perWindow) / rate + GUARD_MS;
  const last = starts.at(-1) ?? 0;
  const windowOpens = starts.length >= perWindow ? starts[starts.length - perWindow]! + windowMs : 0;
  const slot = await reserveSendSlot(db, { perWindow, windowMs, notBeforeMs: windowOpens });
  const wait = slot - Date.now();
  if (wait > maxWaitMs) return { retryIn: Math.ceil(wait / 1000) };
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const started = Date.now();
  starts.push(started - last > KEEP_ALIVE_MS ? started + NEW_CONNECTION_MS : started);
  if (starts.length > 16) starts.shift();
  return { slot, started };
}

/**
 * `waitForSendSlot` for a request about to leave (call inside the lane, then send at once
 * and pass the answer to `notePacing`): before this isolate has heard Resend's limit, it
 * first waits for the previous request's answer.
 */
export async function takeSendSlot(
  db: D1Database,
  configuredRate: number,
  maxWaitMs: number = MAX_SLOT_WAIT_MS,
): Promise<SlotWait> {
  if (!limitHeard && pendingAnswer) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      pendingAnswer,
      new Promise((resolve) => {
        timer = setTimeout(resolve, Math.min(FIRST_ANSWER_WAIT_MS, maxWaitMs));
      }),
    ]);
    clearTimeout(timer);
  }
  const slot = await waitForSendSlot(db, configuredRate, maxWaitMs);
  if (!limitHeard && 'started' in slot) {
    pendingAnswer = new Promise((resolve) => {
      answered = resolve;
    });
  }
  return slot;
}

/**
 * What an answer says about the window. A lower limit is adopted; "nothing left" when this
 * isolate's own requests in the window do not account for it means someone else is using
 * the team's budget, so every consumer waits until Resend says the window frees one. Call
 * it as soon as the answer is in.
 */
export async function notePacing(
  db: D1Database,
  rateLimit: RateLimitInfo | undefined,
  started: number,
  configuredRate: number,
): Promise<void> {
  answered();
  if (!rateLimit) return;
  limitHeard = true;
  reportedLimit = rateLimit.limit < configuredRate ? rateLimit.limit : null;
  if (rateLimit.remaining > 0) return;
  const ours = starts.filter((at) => at > started - WINDOW_MS && at <= started + NEW_CONNECTION_MS).length;
  if (ours >= rateLimit.limit) return;
  // `ratelimit-reset` counts from when Resend answered, not from when our request left: the
  // window it speaks of holds our request from its arrival, a few ms (or a slow connection)
  // after `started`, so the hold counts from the answer, plus the usual guard.
  await deferSendSlots(db, Date.now() + rateLimit.resetSeconds * 1000 + GUARD_MS);
}

/**
 * Waits before asking again about a request whose outcome is unknown (`outcomeUnknown`):
 * the second ask usually settles it, and more than a few mean Resend is down.
 */
const UNKNOWN_OUTCOME_WAITS_MS = [1_000, 2_000];

/**
 * A request that may have been accepted: no answer (timeout, dropped connection), a 5xx,
 * or 409 because the first request under its key is still being processed.
 */
function outcomeUnknown(result: SendResult): boolean {
  return (
    result.kind === 'retryable' && (result.status === null || result.status >= 500 || result.status === 409)
  );
}

/**
 * One request of mail sent outside the digest sender (a sign-up confirmation, a data
 * link), usually in the background after the visitor was told to check their inbox. It
 * takes a slot of the same shared window as the digests, so a burst of sign-ups neither
 * draws 429s nor pushes the digests into them; a 429 that comes anyway (another sender on
 * the team) is waited out and the same request sent again under its key, as long as that
 * fits in `budgetMs` (what is left of the invocation). Without this a launch-day burst lost
 * confirmations: each 429 was a failure the visitor never saw. A request whose outcome is
 * unknown (the answer lost after Resend accepted it, say) is asked again under its key, a
 * couple of times within the budget: Resend answers a request it accepted from its
 * idempotency memory. Without this the caller took it as failed, gave the reservation
 * back, and the next sign-up sent a second confirmation.
 */
export async function sendPaced(
  db: D1Database,
  transport: MailTransport,
  emails: OutgoingEmail[],
  options: { idempotencyKey: string; configuredRate: number; budgetMs: number },
): Promise<SendResult> {
  const deadline = Date.now() + options.budgetMs;
  let unknown = 0;
  for (;;) {
    let started = Date.now();
    if (transport.name === 'resend') {
      const slot = await inSendLane(() =>
        takeSendSlot(db, options.configuredRate, Math.max(0, deadline - Date.now())),
      );
      if ('retryIn' in slot) {
        return {
          kind: 'rate_limited',
          retryAfterSeconds: slot.retryIn,
          message: 'no send slot within the time left',
        };
      }
      started = slot.started;
    }
    const result = await transport.sendBatch(emails, { idempotencyKey: options.idempotencyKey });
    if (transport.name === 'resend') await notePacing(db, result.rateLimit, started, options.configuredRate);
    if (outcomeUnknown(result)) {
      const waitMs = UNKNOWN_OUTCOME_WAITS_MS[unknown++];
      if (waitMs === undefined || Date.now() + waitMs > deadline) return result;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      continue;
    }
    if (result.kind !== 'rate_limited') return result;
    const waitMs = Math.max(1, Math.ceil(result.retryAfterSeconds)) * 1000;
    if (Date.now() + waitMs > deadline) return result;
    // Every consumer waits too: the window is the team's.
    await deferSendSlots(db, Date.now() + waitMs);
  }
}
