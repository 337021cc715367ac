/**
 * One step of a planner run: a bounded number of subscribers who may be due (their
 * `next_send_at` has come; in `all` mode every active subscriber, by id), each checked
 * against their local clock. Due ones whose period has no delivery yet get a queued
 * delivery in the run's edition for their frequency (frozen on first use); every one of
 * them gets its next possible send instant, in the same transaction, so a subscriber leaves
 * the index range once looked at and a crash can neither lose nor double a period (UNIQUE
 * subscriber + period). One whose instant passed in a period that has ended since, unplanned
 * because a run was cut short, gets that period planned, a few hours late at most
 * (schedule.ts). New deliveries are enqueued in messages of ≤ 100 subscribers.
 *
 * The step's size is the invocation budget: PAGE_SIZE subscribers per page, at most
 * STEP_SUBSCRIBERS per step, and per page at most five statements (read, planned check,
 * one insert per frequency, one update).
 */
import { countWindowPapers, insertEditionWithCandidates } from '../db/editions';
import {
  findPlannedPeriods,
  insertedDeliveries,
  insertQueuedDeliveriesStatements,
  listActivePage,
  listMaybeDue,
  markEnqueued,
  type NewDelivery,
  type PlanCandidate,
  setNextSendAtStatements,
} from '../db/planning';
import type { Frequency } from '../domain';
import type { AppContext } from '../env';
import { logEvent } from '../lib/log';
import { isoWeekKey, nowIso, utcDate } from '../lib/time';
import { buildSendMessages, enqueueSendMessages, type PlanMessage } from './messages';
import { isDue, missedPeriod, nextSendAt, periodKey, type ZoneClock, zoneClock } from './schedule';

/**
 * Subscribers read per page, and per step (one invocation). D1 counts about 10 rows written
 * (the delivery, the subscriber's new instant and their index entries) and 10 read per
 * subscriber planned, so a step of 800 stays within ~10,000 of each (test/delivery/budget).
 */
export const PAGE_SIZE = 400;
export const STEP_SUBSCRIBERS = 800;
/** A run's very first page is small, so its first message is on the queue within moments. */
const FIRST_PAGE_SIZE = 100;

/** How far back an edition looks for papers a subscriber has not seen yet. */
const CANDIDATE_WINDOW_HOURS: Record<Frequency, number> = { daily: 72, weekly: 8 * 24 };

/**
 * The most candidates an edition holds. A sender isolate keeps the whole edition in memory
 * (ranking index, papers as shown) while it ranks and renders, ~3–4 MB per 1,000 candidates
 * (`npm run bench:memory`: 57 MB peak at 8,000, 62–63 MB at 10,000, 82–89 MB at 16,000; 138 MB
 * at 30,000 before the sender's latest savings, past Workers' 128 MB), so 8,000 leaves room
 * under the 64 MB budget. A weekly window of the default categories alone stores
 * 12,000–16,000 papers (up to 32,000 at the ingest's 4,000 a day), so without a ceiling a
 * weekly edition would take its sender past the 64 MB budget, or crash it and send nothing.
 */
export const EDITION_MAX_CANDIDATES = 8_000;

export type PlanRun = Omit<PlanMessage, 'v' | 'kind'>;

export interface EditionCreated {
  id: string;
  frequency: Frequency;
  period_key: string;
  window_start: string;
  window_end: string;
  candidates: number;
  /** Papers of the window beyond EDITION_MAX_CANDIDATES, the oldest and least upvoted. */
  left_out: number;
}

export interface StepResult {
  /** Subscribers looked at, and deliveries planned, by edition id. */
  examined: number;
  planned: Map<string, number>;
  messages: number;
  editionsCreated: EditionCreated[];
  /** True when the step stopped at its budget with more to look at. */
  more: boolean;
}

export async function planStep(
  app: AppContext,
  run: PlanRun,
  onEdition?: (editionId: string) => void,
): Promise<StepResult> {
  const { db } = app;
  const at = new Date(run.at);
  const result: StepResult = {
    examined: 0,
    planned: new Map(),
    messages: 0,
    editionsCreated: [],
    more: false,
  };
  const clocks = new Map<string, ZoneClock>();
  const clockOf = (zone: string) => {
    let clock = clocks.get(zone);
    if (!clock) {
      clock = zoneClock(zone, at);
      clocks.set(zone, clock);
    }
    return clock;
  };
  const instants = new Map<string, string>();
  const nextOf = (candidate: PlanCandidate, periodDone: boolean) => {
    const key = `${candidate.timeZone}|${candidate.frequency}|${candidate.sendHour}|${candidate.sendWeekday}|${periodDone}`;
    let next = instants.get(key);
    if (!next) {
      const instant = nextSendAt(candidate, at, periodDone);
      // Never at or before the run's time, or the same rows would come back in the next page.
      next = nowIso(instant > at ? instant : new Date(at.getTime() + 3_600_000));
      instants.set(key, next);
    }
    return next;
  };

  while (result.examined < STEP_SUBSCRIBERS) {
    const size =
      run.step === 1 && result.examined === 0
        ? FIRST_PAGE_SIZE
        : Math.min(PAGE_SIZE, STEP_SUBSCRIBERS - result.examined);
    const page = run.all
      ? await listActivePage(db, run.after ?? '', size)
      : await listMaybeDue(db, run.at, size);
    if (page.length === 0) return result;
    result.examined += page.length;
    if (run.all) run.after = page.at(-1)!.id;

    const due = page.flatMap((candidate) => {
      const clock = clockOf(candidate.timeZone);
      if (isDue(candidate, clock, run.all)) {
        return [{ candidate, periodKey: periodKey(candidate, clock), current: true }];
      }
      // Not due today, but their instant passed in a period no run planned (a run cut short).
      const missed = missedPeriod(candidate, candidate.nextSendAt, at);
      return missed ? [{ candidate, periodKey: missed, current: false }] : [];
    });
    const planned = await findPlannedPeriods(
      db,
      due.map((item) => ({ subscriberId: item.candidate.id, periodKey: item.periodKey })),
    );
    const fresh = due.filter((item) => !planned.has(`${item.candidate.id} ${item.periodKey}`));
    // Only the current period is done: a missed one leaves today's send instant ahead.
    const dueIds = new Set(due.filter((item) => item.current).map((item) => item.candidate.id));

    const now = nowIso();
    const statements: D1PreparedStatement[] = [];
    const insertsPerFrequency: { editionId: string; count: number }[] = [];
    for (const frequency of ['daily', 'weekly'] as const) {
      const rows: NewDelivery[] = fresh
        .filter((item) => item.candidate.frequency === frequency)
        .map((item) => ({
          id: crypto.randomUUID(),
          subscriberId: item.candidate.id,
          periodKey: item.periodKey,
        }));
      if (rows.length === 0) continue;
      let editionId = run.editions[frequency];
      if (!editionId) {
        editionId = await createEdition(db, run, frequency, result);
        onEdition?.(editionId);
      }
      const inserts = insertQueuedDeliveriesStatements(db, editionId, rows, now);
      statements.push(...inserts);
      insertsPerFrequency.push({ editionId, count: inserts.length });
    }
    statements.push(
      ...setNextSendAtStatements(
        db,
        page.map((candidate) => ({
          candidate,
          nextSendAt: nextOf(candidate, dueIds.has(candidate.id)),
        })),
      ),
    );
    // One transaction: the deliveries and the subscribers' next instants move together.
    const written = await db.batch(statements);

    let offset = 0;
    for (const { editionId, count } of insertsPerFrequency) {
      const inserted = written.slice(offset, offset + count).flatMap(insertedDeliveries);
      offset += count;
      if (inserted.length === 0) continue;
      const messages = buildSendMessages(
        editionId,
        inserted.map((row) => row.subscriberId),
      );
      try {
        await enqueueSendMessages(app.queue, messages);
      } catch (error) {
        // The rows exist; parking them lets the orphan sweep enqueue them later.
        await markEnqueued(
          db,
          inserted.map((row) => row.id),
          null,
        );
        throw error;
      }
      result.planned.set(editionId, (result.planned.get(editionId) ?? 0) + inserted.length);
      result.messages += messages.length;
    }
    if (page.length < size) return result;
  }
  result.more = true;
  return result;
}

/** Freezes the run's edition for a frequency, the first time the run needs it. */
async function createEdition(
  db: D1Database,
  run: PlanRun,
  frequency: Frequency,
  result: StepResult,
): Promise<string> {
  const at = new Date(run.at);
  const windowEnd = run.at;
  const windowStart = new Date(at.getTime() - CANDIDATE_WINDOW_HOURS[frequency] * 3_600_000).toISOString();
  const day = utcDate(at);
  const stamp = windowEnd.slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const edition = {
    // Only letters, digits, '-' and '_': the id doubles as a Resend tag value.
    id: `${frequency}-${stamp}-${crypto.randomUUID().slice(0, 8)}`,
    frequency,
    periodKey: frequency === 'daily' ? day : isoWeekKey(day),
    plannedAt: windowEnd,
    windowStart,
    windowEnd,
  };
  const candidates = await insertEditionWithCandidates(db, edition, EDITION_MAX_CANDIDATES);
  // Said out loud: the window's oldest papers are not in this edition, and the operator should know.
  const leftOut =
    candidates < EDITION_MAX_CANDIDATES
      ? 0
      : (await countWindowPapers(db, windowStart, windowEnd)) - candidates;
  if (leftOut > 0) logEvent('edition_capped', { edition: edition.id, candidates, leftOut, level: 'warn' });
  run.editions[frequency] = edition.id;
  result.editionsCreated.push({
    id: edition.id,
    frequency,
    period_key: edition.periodKey,
    window_start: windowStart,
    window_end: windowEnd,
    candidates,
    left_out: leftOut,
  });
  return edition.id;
}
