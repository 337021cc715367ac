/// <reference types="vite/client" />
/**
 * The demo data is what a new user sees first, so it must be real all the way through:
 * every item of the copied Hugging Face lists parses with the ingest's own parser, the
 * papers keep the ids, titles, authors and upvotes of the raw lists and gain nothing the
 * archive lacks (no comment counts, code links, stars or keywords), and the seed's
 * re-dating puts today's edition window over the newest lists only.
 */
import { describe, expect, it } from 'vitest';
import { demoListDate, demoPapers } from '../../src/ingest/demo';

interface RawItem {
  title: string;
  paper: { id: string; title: string; authors: { name: string }[]; upvotes: number };
}

const files = import.meta.glob<RawItem[]>('../../data/hf-daily-papers-2026/*.json', {
  eager: true,
  import: 'default',
});
const lists = Object.entries(files).map(([file, body]) => ({
  date: demoListDate(file.split('/').pop()!)!,
  body,
}));
const raw = lists.flatMap((list) => list.body.map((item) => ({ ...item, date: list.date })));
const NOW = new Date('2026-12-01T17:30:00.000Z');
const DAY_MS = 86_400_000;

describe('demo data (data/hf-daily-papers-2026)', () => {
  it('holds the 289 real papers of 34 daily lists, each parsed without a skip', () => {
    expect(lists).toHaveLength(34);
    expect(lists.every((list) => /^2026-0[35]-\d\d$/.test(list.date))).toBe(true);
    const { papers, skipped } = demoPapers(lists, NOW);
    expect(skipped).toEqual([]);
    expect(papers).toHaveLength(289);
    expect(new Set(papers.map((item) => item.paper.id)).size).toBe(289);
  });

  it('keeps ids, titles, authors, upvotes and list days, and invents nothing the archive lacks', () => {
    const byId = new Map(demoPapers(lists, NOW).papers.map((item) => [item.paper.id, item.paper]));
    for (const item of raw) {
      const paper = byId.get(item.paper.id);
      expect(paper, item.paper.id).toBeDefined();
      expect(paper!.title).toBe(item.title.replace(/\s+/g, ' ').trim());
      expect(paper!.authors).toEqual(item.paper.authors.map((author) => author.name.trim()));
      expect(paper!.upvotes).toBe(item.paper.upvotes);
      expect(paper!.hfDate).toBe(item.date);
      expect(paper!.links).toEqual({
        abs: `https://arxiv.org/abs/${item.paper.id}`,
        pdf: `https://arxiv.org/pdf/${item.paper.id}`,
        hf: `https://huggingface.co/papers/${item.paper.id}`,
        code: null,
        project: null,
      });
      expect(paper!.githubStars).toBeNull();
      expect(paper!.numComments).toBeNull();
      expect(paper!.aiKeywords).toEqual([]);
      expect(paper!.aiSummary).toBeNull();
    }
  });

  it('dates the newest list as ingested now and each older list whole days earlier', () => {
    const { papers } = demoPapers(lists, NOW);
    const newest = papers.filter((item) => item.paper.hfDate === '2026-05-07');
    expect(newest.length).toBeGreaterThan(0);
    expect(newest.every((item) => item.ingestedAt === NOW.toISOString())).toBe(true);
    const may5 = papers.find((item) => item.paper.hfDate === '2026-05-05')!;
    expect(Date.parse(may5.ingestedAt)).toBe(NOW.getTime() - 2 * DAY_MS);
    const march1 = papers.find((item) => item.paper.hfDate === '2026-03-01')!;
    expect(Date.parse(march1.ingestedAt)).toBe(NOW.getTime() - 67 * DAY_MS);
    expect(papers.every((item) => Date.parse(item.ingestedAt) <= NOW.getTime())).toBe(true);
    // A daily edition planned an hour later (72 h window) holds exactly the lists of 5–7 May.
    const windowStart = NOW.getTime() + 3_600_000 - 72 * 3_600_000;
    const inWindow = papers.filter((item) => Date.parse(item.ingestedAt) >= windowStart);
    expect(new Set(inWindow.map((item) => item.paper.hfDate))).toEqual(
      new Set(['2026-05-05', '2026-05-06', '2026-05-07']),
    );
  });

  it('reads the list day from the file name only', () => {
    expect(demoListDate('daily-papers-2026-05-07.json')).toBe('2026-05-07');
    expect(demoListDate('README.md')).toBeNull();
    expect(demoListDate('daily-papers-2026-05-07.json.bak')).toBeNull();
  });
});
