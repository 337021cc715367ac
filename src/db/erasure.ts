/**
 * The history of an erased subscriber, deleted a page at a time. Erasure
 * (`eraseSubscriberData`) deletes what names the person at once and records the id in
 * `erasures`; the rows keyed only by that random id (deliveries, votes, legacy sent_papers
 * rows) grow with how long they subscribed and may be far more than one invocation may
 * write, so each step deletes at most a page of each table, and the id leaves `erasures`
 * with the last of its rows. Every page is guarded by the id still being in `erasures`, so a
 * replayed or mistaken message can never delete a subscriber's history who was not erased.
 */

/**
 * Rows deleted per table in one step. Production D1 counts a deleted row once for the row
 * and once per index entry (a sent delivery 8 in all, a vote 2, a sent_papers row 3), so a
 * step writes at most 500 × 8 + 500 × 2 + 500 × 3 = 6,500 rows, leaving room for the rest
 * of the erase request when it runs the first step itself.
 */
export const ERASURE_PAGE = 500;

/** The tables whose rows name a subscriber only by id; each has an index led by it. */
const HISTORY_TABLES = ['deliveries', 'feedback', 'sent_papers'] as const;

/** Records that `subscriberId`'s history is due for deletion (in the erase batch). */
export function erasureStatement(db: D1Database, subscriberId: string, now: string): D1PreparedStatement {
  return db
    .prepare('INSERT OR IGNORE INTO erasures (subscriber_id, requested_at) VALUES (?, ?)')
    .bind(subscriberId, now);
}

/**
 * One step's statements: a page of each history table, then the `erasures` row if nothing
 * is left. Run them in one batch; `stepCounts` reads the results.
 */
export function erasureStepStatements(db: D1Database, subscriberId: string): D1PreparedStatement[] {
  return [
    ...HISTORY_TABLES.map((table) =>
      db
        .prepare(
          `DELETE FROM ${table} WHERE rowid IN (
             SELECT rowid FROM ${table} WHERE subscriber_id = ?1
               AND EXISTS (SELECT 1 FROM erasures WHERE subscriber_id = ?1)
             LIMIT ?2)`,
        )
        .bind(subscriberId, ERASURE_PAGE),
    ),
    db
      .prepare(
        `DELETE FROM erasures WHERE subscriber_id = ?1
           AND NOT EXISTS (SELECT 1 FROM deliveries WHERE subscriber_id = ?1)
           AND NOT EXISTS (SELECT 1 FROM feedback WHERE subscriber_id = ?1)
           AND NOT EXISTS (SELECT 1 FROM sent_papers WHERE subscriber_id = ?1)`,
      )
      .bind(subscriberId),
  ];
}

export interface ErasureStepCounts {
  /** Rows deleted from each history table. */
  deleted: Record<(typeof HISTORY_TABLES)[number], number>;
  /** Some page came back full: there may be more. */
  more: boolean;
}

/** Reads the results of `erasureStepStatements` (the last results of a batch). */
export function stepCounts(results: D1Result[]): ErasureStepCounts {
  const pages = results.slice(-(HISTORY_TABLES.length + 1), -1).map((result) => result.meta.changes ?? 0);
  const deleted = Object.fromEntries(
    HISTORY_TABLES.map((table, index) => [table, pages[index] ?? 0]),
  ) as ErasureStepCounts['deleted'];
  return { deleted, more: pages.some((count) => count >= ERASURE_PAGE) };
}

/** One step for an erased id, in one batch (one transaction). */
export async function eraseHistoryPage(db: D1Database, subscriberId: string): Promise<ErasureStepCounts> {
  return stepCounts(await db.batch(erasureStepStatements(db, subscriberId)));
}

/**
 * Erased ids still waiting since before `before` (ISO), oldest first: their continuation
 * was lost (the queue refused it, or a step gave up), and the daily pass restarts them.
 */
export async function stalledErasures(db: D1Database, before: string, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare('SELECT subscriber_id FROM erasures WHERE requested_at < ? ORDER BY requested_at LIMIT ?')
    .bind(before, limit)
    .all<{ subscriber_id: string }>();
  return results.map((row) => row.subscriber_id);
}
