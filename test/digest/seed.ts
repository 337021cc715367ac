/**
 * Seeds the real D1 schema for route tests: subscribers, papers, an edition and a sent
 * delivery, through plain SQL (the rows the ingest, sign-up and delivery areas write).
 */
import { env } from 'cloudflare:test';
import type { Paper } from '../../src/domain';

export async function seedSubscriber(
  id: string,
  fields: { email?: string; interests?: string; tokenVersion?: number; status?: string } = {},
): Promise<void> {
  const now = '2026-11-01T00:00:00.000Z';
  await env.DB.prepare(
    `INSERT INTO subscribers (id, email, status, interests, token_version, created_at, updated_at, confirmed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(
      id,
      fields.email ?? `${id}@example.org`,
      fields.status ?? 'active',
      fields.interests ?? 'language models',
      fields.tokenVersion ?? 1,
      now,
      now,
      now,
    )
    .run();
}

export async function seedPapers(papers: Paper[]): Promise<void> {
  await env.DB.batch(
    papers.map((paper) =>
      env.DB.prepare(
        `INSERT OR REPLACE INTO papers (id, title, abstract, authors, categories, abs_url, pdf_url, hf_url, upvotes,
           num_comments, ai_summary, ai_keywords, sources, ingested_at, refreshed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '["hf"]', ?, ?)`,
      ).bind(
        paper.id,
        paper.title,
        paper.abstract,
        JSON.stringify(paper.authors),
        JSON.stringify(paper.categories),
        paper.links.abs,
        paper.links.pdf,
        paper.links.hf,
        paper.upvotes,
        paper.numComments,
        paper.aiSummary,
        JSON.stringify(paper.aiKeywords),
        paper.ingestedAt,
        paper.refreshedAt,
      ),
    ),
  );
}

export async function seedSentDelivery(fields: {
  id: string;
  editionId: string;
  subscriberId: string;
  periodKey: string;
  ranking: { id: string; score: number; why: string[] }[];
  sentAt: string;
  subject: string;
}): Promise<void> {
  await env.DB.batch([
    env.DB.prepare(
      `INSERT OR IGNORE INTO editions (id, frequency, period_key, planned_at, window_start, window_end, paper_ids)
       VALUES (?, 'daily', ?, ?, ?, ?, ?)`,
    ).bind(
      fields.editionId,
      fields.periodKey,
      `${fields.periodKey}T08:00:00.000Z`,
      `${fields.periodKey}T00:00:00.000Z`,
      `${fields.periodKey}T08:00:00.000Z`,
      JSON.stringify(fields.ranking.map((item) => item.id)),
    ),
    env.DB.prepare(
      `INSERT INTO deliveries (id, edition_id, subscriber_id, period_key, status, subject, paper_ids, ranking,
         queued_at, sent_at, updated_at)
       VALUES (?, ?, ?, ?, 'sent', ?, ?, ?, ?, ?, ?)`,
    ).bind(
      fields.id,
      fields.editionId,
      fields.subscriberId,
      fields.periodKey,
      fields.subject,
      JSON.stringify(fields.ranking.map((item) => item.id)),
      JSON.stringify(fields.ranking),
      fields.sentAt,
      fields.sentAt,
      fields.sentAt,
    ),
  ]);
}
