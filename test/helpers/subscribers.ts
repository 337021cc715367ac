/**
 * A subscriber's side of the integration tests: form and JSON posts as a browser and an
 * API client send them (each from a fresh IP, so the per-IP burst limit stays out of the
 * way unless a test wants it), the outbox read like a mailbox, links taken out of emails,
 * rows read back, and the clock of the per-address caps moved forward.
 */
import { env } from 'cloudflare:test';
import { expect } from 'vitest';
import type { OutboxEmail } from '../../src/db/outbox';
import type { SubscriberRow } from '../../src/db/subscribers';
import { normalizeEmail } from '../../src/subscriptions/schema';
import { BASE_URL, request } from './app';

let ipCounter = 0;
export const nextIp = () => `198.51.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;

/** An email as /dev/outbox.json lists it. */
export type OutboxItem = Omit<OutboxEmail, 'idempotency_key'>;

export function postForm(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return request(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: BASE_URL,
      'cf-connecting-ip': nextIp(),
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
  });
}

export function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': nextIp(), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export async function outbox(): Promise<OutboxItem[]> {
  return (await request('/dev/outbox.json')).json<OutboxItem[]>();
}

/** Emails to this mailbox, whatever letter case they were addressed in, oldest first. */
export async function emailsTo(address: string): Promise<OutboxItem[]> {
  return (await outbox())
    .filter((email) => email.to.toLowerCase() === address.toLowerCase())
    .sort((a, b) => a.id - b.id);
}

/** The first `path?token=…` link in a text, as the full URL. */
export function linkIn(text: string, path: string): string {
  const match = new RegExp(`${BASE_URL}${path}\\?token=[A-Za-z0-9_.%-]+`).exec(text);
  if (!match) throw new Error(`no ${path} link in:\n${text}`);
  return match[0];
}

export const local = (url: string) => url.replace(BASE_URL, '').replace(/&amp;/g, '&');

export type Row = SubscriberRow;

/** The subscriber row of an address, whatever its letter case. */
export const rowOf = (email: string) =>
  env.DB.prepare('SELECT * FROM subscribers WHERE lower(email) = lower(?)').bind(email).first<Row>();

export async function counts() {
  const [subscribers, outboxRows, suppressions] = await env.DB.batch<{ n: number }>([
    env.DB.prepare('SELECT COUNT(*) AS n FROM subscribers'),
    env.DB.prepare('SELECT COUNT(*) AS n FROM outbox'),
    env.DB.prepare('SELECT COUNT(*) AS n FROM suppressions'),
  ]);
  return {
    subscribers: subscribers!.results[0]!.n,
    outbox: outboxRows!.results[0]!.n,
    suppressions: suppressions!.results[0]!.n,
  };
}

/**
 * Moves every recorded request email `minutes` into the past, as if that much time had
 * gone by for the per-address caps (at most one sign-up email per 10 minutes, 3 a day).
 */
export async function ageMailRequests(minutes: number): Promise<void> {
  await env.DB.prepare(`UPDATE mail_requests SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, ?)`)
    .bind(`-${minutes} minutes`)
    .run();
}

/** Signs up through the form and confirms through the emailed link; returns the active row. */
export async function subscribeAndConfirm(email: string, fields: Record<string, string> = {}): Promise<Row> {
  const response = await postForm('/subscribe', { email, interests: 'RLHF', ...fields });
  expect(response.status).toBe(200);
  const address = normalizeEmail(email)!;
  const mails = await emailsTo(address);
  const link = linkIn(mails.at(-1)!.text, '/confirm');
  const confirmed = await postForm(local(link), {});
  expect(confirmed.status).toBe(200);
  const row = await rowOf(address);
  expect(row!.status).toBe('active');
  return row!;
}

/** The page's <h1> as text (the entities JSX escapes decoded). */
export const h1 = (html: string) =>
  /<h1>(.*?)<\/h1>/s
    .exec(html)?.[1]
    ?.replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
