/**
 * The offline demo data (`npm run seed:local`): real Hugging Face Daily Papers lists, kept
 * in data/hf-daily-papers-2026/, turned into papers through the same parser the ingest
 * uses, so what a new user browses locally is what production would store: real ids,
 * titles, abstracts, authors and upvotes, and no comment counts, code links or stars
 * where the archive has none. Only the ingestion time is ours. The planner picks papers
 * by when they were ingested, so the lists are re-dated as if ingested live: the newest
 * list now, each older list whole days before it. Today's edition window then holds the
 * last few lists, as after a real ingest, while each paper keeps its real list day.
 */
import type { IncomingPaper } from '../domain';
import { parseHfDailyPapers } from './hf';

/** One `GET /api/daily_papers?date=…` body and the day it was fetched for. */
export interface DemoList {
  date: string;
  body: unknown;
}

export interface DemoPaper {
  paper: IncomingPaper;
  /** When the seed says the paper was ingested (ISO). */
  ingestedAt: string;
}

export interface DemoPapers {
  papers: DemoPaper[];
  /** Items the parser refused, as "date item N: reason" (the real lists have none). */
  skipped: string[];
}

const LIST_FILE = /^daily-papers-(\d{4}-\d{2}-\d{2})\.json$/;

/** The list day of a data file name (`daily-papers-2026-05-07.json`), or null for other files. */
export function demoListDate(fileName: string): string | null {
  return LIST_FILE.exec(fileName)?.[1] ?? null;
}

const DAY_MS = 86_400_000;
const dayNumber = (date: string) => Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);

/**
 * Parses every list with the ingest's parser and dates each paper's ingestion `now` minus
 * the days between its list and the newest list. A paper listed twice keeps its first list,
 * as the archive does.
 */
export function demoPapers(lists: readonly DemoList[], now: Date): DemoPapers {
  const ordered = [...lists].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const newest = ordered[ordered.length - 1]?.date;
  const papers: DemoPaper[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  for (const list of ordered) {
    const parsed = parseHfDailyPapers(list.body, { date: list.date });
    for (const item of parsed.skipped) skipped.push(`${list.date} item ${item.index}: ${item.reason}`);
    const daysBefore = dayNumber(newest!) - dayNumber(list.date);
    const ingestedAt = new Date(now.getTime() - daysBefore * DAY_MS).toISOString();
    for (const paper of parsed.papers) {
      if (seen.has(paper.id)) continue;
      seen.add(paper.id);
      papers.push({ paper, ingestedAt });
    }
  }
  return { papers, skipped };
}
