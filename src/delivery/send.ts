/**
 * The send protocol: turns one message (an edition + up to 100 subscribers) into at most
 * one Resend batch request, exactly once.
 *   1. Rows still `sending` from an earlier attempt are replayed first, as the same group
 *      under the same Idempotency-Key and re-rendered from the stored ranking, so whatever
 *      happened last time (crash before the request, after Resend accepted it, mid-write)
 *      Resend either sends them now or answers with its first response. Anyone who
 *      unsubscribed or was suppressed since the claim is left out and failed with the reason.
 *      A claim too old for Resend to still remember its key is failed, not replayed.
 *   2. Queued rows are ranked: nothing worth sending → `skipped` with the reason; the rest are
 *      claimed atomically (queued → sending, with the key, subject and ranking) before the
 *      request, so a concurrent or later consumer can never build a second, different
 *      request for them. The claim takes a row only while its subscriber is still active:
 *      one who unsubscribed while the message was rendering is skipped, not mailed.
 *      Candidates arXiv withdrew since the edition was frozen are left out of the ranking
 *      (`withdrawnPerBatch`); a replay still sends what it claimed.
 *   3. The group's request and what its answer does to the rows are in `request.ts`; a
 *      sending pause (quota, or a configuration refusal) parks the message's rows for the
 *      planner (a replayed group keeps its key).
 */
import { type Delivery, type RankingSnapshot, snapshotBasis } from '../db/deliveries';
import { getWithdrawnInWindow } from '../db/editions';
import {
  type Claim,
  claimDeliveries,
  getLastSentWindowEnds,
  getMessageDeliveries,
  getRecentlySentPaperIds,
  getSendingBySendKeys,
  markSkipped,
  renameSendKey,
  type SkipDecision,
  skipDeparted,
  startReplay,
} from '../db/sending';
import { markFailed, parkDeliveries } from '../db/settling';
import { getSubscribersByIds } from '../db/subscribers';
import type { Subscriber } from '../domain';
import type { AppContext } from '../env';
import { nowIso } from '../lib/time';
import { profileFromSubscriber, type RankedPaper, rankForSubscriber } from '../ranking';
import type { SendMessage } from './messages';
import { activeSendingPause } from './quota';
import { type EditionContext, loadEdition, renderEmail } from './render';
import {
  idempotencyKey,
  lap,
  type MessageStats,
  type Outcome,
  type PreparedEmail,
  sendGroup,
  sendsOneAtATime,
} from './request';
import { encodeEmail, type MailTransport } from './transport';

/** The candidates of an edition withdrawn since it was frozen: see `withdrawnPerBatch`. */
export type WithdrawnReader = (context: EditionContext) => Promise<ReadonlySet<string>>;

const NONE_WITHDRAWN: ReadonlySet<string> = new Set();

/**
 * The edition in memory is frozen, but arXiv may report one of its candidates withdrawn
 * while its messages are still being sent. Each queue batch asks D1 once per edition (one
 * range of a partial index, a handful of rows: `getWithdrawnInWindow`) and its messages
 * leave those papers out of the ranking; the edition's index is not rebuilt. Once per batch
 * rather than per message keeps the statements per batch at +1; a batch lasts seconds.
 * Usually the set is empty and ranking costs exactly what it did.
 */
export function withdrawnPerBatch(db: D1Database): WithdrawnReader {
  const reads = new Map<string, Promise<ReadonlySet<string>>>();
  return (context) => {
    const id = context.edition.id;
    let read = reads.get(id);
    if (!read) {
      read = getWithdrawnInWindow(db, context.edition).then((ids) => {
        // Papers withdrawn when first stored were never candidates: only the others count.
        const withdrawn = ids.filter((paperId) => context.paperById.has(paperId));
        return withdrawn.length > 0 ? new Set(withdrawn) : NONE_WITHDRAWN;
      });
      reads.set(id, read);
      // A failed read fails its message (retried by the queue), not the rest of the batch.
      read.catch(() => {
        if (reads.get(id) === read) reads.delete(id);
      });
    }
    return read;
  };
}

export async function processMessage(
  app: AppContext,
  transport: MailTransport,
  message: SendMessage,
  attempts: number,
  stats: MessageStats,
  withdrawnOf: WithdrawnReader,
): Promise<Outcome> {
  const { db } = app;
  const started = performance.now();
  // Round trips in parallel where nothing depends on the other: a message's first request
  // waits for all of them, and on a busy isolate each costs tens of milliseconds.
  const [pause, rows, edition] = await Promise.all([
    activeSendingPause(db, new Date()),
    getMessageDeliveries(db, message.editionId, message.subscriberIds),
    loadEdition(app, message.editionId),
  ]);
  if (pause) {
    await parkDeliveries(db, message.editionId, message.subscriberIds);
    return { kind: 'done' };
  }
  const open = rows.filter((row) => row.status === 'queued' || row.status === 'sending');
  if (open.length === 0) return { kind: 'done' }; // a re-run after success: everything is final
  if (edition && sendsOneAtATime(edition.papers.length)) stats.oneAtATime = true;
  if (!edition) {
    await markFailed(
      db,
      open.map((row) => row.id),
      `edition ${message.editionId} no longer exists`,
      nowIso(),
    );
    stats.failed += open.length;
    return { kind: 'done' };
  }

  // 1. Replay groups claimed by an earlier attempt, exactly as claimed.
  const keys = [
    ...new Set(open.flatMap((row) => (row.status === 'sending' && row.sendKey ? [row.sendKey] : []))),
  ];
  const queued = open.filter((row) => row.status === 'queued');
  const queuedIds = queued.map((row) => row.subscriberId);
  const since = edition.edition.windowStart;
  const [claimed, found, history, withdrawn] = await Promise.all([
    getSendingBySendKeys(db, keys),
    getSubscribersByIds(db, [...new Set(open.map((row) => row.subscriberId))]),
    Promise.all([
      getRecentlySentPaperIds(db, queuedIds, since),
      getLastSentWindowEnds(db, queuedIds, edition.edition.id, since),
    ]),
    // Only what is ranked now needs it: a replay sends what it claimed.
    queued.length > 0 ? withdrawnOf(edition) : NONE_WITHDRAWN,
  ]);
  const subscribers = new Map(found.map((subscriber) => [subscriber.id, subscriber]));
  // A claimed group may span messages: load the subscribers of its other rows too.
  const others = [...new Set(claimed.map((row) => row.subscriberId))].filter((id) => !subscribers.has(id));
  for (const subscriber of await getSubscribersByIds(db, others)) subscribers.set(subscriber.id, subscriber);
  lap(stats, 'load', started);
  for (const key of keys) {
    const group = claimed.filter((row) => row.sendKey === key);
    if (group.length === 0) continue;
    stats.replayed += group.length;
    const outcome = await replayGroup(app, transport, edition, key, group, subscribers, attempts, stats);
    if (outcome.kind !== 'done') return settle(app, message, outcome);
  }

  // 2. Rank and claim what is still queued.
  if (queued.length === 0) return { kind: 'done' };
  return settle(
    app,
    message,
    await sendQueued(app, transport, edition, queued, subscribers, history, withdrawn, attempts, stats),
  );
}

/**
 * Lets timers and I/O run (the previous message's request waiting for its pacing slot must
 * leave on time), every few subscribers: a yield costs ~0.3 ms in workerd, so yielding
 * after each of them would add a third to the render time for little gain.
 */
const YIELD_EVERY = 8;
const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const yieldSometimes = (done: number) => (done % YIELD_EVERY === 0 ? yieldToEventLoop() : undefined);

/**
 * Papers to leave out for one subscriber: a set shared by everyone whose previous digest
 * ended at the same time (memoised per edition, so the ranking turns it into a mask once),
 * plus their own few, plus the edition's candidates withdrawn since its freeze (usually none).
 */
function excluding(
  shared: ReadonlySet<string> | null,
  own: ReadonlySet<string> | undefined,
  withdrawn: ReadonlySet<string>,
): ReadonlySet<string>[] {
  return [shared, own, withdrawn].filter((set): set is ReadonlySet<string> => set != null && set.size > 0);
}

/** A sending pause parks the whole message for the planner instead of burning queue retries. */
async function settle(app: AppContext, message: SendMessage, outcome: Outcome): Promise<Outcome> {
  if (outcome.kind !== 'paused') return outcome;
  await parkDeliveries(app.db, message.editionId, message.subscriberIds);
  return { kind: 'done' };
}

async function sendQueued(
  app: AppContext,
  transport: MailTransport,
  context: EditionContext,
  queued: Delivery[],
  subscribers: Map<string, Subscriber>,
  /** Papers each subscriber received since the window opened, and their last window end. */
  [alreadySent, lastSentEnds]: [Map<string, Set<string>>, Map<string, string>],
  /** Candidates withdrawn since the edition was frozen: nobody gets them now. */
  withdrawn: ReadonlySet<string>,
  attempts: number,
  stats: MessageStats,
): Promise<Outcome> {
  const { db } = app;
  const now = nowIso();
  let mark = performance.now();
  const skips: SkipDecision[] = [];
  const prepared: PreparedEmail[] = [];
  for (const delivery of [...queued].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const subscriber = subscribers.get(delivery.subscriberId);
    if (!subscriber) {
      skips.push({ id: delivery.id, reason: 'subscriber no longer exists' });
      continue;
    }
    if (subscriber.status !== 'active') {
      skips.push({ id: delivery.id, reason: `subscriber is ${subscriber.status}` });
      continue;
    }
    // "New" means ingested after the subscriber's previous digest, and not sent to them yet.
    const since = lastSentEnds.get(subscriber.id);
    const exclude = excluding(
      since && since > context.edition.windowStart ? context.ingestedBefore(since) : null,
      alreadySent.get(subscriber.id),
      withdrawn,
    );
    const result = rankForSubscriber(context.index, profileFromSubscriber(subscriber), { exclude });
    if (result.skipReason || result.papers.length === 0) {
      skips.push({ id: delivery.id, reason: result.skipReason ?? 'no new papers' });
      continue;
    }
    const trending = result.basis === 'trending' ? { basis: 'trending' as const } : {};
    mark = lap(stats, 'rank', mark);
    const email = await renderEmail(
      app.config,
      context,
      subscriber,
      delivery.id,
      result.papers,
      result.basis,
    );
    // Only the papers the email shows are recorded as sent (and rendered again on a retry).
    const ranking: RankingSnapshot[] = result.papers.slice(0, email.papers).map((item) => ({
      id: item.paper.id,
      score: item.score,
      why: item.why,
      ...trending,
    }));
    prepared.push({ delivery, subscriber, ranking, email, json: encodeEmail(email) });
    await yieldSometimes(prepared.length);
    mark = lap(stats, 'render', mark);
  }
  mark = lap(stats, 'rank', mark);
  await markSkipped(db, skips, now);
  stats.skipped += skips.length;
  if (prepared.length === 0) return { kind: 'done' };

  const intended = prepared.map((item) => item.delivery.id);
  let key = await idempotencyKey(context.edition.id, intended, now);
  const claims: Claim[] = prepared.map((item) => ({
    id: item.delivery.id,
    subject: item.email.subject,
    ranking: item.ranking,
  }));
  const won = await claimDeliveries(db, key, claims, now);
  const group = prepared.filter((item) => won.has(item.delivery.id));
  if (group.length !== prepared.length) {
    // Rows not won: claimed by another consumer, or their subscriber left since the load.
    stats.skipped += await skipDeparted(
      db,
      prepared.filter((item) => !won.has(item.delivery.id)).map((item) => item.delivery.id),
      now,
    );
  }
  if (group.length === 0) return { kind: 'done' };
  if (group.length !== prepared.length) {
    // Part of this set was not claimed: the key must name exactly what we send.
    const narrower = await idempotencyKey(
      context.edition.id,
      group.map((item) => item.delivery.id),
      now,
    );
    await renameSendKey(db, key, narrower);
    key = narrower;
  }
  lap(stats, 'claim', mark);
  return sendGroup(app, transport, key, group, attempts, stats);
}

/**
 * How long after its claim a group may still be replayed under its key: Resend keeps an
 * Idempotency-Key for 24 hours, and the claim precedes the first request by seconds; an
 * hour's margin covers clock skew between Cloudflare and Resend. Retries end within about
 * 40 minutes and daily rows expire 20 h after planning, but a weekly row parked through a
 * quota pause, or whose message was lost, can come back days after its claim.
 */
export const REPLAY_WINDOW_MS = 23 * 3_600_000;

async function replayGroup(
  app: AppContext,
  transport: MailTransport,
  context: EditionContext,
  key: string,
  rows: Delivery[],
  subscribers: Map<string, Subscriber>,
  attempts: number,
  stats: MessageStats,
): Promise<Outcome> {
  const now = Date.now();
  if (rows.some((row) => Date.parse(row.claimedAt ?? row.queuedAt) <= now - REPLAY_WINDOW_MS)) {
    // Resend has forgotten the key (or is about to): if the earlier request got through, a
    // replay would be sent a second time. At most once: the group fails with the reason,
    // and a webhook event still proves it sent if it was.
    await markFailed(
      app.db,
      rows.map((row) => row.id),
      `not replayed: claimed over ${REPLAY_WINDOW_MS / 3_600_000} h ago, so Resend may have forgotten its Idempotency-Key and a replay could arrive twice; an earlier attempt may have been sent`,
      nowIso(new Date(now)),
    );
    stats.failed += rows.length;
    return { kind: 'done' };
  }
  const group: PreparedEmail[] = [];
  const orphaned: string[] = [];
  for (const delivery of rows) {
    const subscriber = subscribers.get(delivery.subscriberId);
    if (!subscriber) {
      orphaned.push(delivery.id);
      continue;
    }
    // Unsubscribed or suppressed since the claim: if the earlier request never reached
    // Resend, replaying it would mail someone who said stop (or whose address bounced or
    // complained). Leaving them out changes the body, so a request that did get through
    // is answered 409 and the rest are recorded sent; a webhook event still proves theirs.
    // Not rendered; `startReplay` fails the row with the reason.
    if (subscriber.status !== 'active') continue;
    const ranking = delivery.ranking ?? delivery.paperIds.map((id) => ({ id, score: 0, why: [] }));
    const ranked: RankedPaper[] = ranking.flatMap((item) => {
      const paper = context.paperById.get(item.id);
      return paper ? [{ paper, score: item.score, why: item.why }] : [];
    });
    const email = await renderEmail(
      app.config,
      context,
      subscriber,
      delivery.id,
      ranked,
      snapshotBasis(ranking),
    );
    group.push({ delivery, subscriber, ranking, email, json: encodeEmail(email) });
    await yieldSometimes(group.length);
  }
  if (orphaned.length > 0) {
    // The subscriber was erased between attempts: there is nobody left to render for.
    await markFailed(app.db, orphaned, 'subscriber erased before the send completed', nowIso());
    stats.failed += orphaned.length;
  }
  // Whoever left since the load (or before it) fails here, atomically with the attempt.
  const { sending, departed } = await startReplay(app.db, key, nowIso());
  stats.failed += departed;
  const replayed = group.filter((item) => sending.has(item.delivery.id));
  if (replayed.length === 0) return { kind: 'done' };
  return sendGroup(app, transport, key, replayed, attempts, stats, true);
}
