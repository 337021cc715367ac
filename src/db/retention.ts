/**
 * Deleting what the retention policy (src/delivery/retention.ts) no longer keeps, a page at
 * a time. Each table is read in rowid order from its oldest row, a page of `limit` rows,
 * and the expired rows of that page are deleted: rows are inserted in time order, so the
 * oldest rowids are the oldest rows, and a page costs `limit` rows read whether anything
 * is expired or not, with no index on the time column. (`WHERE time < ? LIMIT n` would
 * need that index, or scan the whole table to find that nothing is left.) A row that
 * breaks the order waits for the rows before it, at most a page late.
 */

/** What a pass of the policy deletes from: the table, its insertion-time column, and what else must hold. */
const RETAINED = {
  webhook_events: { time: 'received_at', also: '' },
  deliveries: { time: 'queued_at', also: '' },
  // An edition goes once no delivery refers to it (deliveries_edition index).
  editions: {
    time: 'planned_at',
    also: 'AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.edition_id = editions.id)',
  },
  // No longer written or read since the deliveries' paper lists are the record: all of it goes.
  sent_papers: { time: 'sent_at', also: '' },
  // A paper goes only once it is older than every edition still kept: a kept digest's papers
  // are its edition's candidates, first stored inside that edition's window, and the view,
  // the feed and a 👍/👎 read them (editions_window_start index: one seek a step).
  papers: {
    time: 'ingested_at',
    also: 'AND ingested_at < COALESCE((SELECT MIN(window_start) FROM editions), ?1)',
  },
} as const;

export type RetainedTable = keyof typeof RETAINED;

export interface RetentionPage {
  table: RetainedTable;
  /** ISO time: rows stored before it go. */
  before: string;
  /** Rows of the table looked at, oldest first. */
  limit: number;
}

/**
 * For each page, deletes the rows older than `before` among the `limit` oldest rows of its
 * table, all in one batch (one round trip, one transaction). Returns how many each page
 * deleted; fewer than its `limit` means the table holds nothing older than `before` any
 * more (up to rows stored out of order, see above).
 */
export async function deleteExpiredPages(db: D1Database, pages: RetentionPage[]): Promise<number[]> {
  if (pages.length === 0) return [];
  const results = await db.batch(
    pages.map(({ table, before, limit }) => {
      const { time, also } = RETAINED[table];
      return db
        .prepare(
          `DELETE FROM ${table}
           WHERE rowid IN (SELECT rowid FROM ${table} ORDER BY rowid LIMIT ?2) AND ${time} < ?1 ${also}`,
        )
        .bind(before, limit);
    }),
  );
  return results.map((result) => result.meta.changes ?? 0);
}
