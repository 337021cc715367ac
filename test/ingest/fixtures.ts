/**
 * The upstream fixtures (see test/fixtures/README.md) and small builders for variations
 * of them, so every test starts from a real-shaped payload and changes only what it tests.
 */

import atomError from '../fixtures/arxiv/atom-error.xml?raw';
import atomSample from '../fixtures/arxiv/atom-query-sample.xml?raw';
import atomSingle from '../fixtures/arxiv/atom-query-single.xml?raw';
import atomCs from '../fixtures/arxiv/synthetic-atom-cs-2025-03-10.xml?raw';
import atomEmpty from '../fixtures/arxiv/synthetic-atom-empty.xml?raw';
import hfOld from '../fixtures/hf/synthetic-daily-papers-2023-06-15.json';
import hfNew from '../fixtures/hf/synthetic-daily-papers-2025-03-11.json';
import { HttpResponse, http } from '../helpers/fake-http';

export const ARXIV = {
  cs: atomCs,
  empty: atomEmpty,
  error: atomError,
  sample: atomSample,
  single: atomSingle,
};

// biome-ignore lint/suspicious/noExplicitAny: fixtures are deliberately mutated into malformed shapes
export type HfItem = Record<string, any>;

/** A deep copy, so a test can break an item without affecting the others. */
export const hfNewShape = (): HfItem[] => structuredClone(hfNew) as HfItem[];
export const hfOldShape = (): HfItem[] => structuredClone(hfOld) as HfItem[];

export const HF_DAILY_URL = 'https://huggingface.co/api/daily_papers';
export const ARXIV_QUERY_URL = 'https://export.arxiv.org/api/query';

/** The Daily Papers endpoint listing `items` on page 0 and nothing on later pages, for any date. */
export const hfDailyList = (items: unknown[]) =>
  http.get(HF_DAILY_URL, ({ request }) =>
    HttpResponse.json(new URL(request.url).searchParams.get('p') === '0' ? items : []),
  );

export const atomHeaders = { 'content-type': 'application/atom+xml; charset=utf-8' };

/** One Atom entry exactly as the export API writes it. */
export function atomEntry(entry: {
  id: string;
  version?: number;
  title: string;
  summary?: string;
  published: string;
  updated?: string;
  authors?: string[];
  categories?: string[];
  doi?: string;
  comment?: string;
}): string {
  const version = entry.version ?? 1;
  const categories = entry.categories ?? ['cs.CL'];
  const abs = `http://arxiv.org/abs/${entry.id}v${version}`;
  return `  <entry>
    <id>${abs}</id>
    <updated>${entry.updated ?? entry.published}</updated>
    <published>${entry.published}</published>
    <title>${entry.title}</title>
    <summary>  ${entry.summary ?? `Abstract of ${entry.title}.`}
</summary>
${(entry.authors ?? ['Ada Lovelace']).map((name) => `    <author>\n      <name>${name}</name>\n    </author>`).join('\n')}${
  entry.doi
    ? `\n    <arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">${entry.doi}</arxiv:doi>\n    <link title="doi" href="http://dx.doi.org/${entry.doi}" rel="related"/>`
    : ''
}${entry.comment ? `\n    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">${entry.comment}</arxiv:comment>` : ''}
    <link href="${abs}" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/${entry.id}v${version}" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="${categories[0]}" scheme="http://arxiv.org/schemas/atom"/>
${categories.map((term) => `    <category term="${term}" scheme="http://arxiv.org/schemas/atom"/>`).join('\n')}
  </entry>`;
}

/**
 * One entry as the export API writes it since arXiv replaced the API's backend in November
 * 2025 ("does not change the url or parameters", arXiv API mailing list): namespaces bound
 * once on <feed>, https links with no `title`/`rel`/`type` on the abs and pdf links, text no
 * longer hard-wrapped, and a different element order. Shape as in responses captured from
 * export.arxiv.org on 2025-11-11 (e.g. autobib/rsxiv src/response/tests/query.xml).
 */
export function currentAtomEntry(
  entry: Omit<Parameters<typeof atomEntry>[0], 'doi'> & { journalRef?: string; doi?: string | string[] },
): string {
  const version = entry.version ?? 1;
  const categories = entry.categories ?? ['cs.CL'];
  // One <arxiv:doi> and one related link per DOI (arxiv-search's ArXivEntryExtension).
  const dois = entry.doi === undefined ? [] : [entry.doi].flat();
  return `  <entry>
    <id>http://arxiv.org/abs/${entry.id}v${version}</id>
    <title>${entry.title}</title>
    <updated>${entry.updated ?? entry.published}</updated>
    <link href="https://arxiv.org/abs/${entry.id}v${version}"/>
    <link href="https://arxiv.org/pdf/${entry.id}v${version}"/>
    <summary>${entry.summary ?? `Abstract of ${entry.title}.`}</summary>
${categories.map((term) => `    <category term="${term}" scheme="http://arxiv.org/schemas/atom"/>`).join('\n')}
    <published>${entry.published}</published>${entry.comment ? `\n    <arxiv:comment>${entry.comment}</arxiv:comment>` : ''}
    <arxiv:primary_category term="${categories[0]}"/>${entry.journalRef ? `\n    <arxiv:journal_ref>${entry.journalRef}</arxiv:journal_ref>` : ''}
${(entry.authors ?? ['Ada Lovelace']).map((name) => `    <author>\n      <name>${name}</name>\n    </author>`).join('\n')}${dois
  .map(
    (doi) => `\n    <arxiv:doi>${doi}</arxiv:doi>\n    <link rel="related" href="https://doi.org/${doi}"/>`,
  )
  .join('')}
  </entry>`;
}

/** A whole response around `currentAtomEntry` entries, in the post-November-2025 shape. */
export function currentAtomFeed(entries: string[], options: { totalResults?: number } = {}): string {
  return `<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/ZmFrZWlkZm9ydGVzdHM</id>
  <title>arXiv Query: search_query=cat:cs.CL&amp;id_list=&amp;start=0&amp;max_results=10</title>
  <updated>2025-11-11T18:29:40Z</updated>
  <link href="https://arxiv.org/api/query?search_query=cat:cs.CL&amp;start=0&amp;max_results=10&amp;id_list=" type="application/atom+xml"/>
  <opensearch:itemsPerPage>10</opensearch:itemsPerPage>
  <opensearch:totalResults>${options.totalResults ?? entries.length}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
${entries.join('\n')}
</feed>
`;
}

/** A whole Atom response around `entries`, with the opensearch counters the API sends. */
export function atomFeed(
  entries: string[],
  options: { totalResults?: number; startIndex?: number } = {},
): string {
  const ns = 'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"';
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query?search_query%3Dcat%3Acs.CL%26id_list%3D%26start%3D0%26max_results%3D10" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=cat:cs.CL&amp;id_list=&amp;start=0&amp;max_results=10</title>
  <id>http://arxiv.org/api/ZmFrZWlkZm9ydGVzdHM</id>
  <updated>2025-03-11T00:00:00-04:00</updated>
  <opensearch:totalResults ${ns}>${options.totalResults ?? entries.length}</opensearch:totalResults>
  <opensearch:startIndex ${ns}>${options.startIndex ?? 0}</opensearch:startIndex>
  <opensearch:itemsPerPage ${ns}>${entries.length}</opensearch:itemsPerPage>
${entries.join('\n')}
</feed>
`;
}
