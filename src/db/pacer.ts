/**
 * The shared send pacer's state: one "next free send slot" (epoch ms) in app_state that
 * every consumer isolate reserves from atomically, so requests to Resend stay spaced
 * across invocations and isolates whatever each one's clock and CPU load.
 */

const PACER_KEY = 'resend_next_slot_ms';

/** D1's own clock in epoch ms: unlike Date.now() in a Worker, it does not stand still during CPU work. */
const DB_NOW_MS = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;

/**
 * Reserves the next request slot at least `intervalMs` after the previous one and returns
 * it (epoch ms). One atomic upsert, so concurrent consumers never get the same slot. "Now"
 * is read inside the statement: a Worker's Date.now() only advances on I/O, so after a
 * long render it lags, which would let two requests bunch up.
 */
export async function reserveSendSlot(db: D1Database, intervalMs: number, notBeforeMs = 0): Promise<number> {
  const row = await db
    .prepare(
      `INSERT INTO app_state (key, value, updated_at) VALUES (?1, CAST(MAX(${DB_NOW_MS}, ?4) AS TEXT), ?2)
       ON CONFLICT (key) DO UPDATE
         SET value = CAST(MAX(CAST(app_state.value AS INTEGER) + ?3, ${DB_NOW_MS}, ?4) AS TEXT), updated_at = ?2
       RETURNING CAST(value AS INTEGER) AS slot`,
    )
    .bind(PACER_KEY, new Date().toISOString(), intervalMs, Math.round(notBeforeMs))
    .first<{ slot: number }>();
  return row?.slot ?? Date.now();
}

/** After a 429, nobody sends before `notBeforeMs` (the slot after it is one interval later). */
export async function deferSendSlots(db: D1Database, notBeforeMs: number, intervalMs: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO app_state (key, value, updated_at) VALUES (?1, CAST(?2 AS TEXT), ?3)
       ON CONFLICT (key) DO UPDATE
         SET value = CAST(MAX(CAST(app_state.value AS INTEGER), ?2) AS TEXT), updated_at = ?3`,
    )
    .bind(PACER_KEY, notBeforeMs - intervalMs, new Date().toISOString())
    .run();
}
