/** @jsxImportSource hono/jsx */
/**
 * The public archive, mounted at /papers: the papers of one day, trending (most upvoted)
 * first, each linking to its sources (arXiv, PDF, Hugging Face, code, project page), with
 * links to the previous and next days that have papers. `/papers` shows the latest day.
 * It is what a visitor browses before subscribing, and a public record of what was ingested.
 * Pages are public and identical for everyone, so they may be cached briefly (and carry an
 * ETag, so revalidating an unchanged page costs no body).
 */
import { Hono } from 'hono';
import { etag } from 'hono/etag';
import { getArchiveDay, latestArchiveDate } from '../../src/db/archive';
import { truncate } from '../../src/digest/format';
import type { Paper } from '../../src/domain';
import { AppError } from '../../src/errors';
import { readableTex } from '../../src/lib/tex';
import { utcDate } from '../../src/lib/time';
import type { HonoEnv } from '../types';
import { WEEKDAYS } from '../views/form-parts';
import { Layout } from '../views/layout';

const PAGE_SIZE = 50;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Up to page 999,999: far past any day's end, and an offset SQLite takes as an integer. */
const PAGE = /^[1-9]\d{0,5}$/;

function isCalendarDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const parsed = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === text;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** "Tuesday 10 March 2026": spelled out by hand so it reads the same in every runtime's ICU. */
function longDate(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  return `${WEEKDAYS[day.getUTCDay()]} ${day.getUTCDate()} ${MONTHS[day.getUTCMonth()]} ${day.getUTCFullYear()}`;
}

function authorsLine(authors: string[]): string {
  if (authors.length <= 5) return authors.join(', ');
  return `${authors.slice(0, 5).join(', ')} et al.`;
}

function summaryOf(paper: Paper): string {
  return truncate(readableTex(paper.aiSummary || paper.abstract), 400);
}

const styles = `
.papers { list-style: none; padding: 0; margin: 0; }
.paper { display: grid; grid-template-columns: 3.2rem 1fr; gap: .9rem; }
.paper h2 { font-size: 1.1rem; margin: 0 0 .25rem; line-height: 1.35; }
.paper h2 a { color: inherit; text-decoration: none; } .paper h2 a:hover { text-decoration: underline; }
.votes { text-align: center; border: 1px solid var(--line); border-radius: 10px; padding: .35rem 0; height: fit-content; font-weight: 700; }
.votes small { display: block; font-weight: 400; color: var(--muted); font-size: .75rem; }
.meta { color: var(--muted); font-size: .9rem; margin: .1rem 0 .4rem; }
.links { display: flex; flex-wrap: wrap; gap: .35rem .9rem; font-size: .92rem; margin: .4rem 0 0; padding: 0; list-style: none; }
.summary { margin: .3rem 0; }
.daynav { display: flex; justify-content: space-between; gap: 1rem; margin: 1rem 0; }
.tag { display: inline-block; font-size: .75rem; border: 1px solid var(--line); border-radius: 999px; padding: 0 .5rem; margin-left: .35rem; color: var(--muted); }
`;

function PaperItem(props: { paper: Paper }) {
  const { paper } = props;
  const links: [string, string | null][] = [
    ['arXiv', paper.links.abs],
    ['PDF', paper.links.pdf],
    ['Hugging Face', paper.links.hf],
    [paper.githubStars ? `Code (★ ${paper.githubStars})` : 'Code', paper.links.code],
    ['Project page', paper.links.project],
  ];
  return (
    <li class="card paper">
      {/* Upvotes exist only on Hugging Face: an arXiv-only paper has none, not zero. */}
      {paper.links.hf ? (
        <div class="votes" title={`${paper.upvotes} upvotes on Hugging Face`}>
          {paper.upvotes}
          <small>upvotes</small>
        </div>
      ) : (
        <div />
      )}
      <div>
        <h2>
          <a href={paper.links.hf ?? paper.links.abs}>{readableTex(paper.title)}</a>
        </h2>
        <p class="meta">
          {authorsLine(paper.authors)}
          {paper.primaryCategory ? <span class="tag">{paper.primaryCategory}</span> : null}
          {paper.numComments > 0 ? ` · ${paper.numComments} comments` : ''}
        </p>
        {summaryOf(paper) ? <p class="summary">{summaryOf(paper)}</p> : null}
        <ul class="links" aria-label="Sources">
          {links
            .filter((link): link is [string, string] => Boolean(link[1]))
            .map(([label, href]) => (
              <li>
                <a href={href} rel="noopener">
                  {label}
                </a>
              </li>
            ))}
        </ul>
      </div>
    </li>
  );
}

function DayNav(props: { previous: string | null; next: string | null }) {
  return (
    <nav class="daynav" aria-label="Days">
      {props.previous ? (
        <a href={`/papers/${props.previous}`} rel="prev">
          ← {longDate(props.previous)}
        </a>
      ) : (
        <span />
      )}
      {props.next ? (
        <a href={`/papers/${props.next}`} rel="next">
          {longDate(props.next)} →
        </a>
      ) : (
        <span />
      )}
    </nav>
  );
}

/** A page number past the end of a day (an old link, a typo): say so, and link back. */
function PastLastPage(props: { date: string; page: number; pages: number; total: number }) {
  const { date, page, pages, total } = props;
  return (
    <Layout title={`No page ${page} · Papers of ${longDate(date)} · Papers Digest`}>
      <p>
        <a href="/">Papers Digest</a> · Archive
      </p>
      <h1>
        There is no page {page} for {longDate(date)}
      </h1>
      <p>
        {total === 0
          ? 'This day has no papers (weekends and holidays are quiet).'
          : `This day has ${total} paper${total === 1 ? '' : 's'}, on ${pages} page${pages === 1 ? '' : 's'}.`}
      </p>
      <p>
        <a href={`/papers/${date}`}>← Papers of {longDate(date)}</a>
        {pages > 1 ? (
          <>
            {' · '}
            <a href={`/papers/${date}?page=${pages}`}>Last page ({pages})</a>
          </>
        ) : null}
      </p>
    </Layout>
  );
}

// Browsers and crawlers revalidate once max-age is over: an unchanged page is a bodiless 304.
export const papersRoutes = new Hono<HonoEnv>().use(etag()).get('/:date?', async (c) => {
  const requested = c.req.param('date');
  if (requested !== undefined && !isCalendarDate(requested)) {
    throw new AppError(
      404,
      'not_found',
      'There is no archive page at this address (dates look like 2026-03-11).',
    );
  }
  // One address per page: "page=abc", "page=0" or "page=01" would otherwise be page 1 again,
  // a duplicate for crawlers and caches at endlessly many addresses.
  const pageParam = c.req.query('page') ?? '1';
  if (!PAGE.test(pageParam)) {
    throw new AppError(
      404,
      'not_found',
      'There is no archive page at this address (pages are numbered 1, 2, 3…).',
    );
  }
  const page = Number(pageParam);
  const db = c.var.app.db;
  const date = requested ?? (await latestArchiveDate(db)) ?? utcDate();
  const day = await getArchiveDay(db, date, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
  // A day with no papers is a quiet day inside the archive, but before its first day (year
  // 0 is a calendar date too) or still to come it is no page at all, and must not be
  // cached publicly as one. /papers on an empty archive still shows today, empty.
  if (requested !== undefined && day.total === 0 && (day.previous === null || date > utcDate())) {
    throw new AppError(
      404,
      'not_found',
      day.previous === null
        ? 'The archive has no papers for this date: it starts later.'
        : 'The archive has no papers for this date yet.',
    );
  }
  const pages = Math.max(1, Math.ceil(day.total / PAGE_SIZE));
  c.header('Cache-Control', 'public, max-age=300');
  if (page > pages) {
    return c.html(<PastLastPage date={date} page={page} pages={pages} total={day.total} />, 404);
  }
  return c.html(
    <Layout title={`Papers of ${longDate(date)} · Papers Digest`} head={<style>{styles}</style>}>
      <p>
        <a href="/">Papers Digest</a> · Archive
      </p>
      <h1>Papers of {longDate(date)}</h1>
      <p class="muted">
        {day.total === 0
          ? 'No papers for this day (weekends and holidays are quiet).'
          : `${day.total} paper${day.total === 1 ? '' : 's'}, most upvoted first.`}{' '}
        <a href="/#subscribe-title">Get the ones that match your interests by email.</a>
      </p>
      <DayNav previous={day.previous} next={day.next} />
      {day.papers.length > 0 ? (
        <ol class="papers" start={(page - 1) * PAGE_SIZE + 1}>
          {day.papers.map((paper) => (
            <PaperItem paper={paper} />
          ))}
        </ol>
      ) : null}
      {pages > 1 ? (
        <nav class="daynav" aria-label="Pages">
          {page > 1 ? <a href={`/papers/${date}?page=${page - 1}`}>← Previous page</a> : <span />}
          <span class="muted">
            Page {page} of {pages}
          </span>
          {page < pages ? <a href={`/papers/${date}?page=${page + 1}`}>Next page →</a> : <span />}
        </nav>
      ) : null}
      {day.papers.length > 3 ? <DayNav previous={day.previous} next={day.next} /> : null}
    </Layout>,
  );
});
