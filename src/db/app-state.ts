/**
 * Small operational flags that must survive across invocations (e.g. "Resend quota
 * exceeded until ..."), stored as JSON in `app_state`.
 */
import { nowIso } from '../lib/time';

export async function getAppState<T>(db: D1Database, key: string): Promise<T | null> {
  const row = await db
    .prepare('SELECT value FROM app_state WHERE key = ?')
    .bind(key)
    .first<{ value: string }>();
  return row ? (JSON.parse(row.value) as T) : null;
}

export async function setAppState(db: D1Database, key: string, value: unknown): Promise<void> {
  await db
    .prepare(
      `INSERT INTO app_state (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    )
    .bind(key, JSON.stringify(value), nowIso())
    .run();
}

export async function deleteAppState(db: D1Database, key: string): Promise<void> {
  await db.prepare('DELETE FROM app_state WHERE key = ?').bind(key).run();
}
