/**
 * The shared send pacer's state in app_state, which every consumer isolate reserves its
 * request slots from atomically, so requests to Resend stay inside the rate limit across
 * invocations and isolates whatever each one's clock and CPU load. Two rows: the latest
 * granted slots (a JSON array of epoch ms, oldest first), so a slot can be checked against
 * the window Resend counts (at most R requests in any window) rather than spaced 1/R apart,
 * which lets the first R requests of a run leave together; and a hold, "nobody sends
 * before", set when Resend says the window is full. The hold keeps the key the single
 * "next slot" of earlier versions used: that value read as a hold is still correct.
 */

const SLOTS_KEY = 'resend_recent_slots_ms';
const HOLD_KEY = 'resend_next_slot_ms';
/** Slots remembered: enough for any rate Resend grants a team. */
const SLOTS_KEPT = 32;

/** D1's own clock in epoch ms: unlike Date.now() in a Worker, it does not stand still during CPU work. */
const DB_NOW_MS = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;
const HOLD_MS = `COALESCE((SELECT CAST(value AS INTEGER) FROM app_state WHERE key = '${HOLD_KEY}'), 0)`;

export interface SlotRequest {
  /** Requests allowed per window (R). */
  perWindow: number;
  /** The window, with any guard for jitter: a slot is at least this long after the R-th latest. */
  windowMs: number;
  /** Not before this (epoch ms): the caller's own view of the window. */
  notBeforeMs?: number;
}

/**
 * Reserves the next request slot and returns it (epoch ms): not before now, the hold or
 * `notBeforeMs`, not before the latest slot (slots are granted in order), and at least a
 * window after the R-th latest, so no window holds more than R. One atomic upsert, so
 * concurrent consumers never share a slot. "Now" is read inside the statement: a Worker's
 * Date.now() only advances on I/O, so after a long render it lags.
 */
export async function reserveSendSlot(db: D1Database, request: SlotRequest): Promise<number> {
  const perWindow = Math.max(1, Math.floor(request.perWindow));
  const slots = 'app_state.value';
  const row = await db
    .prepare(
      `INSERT INTO app_state (key, value, updated_at)
         VALUES (?1, json_array(MAX(${DB_NOW_MS}, ?3, ${HOLD_MS})), ?2)
       ON CONFLICT (key) DO UPDATE SET
         value = json_insert(
           CASE WHEN json_array_length(${slots}) >= ?6 THEN json_remove(${slots}, '$[0]') ELSE ${slots} END,
           '$[#]',
           MAX(
             ${DB_NOW_MS}, ?3, ${HOLD_MS},
             COALESCE(json_extract(${slots}, '$[#-1]'), 0),
             CASE WHEN json_array_length(${slots}) >= ?4
               THEN json_extract(${slots}, '$[#-' || CAST(?4 AS INTEGER) || ']') + ?5 ELSE 0 END
           )
         ),
         updated_at = ?2
       RETURNING json_extract(value, '$[#-1]') AS slot`,
    )
    .bind(
      SLOTS_KEY,
      new Date().toISOString(),
      Math.round(request.notBeforeMs ?? 0),
      perWindow,
      Math.round(request.windowMs),
      Math.max(SLOTS_KEPT, perWindow),
    )
    .first<{ slot: number }>();
  return row?.slot ?? Date.now();
}

/** After a 429 or a window someone else filled, nobody sends before `notBeforeMs`. */
export async function deferSendSlots(db: D1Database, notBeforeMs: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO app_state (key, value, updated_at) VALUES (?1, CAST(?2 AS TEXT), ?3)
       ON CONFLICT (key) DO UPDATE
         SET value = CAST(MAX(CAST(app_state.value AS INTEGER), ?2) AS TEXT), updated_at = ?3`,
    )
    .bind(HOLD_KEY, Math.round(notBeforeMs), new Date().toISOString())
    .run();
}
