/**
 * One place that builds the domain values and database rows tests and benchmarks need:
 * complete `Subscriber` and `Paper` values from the few fields a case cares about, and
 * their D1 rows through the row types of src/db (so a new column is a compile error here,
 * not a silently missing value in twenty literals). Inserts take the D1 binding as an
 * argument and send rows as one JSON parameter per statement, so seeding thousands of
 * rows costs a few statements; nothing here imports the test runtime, which lets the
 * benchmark Worker bundle it too.
 */
import type { DeliveryRow } from '../src/db/deliveries';
import type { EditionRow } from '../src/db/editions';
import { type PaperRow, paperToRow } from '../src/db/papers';
import type { SubscriberRow } from '../src/db/subscribers';
import type { Paper, Subscriber } from '../src/domain';
import { categoriesOf } from '../src/subscriptions/interests';
import { makePaper, snapshotPapers } from './ranking/make-paper';

export { makePaper, snapshotPapers };

let counter = 0;
/** A short string unique within this isolate (emails and ids that must not collide). */
export const uniqueSuffix = (): string => `${Date.now().toString(36)}${(counter++).toString(36)}`;

const CREATED = '2026-01-01T00:00:00.000Z';

export function makeSubscriber(fields: Partial<Subscriber> = {}): Subscriber {
  const id = fields.id ?? crypto.randomUUID();
  return {
    id,
    email: `reader-${uniqueSuffix()}@example.org`,
    status: 'active',
    interests: 'diffusion models; cs.LG',
    frequency: 'daily',
    sendHour: 8,
    sendWeekday: 1,
    timeZone: 'UTC',
    digestSize: 10,
    trendingMix: 0.3,
    alwaysSend: true,
    termWeights: {},
    tokenVersion: 1,
    createdAt: CREATED,
    updatedAt: CREATED,
    confirmedAt: CREATED,
    unsubscribedAt: null,
    suppressedAt: null,
    suppressedReason: null,
    consentAt: CREATED,
    consentMethod: 'form',
    consentIpHash: null,
    ...fields,
  };
}

/** The stored row of a subscriber (the inverse of rowToSubscriber). */
export function subscriberRow(subscriber: Subscriber, extra: Partial<SubscriberRow> = {}): SubscriberRow {
  return {
    id: subscriber.id,
    email: subscriber.email,
    status: subscriber.status,
    interests: subscriber.interests,
    // What every write of interests stores beside them (migrations/0017).
    categories: JSON.stringify(categoriesOf(subscriber.interests)),
    frequency: subscriber.frequency,
    send_hour: subscriber.sendHour,
    send_weekday: subscriber.sendWeekday,
    time_zone: subscriber.timeZone,
    digest_size: subscriber.digestSize,
    trending_mix: subscriber.trendingMix,
    always_send: subscriber.alwaysSend ? 1 : 0,
    term_weights: JSON.stringify(subscriber.termWeights),
    token_version: subscriber.tokenVersion,
    created_at: subscriber.createdAt,
    updated_at: subscriber.updatedAt,
    confirmed_at: subscriber.confirmedAt,
    unsubscribed_at: subscriber.unsubscribedAt,
    suppressed_at: subscriber.suppressedAt,
    suppressed_reason: subscriber.suppressedReason,
    consent_at: subscriber.consentAt,
    consent_method: subscriber.consentMethod,
    consent_ip_hash: subscriber.consentIpHash,
    next_send_at: '',
    ...extra,
  };
}

/** The stored row of a paper, keeping its own ingest timestamps. */
export function paperRow(paper: Paper): PaperRow {
  return { ...paperToRow(paper, paper.ingestedAt), refreshed_at: paper.refreshedAt };
}

/** Rows per insert statement: one JSON parameter each, well under D1's value size limit. */
const ROWS_PER_INSERT = 200;

/**
 * Inserts row objects into `table`: the columns are the first row's keys, each statement
 * carries up to ROWS_PER_INSERT rows as one JSON array expanded by json_each.
 */
export async function insertRows<Row extends object>(
  db: D1Database,
  table: string,
  rows: readonly Row[],
): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const sql = `INSERT INTO ${table} (${columns.join(', ')})
    SELECT ${columns.map((column) => `value->>'${column}'`).join(', ')} FROM json_each(?)`;
  const statements: D1PreparedStatement[] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    statements.push(db.prepare(sql).bind(JSON.stringify(rows.slice(start, start + ROWS_PER_INSERT))));
  }
  await db.batch(statements);
}

export async function insertSubscribers(db: D1Database, subscribers: readonly Subscriber[]): Promise<void> {
  await insertRows(
    db,
    'subscribers',
    subscribers.map((subscriber) => subscriberRow(subscriber)),
  );
}

export async function insertPapers(db: D1Database, papers: readonly Paper[]): Promise<void> {
  await insertRows(db, 'papers', papers.map(paperRow));
}

/** Small deterministic PRNG (a failing case is reproducible from its seed). */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

export interface SentDeliveryFields {
  id: string;
  editionId: string;
  subscriberId: string;
  periodKey: string;
  ranking: { id: string; score: number; why: string[] }[];
  sentAt: string;
  subject: string;
}

/** A daily edition (if new) and one `sent` delivery in it, as the sender leaves them. */
export async function insertSentDelivery(db: D1Database, fields: SentDeliveryFields): Promise<void> {
  const paperIds = JSON.stringify(fields.ranking.map((item) => item.id));
  const edition: EditionRow = {
    id: fields.editionId,
    frequency: 'daily',
    period_key: fields.periodKey,
    planned_at: `${fields.periodKey}T08:00:00.000Z`,
    window_start: `${fields.periodKey}T00:00:00.000Z`,
    window_end: `${fields.periodKey}T08:00:00.000Z`,
    paper_ids: paperIds,
  };
  const delivery: DeliveryRow = {
    id: fields.id,
    edition_id: fields.editionId,
    subscriber_id: fields.subscriberId,
    period_key: fields.periodKey,
    status: 'sent',
    subject: fields.subject,
    paper_ids: paperIds,
    resend_id: null,
    error: null,
    attempts: 1,
    last_event: null,
    queued_at: fields.sentAt,
    sent_at: fields.sentAt,
    updated_at: fields.sentAt,
    send_key: null,
    ranking: JSON.stringify(fields.ranking),
    enqueued_at: null,
    claimed_at: null,
  };
  const known = await db.prepare('SELECT 1 FROM editions WHERE id = ?').bind(edition.id).first();
  if (!known) await insertRows(db, 'editions', [edition]);
  await insertRows(db, 'deliveries', [delivery]);
}
