/**
 * The subscriber export at a size one invocation cannot stream whole: every D1 statement of
 * a streamed response counts against that one fetch invocation (Workers allow 1,000, we
 * plan for 500), and the export reads a page of 500 per statement, so a single response of
 * a million subscribers would need 2,000. Each response is therefore one part of at most
 * EXPORT_ROWS_PER_RESPONSE subscribers, and names the next part in a `Link: rel="next"`
 * header; following the links exports everyone exactly once.
 */
import { env } from 'cloudflare:test';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_ROWS_PER_RESPONSE } from '../../workers/routes/admin/subscribers';
import { ADMIN_TOKEN, adminRequest, BASE_URL, fetchWith } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';

const SUBSCRIBERS = EXPORT_ROWS_PER_RESPONSE + 10_000;

/** Many subscribers in one statement (a recursive CTE): far faster than a batch of inserts. */
async function seed(count: number): Promise<void> {
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
     INSERT INTO subscribers (id, email, status, created_at, updated_at)
     SELECT printf('sub-%06d', i), printf('reader%06d@example.com', i),
            CASE WHEN i % 10 = 0 THEN 'unsubscribed' ELSE 'active' END,
            printf('2030-01-01T00:00:%02d.000Z', i % 7), '2030-01-01T00:00:00.000Z'
     FROM n`,
  )
    .bind(count)
    .run();
}

interface Part {
  status: number;
  ids: string[];
  next: string | null;
  statements: number;
}

async function exportPart(path: string): Promise<Part> {
  const spy = spyD1(env.DB);
  const request = new Request(new URL(path, BASE_URL), {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const { response } = await fetchWith(request, { ...env, DB: spy.db });
  const text = await response.text();
  const link = response.headers.get('link');
  const next = link ? (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? `unparsed: ${link}`) : null;
  const rows = Papa.parse<{ id: string }>(text, { header: true, skipEmptyLines: true }).data;
  return { status: response.status, ids: rows.map((row) => row.id), next, statements: spy.calls.length };
}

async function exportAll(path: string): Promise<Part[]> {
  const parts: Part[] = [];
  let next: string | null = path;
  while (next !== null && parts.length < 10) {
    const part: Part = await exportPart(next);
    parts.push(part);
    next = part.next;
  }
  return parts;
}

describe('GET /admin/subscribers/export of more subscribers than one response holds', () => {
  beforeAll(() => seed(SUBSCRIBERS));
  afterAll(() => env.DB.prepare(`DELETE FROM subscribers WHERE id LIKE 'sub-%'`).run());

  it('answers parts of bounded statements that, followed, export everyone exactly once', async () => {
    const parts = await exportAll('/admin/subscribers/export');
    expect(parts.map((part) => part.status)).toEqual([200, 200]);
    expect(parts[0]!.ids.length).toBe(EXPORT_ROWS_PER_RESPONSE);
    expect(parts[0]!.next).toMatch(/^\/admin\/subscribers\/export\?after=/);
    expect(parts[1]!.next).toBeNull();
    // A page of 500 per statement, plus the one that finds where the part ends.
    for (const part of parts) expect(part.statements).toBeLessThanOrEqual(EXPORT_ROWS_PER_RESPONSE / 500 + 2);
    const ids = parts.flatMap((part) => part.ids);
    expect(ids.length).toBe(SUBSCRIBERS);
    expect(new Set(ids).size).toBe(SUBSCRIBERS);
  });

  it('keeps the status filter in the next part', async () => {
    const parts = await exportAll('/admin/subscribers/export?status=active');
    expect(parts[0]!.next).toContain('status=active');
    const ids = parts.flatMap((part) => part.ids);
    expect(ids.length).toBe(SUBSCRIBERS - Math.floor(SUBSCRIBERS / 10));
    expect(ids.length).toBeGreaterThan(EXPORT_ROWS_PER_RESPONSE);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('tells the dashboard’s reader that an export comes in parts, and how to find the next', async () => {
    const html = await (await adminRequest('/admin')).text();
    expect(html).toContain('An export holds at most 50,000 subscribers');
    expect(html).toMatch(/<code>Link: rel=(&quot;|")next(&quot;|")<\/code> header names the next part/);
  });

  it('refuses a cursor it cannot read with a clear 400', async () => {
    for (const after of ['nonsense', ',sub-000001', '2030-01-01T00:00:00.000Z,']) {
      const part = await exportPart(`/admin/subscribers/export?after=${encodeURIComponent(after)}`);
      expect(part.status).toBe(400);
    }
  });
});
