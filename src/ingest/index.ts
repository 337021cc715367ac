/**
 * Ingest entry point: pulls Hugging Face Daily Papers and arXiv into D1. Crons and
 * `POST /admin/ingest` both call runIngest. Each source is crawled independently: a
 * failing upstream (HTTP error, timeout, unusable body) fails only that source's run,
 * which is recorded in ingest_runs with its error so the next cron retries; what was
 * fetched before the failure is still stored. Invalid items are skipped, counted and
 * logged. Writes go through upsertPapers, so re-running a payload adds nothing.
 */

import {
  type ArxivCrawledThrough,
  clearIngestNotBefore,
  getArxivCrawledThrough,
  getIngestNotBefore,
  insertIngestRun,
  recordArxivCrawledThrough,
  recordArxivRequestEnd,
  releaseIngestLease,
  reserveArxivRequestSlot,
  setIngestNotBefore,
  tryAcquireIngestLease,
} from '../db/ingest-runs';
import { markPapersWithdrawn, storedPaperIds, upsertPapers } from '../db/papers';
import { listFollowedCategories } from '../db/subscribers';
import type { IncomingPaper } from '../domain';
import type { AppContext } from '../env';
import { logEvent } from '../lib/log';
import { addDays, utcDate } from '../lib/time';
import { categoriesOf } from '../subscriptions/interests';
import { parseArxivFeed } from './arxiv';
import { parseHfDailyPapers } from './hf';
import { bodyExcerpt, fetchText, isBackOff, UpstreamError } from './http';
import { type SkippedItem, UpstreamFormatError } from './normalise';
import { SOURCE_NAMES } from './status';

export type IngestSource = 'hf' | 'arxiv';
export const INGEST_SOURCES: readonly IngestSource[] = ['hf', 'arxiv'];

/** Knobs with production defaults; tests shorten the arXiv interval and page sizes. */
export interface IngestTuning {
  hfTimeoutMs: number;
  /** `limit` per Daily Papers request (the API allows up to 100). */
  hfPageSize: number;
  hfMaxPagesPerDay: number;
  /** Previous days whose lists are re-fetched to refresh upvotes and comments. */
  hfRefreshDays: number;
  arxivTimeoutMs: number;
  arxivPageSize: number;
  arxivMaxPages: number;
  /** arXiv's terms: at most one request every 3 seconds, one connection at a time. */
  arxivRequestIntervalMs: number;
  /** Entries submitted before `at - arxivWindowDays` end the crawl (covers weekends). */
  arxivWindowDays: number;
  /**
   * How far back a crawl may reach for the newest submission the last complete crawl
   * stored, when that lies before the window (arXiv's year-end break is ~10 days).
   */
  arxivMaxBacklogDays: number;
  /** The most one crawl waits in all for arXiv's Retry-After answers before it fails instead. */
  arxivMaxBusyWaitMs: number;
}

export const DEFAULT_INGEST_TUNING: IngestTuning = {
  hfTimeoutMs: 15_000,
  hfPageSize: 100,
  hfMaxPagesPerDay: 5,
  hfRefreshDays: 3,
  arxivTimeoutMs: 30_000,
  arxivPageSize: 200,
  arxivMaxPages: 20,
  arxivRequestIntervalMs: 3_000,
  arxivWindowDays: 4,
  arxivMaxBacklogDays: 14,
  arxivMaxBusyWaitMs: 60_000,
};

export interface IngestOptions {
  sources: IngestSource[];
  at: Date;
  /** YYYY-MM-DD to backfill instead of "today". */
  date?: string;
  tuning?: Partial<IngestTuning>;
}

export interface IngestRunSummary {
  /** ingest_runs row id (null when the run was skipped and nothing was recorded). */
  id: number | null;
  source: IngestSource;
  window: string;
  status: 'ok' | 'failed' | 'skipped';
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
  errors: string[];
  started_at: string;
  duration_ms: number;
  /** A skipped run's source asked us (Retry-After) not to come back before this instant. */
  retry_at?: string;
}

export interface IngestResult {
  runs: IngestRunSummary[];
}

/** Recorded and logged per run, so one bad payload cannot flood D1 or the logs. */
const MAX_RECORDED_ERRORS = 20;
const MAX_LOGGED_SKIPS = 50;
/** Answers of a page of arXiv results that came back empty before the crawl gives up on it. */
const ARXIV_EMPTY_PAGE_TRIES = 3;
/** Answers of one page that asked us to wait (Retry-After) before the crawl fails instead. */
const ARXIV_BUSY_TRIES = 3;
/** An arXiv crawl never legitimately takes longer; a crashed run's lease expires after this. */
const ARXIV_LEASE_MS = 20 * 60_000;

export async function runIngest(app: AppContext, options: IngestOptions): Promise<IngestResult> {
  const tuning = { ...DEFAULT_INGEST_TUNING, ...options.tuning };
  const sources = [...new Set(options.sources)];
  // Different hosts: the sources run side by side; each is sequential within itself.
  const runs = await Promise.all(
    sources.map((source) =>
      source === 'hf' ? ingestHuggingFace(app, options, tuning) : ingestArxiv(app, options, tuning),
    ),
  );
  return { runs };
}

/** Counts for one source's run, filled in as pages are fetched and stored. */
class RunTally {
  fetched = 0;
  inserted = 0;
  updated = 0;
  unchanged = 0;
  skipped = 0;
  /** Why fetches failed (first) and which items were skipped, both capped. */
  private failures: string[] = [];
  private skips: string[] = [];
  failed = false;
  private loggedSkips = 0;
  readonly startedAt = new Date();

  constructor(
    readonly source: IngestSource,
    public window: string,
  ) {}

  async store(app: AppContext, papers: IncomingPaper[]): Promise<void> {
    if (papers.length === 0) return;
    const result = await upsertPapers(app.db, papers, new Date().toISOString());
    this.inserted += result.inserted.length;
    this.updated += result.updated.length;
    this.unchanged += result.unchanged.length;
    for (const paper of result.tooLarge) this.recordSkip(`stored item: ${paper.reason}`);
  }

  /** Papers the source now reports withdrawn: stored ones are marked, and count as updated. */
  async withdraw(app: AppContext, ids: string[]): Promise<void> {
    const marked = await markPapersWithdrawn(app.db, ids, new Date().toISOString());
    this.updated += marked.length;
    for (const id of marked) logEvent('paper_withdrawn', { source: this.source, id });
  }

  skip(items: SkippedItem[], where: string): void {
    for (const item of items) this.recordSkip(`${where} item ${item.index}: ${item.reason}`);
  }

  private recordSkip(reason: string): void {
    this.skipped += 1;
    if (this.skips.length < MAX_RECORDED_ERRORS) this.skips.push(`skipped ${reason}`);
    if (this.loggedSkips < MAX_LOGGED_SKIPS) {
      this.loggedSkips += 1;
      logEvent('ingest_item_skipped', { source: this.source, reason });
    }
  }

  /**
   * The run stopped at a page cap with more left to fetch: not a failure (what it fetched is
   * stored and the source answered), but said in the run's errors and logged, so an operator
   * can backfill instead of the rest being lost unnoticed.
   */
  truncated(message: string): void {
    if (this.failures.length < MAX_RECORDED_ERRORS) this.failures.push(message);
    logEvent('ingest_truncated', { source: this.source, window: this.window, message });
  }

  fail(error: unknown, where: string): void {
    this.failed = true;
    const message =
      error instanceof UpstreamError || error instanceof UpstreamFormatError ? error.message : null;
    // Anything else is our bug (e.g. D1 rejected a statement): say so instead of blaming upstream.
    const text = message ?? `internal error: ${error instanceof Error ? error.message : String(error)}`;
    if (this.failures.length < MAX_RECORDED_ERRORS) this.failures.push(`${where}: ${text}`);
  }

  get errors(): string[] {
    return [...this.failures, ...this.skips].slice(0, MAX_RECORDED_ERRORS);
  }

  /**
   * A run that did not ask the upstream at all, for `reason`. Not recorded in ingest_runs
   * (whose newest row per source says how the source last answered), but logged.
   */
  skippedRun(reason: string, retryAt?: string): IngestRunSummary {
    const summary: IngestRunSummary = {
      id: null,
      source: this.source,
      window: this.window,
      status: 'skipped',
      fetched: 0,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      errors: [reason],
      started_at: this.startedAt.toISOString(),
      duration_ms: 0,
      ...(retryAt ? { retry_at: retryAt } : {}),
    };
    logEvent('ingest', { ...summary });
    return summary;
  }

  async finish(app: AppContext): Promise<IngestRunSummary> {
    const run = {
      source: this.source,
      window: this.window,
      status: this.failed ? ('failed' as const) : ('ok' as const),
      fetched: this.fetched,
      inserted: this.inserted,
      updated: this.updated,
      skipped: this.skipped,
      errors: this.errors,
      started_at: this.startedAt.toISOString(),
      duration_ms: Date.now() - this.startedAt.getTime(),
    };
    const id = await insertIngestRun(app.db, run);
    const summary: IngestRunSummary = { id, ...run, unchanged: this.unchanged };
    logEvent('ingest', { ...summary });
    return summary;
  }
}

function userAgent(app: AppContext): string {
  return `papers-digest/1.0 (+${app.config.PUBLIC_URL})`;
}

/**
 * The skipped run when the source asked us (its Retry-After, kept by recordNotBefore) not
 * to come back yet; null when it did not, or that time has passed (the wait is then cleared).
 */
async function heldOff(app: AppContext, tally: RunTally): Promise<IngestRunSummary | null> {
  const wait = await getIngestNotBefore(app.db, tally.source);
  if (!wait) return null;
  if (!(Date.parse(wait.until) > Date.now())) {
    await clearIngestNotBefore(app.db, tally.source);
    return null;
  }
  return tally.skippedRun(
    `${SOURCE_NAMES[tally.source]} asked to wait until ${wait.until} (${wait.reason}): not asked before then`,
    wait.until,
  );
}

/** Keeps a Retry-After the run gave up on, so that the next runs do not ask before it is over. */
async function recordNotBefore(app: AppContext, source: IngestSource, error: unknown): Promise<void> {
  if (!(error instanceof UpstreamError) || error.retryAfterSeconds === null) return;
  const until = new Date(Date.now() + error.retryAfterSeconds * 1000).toISOString();
  await setIngestNotBefore(app.db, { source, until, reason: error.message });
  logEvent('ingest_not_before', { source, until, reason: error.message });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for this client's next arXiv slot, kept in D1 so every run and cron shares the spacing. */
async function waitForArxivSlot(app: AppContext, intervalMs: number): Promise<void> {
  const slot = await reserveArxivRequestSlot(app.db, Date.now(), intervalMs);
  // A slot is at most one interval away unless clocks disagree; never wait longer than a few.
  const wait = Math.min(slot - Date.now(), intervalMs * 5);
  if (wait > 0) await sleep(wait);
}

/**
 * Hugging Face: today's list (UTC) plus the previous `hfRefreshDays` lists, whose upvotes
 * and comments keep changing; or exactly one list when backfilling a date. Weekends and
 * holidays have empty lists, which is a normal, successful run. A failing day does not stop
 * the others, except a 429 (or any Retry-After), which ends the run.
 */
async function ingestHuggingFace(
  app: AppContext,
  options: IngestOptions,
  tuning: IngestTuning,
): Promise<IngestRunSummary> {
  const today = options.date ?? utcDate(options.at);
  const days = options.date
    ? [options.date]
    : Array.from({ length: tuning.hfRefreshDays + 1 }, (_, offset) => addDays(today, -offset));
  const window = days.length === 1 ? today : `${days[days.length - 1]}..${today}`;
  const tally = new RunTally('hf', window);
  const held = await heldOff(app, tally);
  if (held) return held;

  for (const day of days) {
    // Every id the day's pages listed (withdrawn ones too), to tell a page seen before.
    const seen = new Set<string>();
    // The `limit` asked for: after a short first page, that page's size (see below).
    let limit = tuning.hfPageSize;
    try {
      for (let page = 0; page < tuning.hfMaxPagesPerDay; page++) {
        // Relative to the base, so a base URL's own path (a mirror's /hf) is kept.
        const url = new URL('api/daily_papers', `${app.config.HF_API_URL}/`);
        url.searchParams.set('date', day);
        url.searchParams.set('limit', String(limit));
        url.searchParams.set('p', String(page));
        const text = await fetchText(url.toString(), {
          timeoutMs: tuning.hfTimeoutMs,
          accept: 'application/json',
          userAgent: userAgent(app),
        });
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new UpstreamFormatError(
            `Hugging Face daily papers: response is not JSON (${bodyExcerpt(text, 80)}...)`,
          );
        }
        const parsed = parseHfDailyPapers(body, { date: day });
        const items = (body as unknown[]).length;
        // Only an empty page ends the list: the API may serve fewer than `limit` a page (a
        // cap of its own). A page of nothing but papers listed already means it ignored `p`.
        const listed = [...parsed.papers.map((paper) => paper.id), ...parsed.withdrawn];
        if (items === 0 || (listed.length > 0 && listed.every((id) => seen.has(id)))) break;
        tally.fetched += items;
        tally.skip(parsed.skipped, `${day} p${page}`);
        const fresh = parsed.papers.filter((paper) => !seen.has(paper.id));
        for (const id of listed) seen.add(id);
        await tally.store(app, fresh);
        await tally.withdraw(app, parsed.withdrawn);
        // A short first page is the end or the API's page size: the next page is asked in that
        // size, so it starts right after this one however the API counts `p` (in pages of
        // the size asked for or of the size served).
        if (page === 0 && items < limit) limit = items;
        if (page === tuning.hfMaxPagesPerDay - 1) {
          tally.truncated(
            `${day}: stopped at the page cap (${tuning.hfMaxPagesPerDay} pages of ${limit}) ` +
              'on a page with new papers: more of the list may be left unfetched',
          );
        }
      }
    } catch (error) {
      tally.fail(error, day);
      // Rate limited: the other days wait for the next cron instead of being refused in turn.
      if (isBackOff(error)) {
        await recordNotBefore(app, 'hf', error);
        break;
      }
    }
  }
  return tally.finish(app);
}

/**
 * ARXIV_CATEGORIES plus every arXiv category an active subscriber typed into their
 * interests (stored parsed; rows from before migrations/0017 are parsed here), the
 * subscribers' ones sorted so the query does not change with the order rows are read in.
 */
async function arxivCategories(app: AppContext): Promise<string[]> {
  const { categories, legacyInterests } = await listFollowedCategories(app.db);
  const followed = new Set(categories);
  for (const text of legacyInterests) {
    for (const category of categoriesOf(text)) followed.add(category);
  }
  return [...new Set([...app.config.ARXIV_CATEGORIES, ...[...followed].sort()])];
}

const compactDate = (date: string) => date.replaceAll('-', '');

/**
 * arXiv: newest submissions first in the chosen categories, one page at a time with the
 * required pause between requests (shared with every other run through D1), until entries
 * are older than the window, the results run out, or the page cap is hit. A backfill date
 * restricts the query to that day.
 */
async function ingestArxiv(
  app: AppContext,
  options: IngestOptions,
  tuning: IngestTuning,
): Promise<IngestRunSummary> {
  const categories = await arxivCategories(app);
  const categoryQuery = categories.map((category) => `cat:${category}`).join(' OR ');
  const searchQuery = options.date
    ? `(${categoryQuery}) AND submittedDate:[${compactDate(options.date)}0000 TO ${compactDate(options.date)}2359]`
    : categoryQuery;
  const crawledThrough = options.date ? null : await getArxivCrawledThrough(app.db);
  const windowStart = options.date
    ? `${options.date}T00:00:00.000Z`
    : arxivWindowStart(crawledThrough, options.at, tuning);
  const windowEnd = options.date ? `${addDays(options.date, 1)}T00:00:00.000Z` : null;
  const tally = new RunTally('arxiv', `${options.date ?? `since ${windowStart}`}: ${categoryQuery}`);

  const held = await heldOff(app, tally);
  if (held) return held;
  if (!(await tryAcquireIngestLease(app.db, 'arxiv', new Date(), ARXIV_LEASE_MS))) {
    return tally.skippedRun('another arXiv ingest is running; arXiv allows one connection at a time');
  }

  let start = 0;
  // The newest submission this crawl saw: where the next one may have to reach back to.
  let newest: string | null = null;
  try {
    // The most results any page reported: an empty answer may also report 0 of them.
    let total: number | null = null;
    let emptyAnswers = 0;
    const waited = { ms: 0 };
    let page = 0;
    // Stopped at older submissions, not at the end of all results: older papers exist.
    let reachedWindowStart = false;
    for (; page < tuning.arxivMaxPages; page++) {
      const url = arxivQueryUrl(app, searchQuery, 'submittedDate', start, tuning.arxivPageSize);
      const feed = await fetchArxivPageWhenFree(app, url, tuning, waited);
      const entries = feed.papers.length + feed.skipped.length;
      tally.fetched += entries;
      for (const paper of feed.papers) {
        if (paper.publishedAt && (newest === null || paper.publishedAt > newest)) newest = paper.publishedAt;
      }
      tally.skip(feed.skipped, `start=${start}`);

      const inWindow = feed.papers.filter(
        (paper) =>
          !paper.publishedAt ||
          (paper.publishedAt >= windowStart && (windowEnd === null || paper.publishedAt < windowEnd)),
      );
      await tally.store(app, inWindow);
      const reachedOlder = feed.papers.some((paper) => paper.publishedAt && paper.publishedAt < windowStart);

      if (feed.totalResults !== null) total = Math.max(total ?? 0, feed.totalResults);
      if (entries === 0) {
        if (total === null || start >= total) break;
        // The API now and then answers a page in the middle of a result set with no entries
        // (a later ask gets them); one that stays empty is a failure, not the end of the results.
        emptyAnswers += 1;
        if (emptyAnswers < ARXIV_EMPTY_PAGE_TRIES) continue;
        throw new UpstreamFormatError(
          `arXiv: ${emptyAnswers} empty answers for entries from ${start} of ${total}: ` +
            'the rest of the window was not fetched',
        );
      }
      emptyAnswers = 0;
      start += entries;
      if (reachedOlder) {
        reachedWindowStart = true;
        break;
      }
      if (total !== null && start >= total) break;
    }
    if (page === tuning.arxivMaxPages) {
      tally.truncated(
        `stopped at the page cap (${tuning.arxivMaxPages} pages of ${tuning.arxivPageSize}, ${start} entries) ` +
          `before the start of the window (${windowStart}): older submissions in it were not fetched; ` +
          'backfill their days with POST /admin/ingest',
      );
    } else if (!options.date && reachedWindowStart) {
      // Since a day before the last complete crawl: new versions it has not seen yet.
      const since = crawledThrough
        ? new Date(Date.parse(crawledThrough.at) - 86_400_000).toISOString()
        : windowStart;
      const pagesLeft = tuning.arxivMaxPages - page - 1;
      await refreshOlderArxivPapers(app, {
        searchQuery,
        windowStart,
        since,
        pagesLeft,
        tuning,
        waited,
        tally,
      });
    }
  } catch (error) {
    tally.fail(error, `page at start=${start}`);
    // Asked to wait longer than the crawl waits itself (fetchArxivPageWhenFree).
    await recordNotBefore(app, 'arxiv', error);
  } finally {
    await releaseIngestLease(app.db, 'arxiv');
  }
  // A failed crawl left part of its window unfetched: the next one reaches back for it.
  if (!tally.failed && !options.date && newest !== null) {
    await recordArxivCrawledThrough(app.db, newest, options.at);
  }
  return tally.finish(app);
}

/**
 * New versions of stored papers submitted before the window (`windowStart`): arXiv lists a
 * paper under its first submission date, so a crawl by submission never reaches a new
 * version (a withdrawal above all) of an older one. Pages by last update, newest first,
 * down to `since`, within the pages the crawl left. Only papers already stored are updated:
 * any other older paper is not news. A page that fails ends this pass only, as a failure.
 */
async function refreshOlderArxivPapers(
  app: AppContext,
  pass: {
    searchQuery: string;
    windowStart: string;
    since: string;
    pagesLeft: number;
    tuning: IngestTuning;
    waited: { ms: number };
    tally: RunTally;
  },
): Promise<void> {
  const { tuning, tally } = pass;
  // The crawl's own pages come first: with none left, this look waits for the next crawl.
  if (pass.pagesLeft === 0) {
    logEvent('arxiv_new_versions_skipped', { reason: 'page cap used by the crawl', since: pass.since });
    return;
  }
  let start = 0;
  try {
    for (let page = 0; page < pass.pagesLeft; page++) {
      const url = arxivQueryUrl(app, pass.searchQuery, 'lastUpdatedDate', start, tuning.arxivPageSize);
      const feed = await fetchArxivPageWhenFree(app, url, tuning, pass.waited);
      const entries = feed.papers.length + feed.skipped.length;
      const older = feed.papers.filter(
        (paper) =>
          paper.publishedAt !== null &&
          paper.publishedAt < pass.windowStart &&
          paper.updatedAt !== null &&
          paper.updatedAt >= pass.since,
      );
      // The rest were the crawl's own (submitted in the window) or are too old.
      tally.fetched += older.length;
      const stored = await storedPaperIds(
        app.db,
        older.map((paper) => paper.id),
      );
      await tally.store(
        app,
        older.filter((paper) => stored.has(paper.id)),
      );
      start += entries;
      const done = feed.papers.some((paper) => paper.updatedAt !== null && paper.updatedAt < pass.since);
      if (done || (feed.totalResults !== null && start >= feed.totalResults)) return;
      // Unlike the crawl's own pages, not asked again: what it may miss is a version, not a paper.
      if (entries === 0) {
        tally.truncated(`new versions: an empty answer at start=${start}; later updates were not fetched`);
        return;
      }
    }
    tally.truncated(
      `new versions of papers submitted before ${pass.windowStart}: stopped at the page cap after ${start} ` +
        `entries updated since ${pass.since}; older updates were not fetched`,
    );
  } catch (error) {
    tally.fail(error, `new versions at start=${start}`);
    await recordNotBefore(app, 'arxiv', error);
  }
}

function arxivQueryUrl(
  app: AppContext,
  searchQuery: string,
  sortBy: 'submittedDate' | 'lastUpdatedDate',
  start: number,
  size: number,
): string {
  const url = new URL('api/query', `${app.config.ARXIV_API_URL}/`);
  url.searchParams.set('search_query', searchQuery);
  url.searchParams.set('sortBy', sortBy);
  url.searchParams.set('sortOrder', 'descending');
  url.searchParams.set('start', String(start));
  url.searchParams.set('max_results', String(size));
  return url.toString();
}

/**
 * The start of a daily crawl's window: `arxivWindowDays` back, or further back to the
 * newest submission the last complete crawl stored, when that is older (capped at
 * `arxivMaxBacklogDays`). arXiv lists a paper once it announces it, and after days of no
 * announcements (its holidays) or of no complete crawl (an outage) the listing holds
 * submissions older than the window that were never stored: everything submitted after
 * what we last had is new.
 */
function arxivWindowStart(
  crawledThrough: ArxivCrawledThrough | null,
  at: Date,
  tuning: IngestTuning,
): string {
  const usual = new Date(at.getTime() - tuning.arxivWindowDays * 86_400_000).toISOString();
  if (crawledThrough === null || crawledThrough.published >= usual) return usual;
  const furthest = at.getTime() - tuning.arxivMaxBacklogDays * 86_400_000;
  const start = new Date(Math.max(Date.parse(crawledThrough.published), furthest)).toISOString();
  logEvent('arxiv_window_extended', { usual_start: usual, start, crawled_through: crawledThrough.published });
  return start;
}

/**
 * One page in this client's next arXiv slot. A busy answer (429/503) with a Retry-After is
 * asked again once that time has passed, while the crawl's waits (`waited`, shared by its
 * pages) stay within arxivMaxBusyWaitMs: the crawl runs once a day, and failing it for a
 * pause of seconds would leave the day without arXiv, but a crawl that waited without end
 * would outlast its invocation and never record its run.
 */
async function fetchArxivPageWhenFree(
  app: AppContext,
  url: string,
  tuning: IngestTuning,
  waited: { ms: number },
) {
  for (let answers = 1; ; answers++) {
    await waitForArxivSlot(app, tuning.arxivRequestIntervalMs);
    try {
      return await fetchArxivPage(app, url, tuning).finally(() => recordArxivRequestEnd(app.db, Date.now()));
    } catch (error) {
      const waitMs =
        error instanceof UpstreamError && error.retryAfterSeconds !== null
          ? error.retryAfterSeconds * 1000
          : null;
      if (waitMs === null || answers >= ARXIV_BUSY_TRIES || waited.ms + waitMs > tuning.arxivMaxBusyWaitMs) {
        throw error;
      }
      waited.ms += waitMs;
      logEvent('arxiv_retry_after', { url, answers, retry_after_ms: waitMs });
      await sleep(waitMs);
    }
  }
}

async function fetchArxivPage(app: AppContext, url: string, tuning: IngestTuning) {
  try {
    const xml = await fetchText(url, {
      timeoutMs: tuning.arxivTimeoutMs,
      accept: 'application/atom+xml',
      userAgent: userAgent(app),
    });
    return parseArxivFeed(xml);
  } catch (error) {
    // arXiv explains a rejected query (HTTP 400) in an error feed: surface its message.
    if (error instanceof UpstreamError && error.body?.includes('<feed')) {
      try {
        parseArxivFeed(error.body);
      } catch (explained) {
        if (explained instanceof UpstreamFormatError) {
          throw new UpstreamError(`HTTP ${error.status}: ${explained.message}`, error.status);
        }
      }
    }
    throw error;
  }
}
