/** @jsxImportSource hono/jsx */
/**
 * The landing page: what the digest is, a sample of what a digest looks like (the latest
 * papers we hold), and the sign-up form. In development, when the latest ingest of a
 * source failed, a plain notice says so and how to load the real demo papers instead.
 */
import { truncate } from '../../src/digest/format';
import type { Paper } from '../../src/domain';
import { readableTex } from '../../src/lib/tex';
import { formStyles } from './form-parts';
import { Layout } from './layout';
import { SubscribeForm, type SubscribeFormValues } from './subscribe-form';

export interface LandingProps {
  papers: Paper[];
  failedSources: string[];
  showDevNotice: boolean;
  values: SubscribeFormValues;
  errors: Record<string, string[]>;
  fresh: boolean;
  turnstileSiteKey?: string;
  postalAddress: string;
}

const SOURCE_NAMES: Record<string, string> = { hf: 'Hugging Face Daily Papers', arxiv: 'arXiv' };

function authorsLine(authors: string[]): string {
  if (authors.length <= 3) return authors.join(', ');
  return `${authors.slice(0, 3).join(', ')} and ${authors.length - 3} more`;
}

function summaryOf(paper: Paper): string {
  return truncate(readableTex(paper.aiSummary || paper.abstract), 240);
}

export function LandingPage(props: LandingProps) {
  const hasErrors = Object.keys(props.errors).length > 0;
  return (
    <Layout
      title={
        hasErrors ? 'Error: Subscribe · Papers Digest' : 'Papers Digest: new research papers, picked for you'
      }
      head={
        <>
          <meta
            name="description"
            content="A free, personalised email digest of new and trending research papers from arXiv and Hugging Face Daily Papers."
          />
          <style>{formStyles}</style>
        </>
      }
    >
      <h1>Papers Digest</h1>
      <p>
        A personalised email digest of <strong>new and trending research papers</strong>. Every day (or every
        week) we read the new arXiv listings and the Hugging Face Daily Papers, rank them against the topics,
        categories and authors you care about, blend in what the community is upvoting, and send you a short
        list with summaries and links to the paper, PDF and code.
      </p>
      <ul>
        <li>Your topics, your schedule: pick the hour and time zone, daily or weekly.</li>
        <li>Gets better with 👍 / 👎 on each paper.</li>
        <li>No tracking, one-click unsubscribe, delete your data any time.</li>
      </ul>

      {props.showDevNotice && props.failedSources.length > 0 ? (
        <p class="notice" role="status">
          Development notice: the upstreams could not be reached on the last ingest (
          {props.failedSources.map((source) => SOURCE_NAMES[source] ?? source).join(', ')}). Run{' '}
          <code>npm run seed:local</code> to load real papers (Hugging Face Daily Papers of 2026) instead.
        </p>
      ) : null}

      <SubscribeForm
        values={props.values}
        errors={props.errors}
        fresh={props.fresh}
        turnstileSiteKey={props.turnstileSiteKey}
      />

      <section aria-labelledby="sample-title">
        <h2 id="sample-title">A taste of the digest: the latest papers</h2>
        {props.papers.length === 0 ? (
          <p class="muted">No papers have been ingested yet. They appear here after the first ingest run.</p>
        ) : (
          <div class="card">
            {props.papers.map((paper) => (
              <article class="paper">
                <h3>
                  <a href={paper.links.hf ?? paper.links.abs}>{readableTex(paper.title)}</a>
                </h3>
                <p class="meta">
                  {authorsLine(paper.authors)}
                  {paper.primaryCategory ? ` · ${paper.primaryCategory}` : ''}
                  {paper.upvotes > 0 ? ` · ▲ ${paper.upvotes}` : ''}
                </p>
                {summaryOf(paper) ? <p>{summaryOf(paper)}</p> : null}
              </article>
            ))}
          </div>
        )}
        <p>
          <a href="/papers">Browse every paper of the day, trending first →</a>
        </p>
      </section>
      <footer>
        <p>
          Papers Digest is open source. Paper data from arXiv and Hugging Face; thank you to arXiv for use of
          its open access interoperability.
        </p>
        {props.postalAddress ? <p>{props.postalAddress}</p> : null}
      </footer>
    </Layout>
  );
}
