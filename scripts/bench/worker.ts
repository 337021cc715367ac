/**
 * The benchmark Worker, bundled by run.mjs with production React and run in workerd
 * (Miniflare). Each route does one measured unit of work; run.mjs times the requests
 * from outside because workerd freezes clocks during synchronous execution. State that a
 * measurement needs but must not pay for (the candidate papers, a round of subscribers
 * with fresh interests) is built by separate, untimed requests.
 *
 * Per email, the end-to-end path is what the queue consumer does for one subscriber:
 * rank the edition for them (interests never seen before, so no per-edition interest
 * cache helps; papers they already received excluded), assemble HTML and text with every
 * signed link, build the email object with its headers and tags (the consumer's own
 * `renderEmail`), and encode it into a Resend batch request body (100 per request, with
 * the transport's own `encodeBatch`). The naive path is the same with a full React render per
 * subscriber instead of the assembly.
 */

import { digestEmail, type EditionContext, ingestedBeforeOf, renderEmail } from '../../src/delivery/render';
import { encodeBatch, type OutgoingEmail, releaseBatch } from '../../src/delivery/transport';
import { assembleDigest, prepareEdition, renderDigestReference } from '../../src/digest';
import type { Paper, Subscriber } from '../../src/domain';
import { type Bindings, type Config, parseConfig } from '../../src/env';
import { chunksByteLength } from '../../src/lib/json';
import { digestToken, subscriberLinks } from '../../src/links';
import {
  buildEditionIndex,
  type EditionIndex,
  profileFromSubscriber,
  type RankedPaper,
  rankForSubscriber,
} from '../../src/ranking';
import { makePaper, makeSubscriber, seededRandom, snapshotPapers } from '../../test/factories';

const EDITION_DATE = '2026-11-26';
const PER_REQUEST = 100;
const DIGEST_SIZE = 15;
/** The authors subscribers follow; papers are by them and by 1,994 others (see `authorName`). */
const AUTHORS = [
  'Ada Lovelace',
  'Alan Turing',
  'Grace Hopper',
  'Edsger Dijkstra',
  'Barbara Liskov',
  'Donald Knuth',
];
const FIRST_NAMES =
  'Wei Yu Jie Xin Hao Lei Yang Min Jun Li Anna Maria David Daniel Sarah Tom Omar Priya Ravi Aisha Lucas Sofia Noah Emma Ivan Olga Kenji Yuki Ahmed Fatima Carlos Elena Jonas Lena Marco Giulia Pierre Chloe Tariq Mei'.split(
    ' ',
  );
const SURNAMES =
  'Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Kim Lee Park Singh Kumar Patel Shah Gupta Smith Johnson Brown Garcia Miller Davis Martin Muller Schmidt Rossi Dubois Silva Santos Ivanov Tanaka Sato Suzuki Nguyen Tran Cohen Levi Haddad'.split(
    ' ',
  );
/**
 * Author k of a pool of 2,000: a paper's authors are spread over the pool as on a real
 * day (a name on a handful of papers, common surnames on many), so following an author
 * matches a few papers, not half the edition as when six names wrote everything.
 */
const authorName = (k: number) =>
  k < AUTHORS.length
    ? AUTHORS[k]!
    : `${FIRST_NAMES[k % FIRST_NAMES.length]} ${SURNAMES[Math.floor(k / FIRST_NAMES.length) % SURNAMES.length]}`;
const CATEGORIES = ['cs.CL', 'cs.LG', 'cs.CV', 'cs.AI', 'cs.IR', 'stat.ML'];
const STOP = new Set(
  'with from that this their than into over under about using based model models learning large towards toward through via and for the are our its which what when where while'.split(
    ' ',
  ),
);

/** Real titles and abstracts (the ranking fixture), mixed into `count` distinct papers. */
function makePapers(count: number): Paper[] {
  const base = snapshotPapers();
  const next = seededRandom(1);
  return Array.from({ length: count }, (_, position) => {
    const source = base[position % base.length]!;
    const other = base[(position * 7 + 3) % base.length]!;
    const round = Math.floor(position / base.length);
    const id = `2611.${String(10_000 + position).padStart(5, '0')}`;
    return makePaper({
      id,
      title: round === 0 ? source.title : `${source.title}: ${other.title.split(':')[0]}`,
      abstract: round === 0 ? source.abstract : `${source.abstract} ${other.abstract.split('. ')[0]}.`,
      authors: Array.from({ length: 1 + Math.floor(next() * 8) }, (_, a) =>
        authorName((position * 7 + a * 131) % 2000),
      ),
      categories: [CATEGORIES[position % CATEGORIES.length]!, 'cs.LG'],
      primaryCategory: CATEGORIES[position % CATEGORIES.length]!,
      links: {
        abs: `https://arxiv.org/abs/${id}`,
        pdf: `https://arxiv.org/pdf/${id}`,
        hf: position % 2 === 0 ? `https://huggingface.co/papers/${id}` : null,
        code: position % 3 === 0 ? `https://github.com/example/repo-${position}` : null,
        project: null,
      },
      githubStars: position % 3 === 0 ? Math.floor(next() * 5000) : null,
      upvotes: Math.floor(next() ** 3 * 300),
      numComments: Math.floor(next() * 20),
      aiSummary: position % 2 === 0 ? source.abstract.split('. ').slice(0, 2).join('. ') : null,
      aiKeywords: position % 2 === 0 ? ['language models', 'benchmark'] : [],
    });
  });
}

/** Words of the candidates' titles: interests made of them match something, like real ones. */
function vocabulary(papers: readonly Paper[]): string[] {
  const words = new Set<string>();
  for (const paper of papers.slice(0, 400)) {
    for (const word of paper.title.toLowerCase().split(/[^a-z0-9-]+/)) {
      if (word.length >= 4 && !STOP.has(word)) words.add(word);
    }
  }
  return [...words];
}

/**
 * `count` subscribers nobody has seen before: new ids (so no remembered links) and new
 * interest texts of 1–4 topics of 1–3 words drawn from the vocabulary, sometimes a
 * category or an author; each has already received a few of the candidates.
 */
function makeRound(papers: readonly Paper[], words: readonly string[], count: number, seed: number) {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  return Array.from({ length: count }, (_, position) => {
    const topics = Array.from({ length: 1 + Math.floor(next() * 4) }, () =>
      Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(words)).join(' '),
    );
    if (next() < 0.2) topics.push(pick(CATEGORIES));
    if (next() < 0.1) topics.push(`author: ${pick(AUTHORS)}`);
    const subscriber: Subscriber = makeSubscriber({
      email: `reader${seed}-${position}@example.org`,
      interests: topics.join(', '),
      digestSize: DIGEST_SIZE,
      trendingMix: Math.round(next() * 5) / 10,
      alwaysSend: true,
    });
    const exclude = new Set(Array.from({ length: 20 }, () => pick(papers).id));
    return { subscriber, exclude, deliveryId: crypto.randomUUID() };
  });
}

type Reader = ReturnType<typeof makeRound>[number];

interface Edition {
  papers: Paper[];
  words: string[];
  index?: EditionIndex;
  context?: EditionContext;
}

const editions = new Map<number, Edition>();
let round: {
  candidates: number;
  readers: Reader[];
  ranked?: RankedPaper[][];
  emails?: OutgoingEmail[];
} | null = null;

function edition(candidates: number): Edition {
  let found = editions.get(candidates);
  if (!found) {
    const papers = makePapers(candidates);
    found = { papers, words: vocabulary(papers) };
    editions.set(candidates, found);
  }
  return found;
}

async function context(config: Config, candidates: number): Promise<EditionContext> {
  const current = edition(candidates);
  current.index ??= buildEditionIndex(current.papers);
  current.context ??= {
    edition: {
      id: `daily-bench-${candidates}`,
      frequency: 'daily',
      periodKey: EDITION_DATE,
      plannedAt: `${EDITION_DATE}T08:00:00.000Z`,
      windowStart: `${EDITION_DATE}T00:00:00.000Z`,
      windowEnd: `${EDITION_DATE}T08:00:00.000Z`,
      paperIds: current.papers.map((paper) => paper.id),
    },
    config,
    papers: current.papers,
    paperById: new Map(current.papers.map((paper) => [paper.id, paper])),
    index: current.index,
    prepared: await prepareEdition(config, { editionDate: EDITION_DATE, papers: current.papers }),
    ingestedBefore: ingestedBeforeOf(current.papers),
  };
  return current.context;
}

const rank = (index: EditionIndex, reader: Reader) =>
  rankForSubscriber(index, profileFromSubscriber(reader.subscriber), { exclude: reader.exclude }).papers;

/** Runs `emailOf` for every reader and encodes the emails 100 per request; returns sizes. */
async function endToEnd(
  readers: readonly Reader[],
  emailOf: (reader: Reader) => Promise<OutgoingEmail>,
): Promise<{ emails: number; requestBytes: number }> {
  let requestBytes = 0;
  let batch: OutgoingEmail[] = [];
  for (const reader of readers) {
    const email = await emailOf(reader);
    batch.push(email);
    if (batch.length === PER_REQUEST) {
      const encoded = encodeBatch(batch);
      requestBytes = Math.max(requestBytes, encoded.bytes.length);
      // As the transport does once Resend has answered: the next batch reuses the buffer.
      releaseBatch(encoded);
      batch = [];
    }
  }
  if (batch.length > 0) releaseBatch(encodeBatch(batch));
  return { emails: readers.length, requestBytes };
}

export default {
  async fetch(request: Request, env: Bindings): Promise<Response> {
    const url = new URL(request.url);
    const number = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);
    const config = parseConfig({
      ...env,
      DB: {} as D1Database,
      ENVIRONMENT: 'development',
      PUBLIC_URL: 'https://digest.example.com',
    });
    const candidates = number('candidates', 300);
    const needRound = () => {
      if (!round || round.candidates !== candidates) throw new Error('call /round first');
      return round;
    };

    switch (url.pathname) {
      case '/noop':
        return Response.json({ ok: true });
      case '/papers':
        return Response.json({ papers: edition(candidates).papers.length });
      case '/index':
        // Timed: the ranking index of an edition (once per edition and isolate).
        edition(candidates).index = buildEditionIndex(edition(candidates).papers);
        return Response.json({ ok: true });
      case '/prepare': {
        // Timed: the per-edition render (once per edition and isolate).
        const prepared = await prepareEdition(config, {
          editionDate: EDITION_DATE,
          papers: edition(candidates).papers,
        });
        return Response.json({ cards: prepared.cards.size, stats: prepared.stats });
      }
      case '/context':
        await context(config, candidates);
        return Response.json({ ok: true });
      case '/round': {
        // Untimed: fresh subscribers for the next measured request, and a fresh ranking index
        // (its per-interest caches empty; the other pool's dropped), so the heap holds what a
        // consumer isolate holds: one edition and one batch.
        for (const [size, other] of editions) {
          if (size !== candidates) editions.set(size, { papers: other.papers, words: other.words });
        }
        const current = edition(candidates);
        if (current.context) {
          current.index = buildEditionIndex(current.papers);
          current.context = { ...current.context, index: current.index };
        }
        round = {
          candidates,
          readers: makeRound(current.papers, current.words, number('count', 1000), number('seed', 1)),
        };
        return Response.json({
          readers: round.readers.length,
          sample: round.readers[0]!.subscriber.interests,
        });
      }
      case '/e2e': {
        const current = needRound();
        const ctx = await context(config, candidates);
        const result = await endToEnd(current.readers, (reader) =>
          renderEmail(config, ctx, reader.subscriber, reader.deliveryId, rank(ctx.index, reader)),
        );
        return Response.json(result);
      }
      case '/naive': {
        // Same ranking, email object and encoding; the digest rendered by React per subscriber.
        const current = needRound();
        const ctx = await context(config, candidates);
        const result = await endToEnd(current.readers, async (reader) => {
          const ranked = rank(ctx.index, reader);
          const recipient = { subscriber: reader.subscriber, deliveryId: reader.deliveryId };
          const digest = await renderDigestReference(
            config,
            { editionDate: EDITION_DATE },
            recipient,
            ranked,
          );
          return digestEmail(config, ctx.edition.id, reader.subscriber, reader.deliveryId, digest);
        });
        return Response.json(result);
      }
      case '/rank': {
        // Part: ranking alone (the results are kept for /assemble).
        const current = needRound();
        const ctx = await context(config, candidates);
        current.ranked = current.readers.map((reader) => rank(ctx.index, reader));
        return Response.json({ ranked: current.ranked.length });
      }
      case '/assemble': {
        // Part: HTML + text with every link signed, from the ranking of /rank.
        const current = needRound();
        const ctx = await context(config, candidates);
        const ranked = current.ranked ?? [];
        let bytes = 0;
        for (let i = 0; i < ranked.length; i++) {
          const reader = current.readers[i]!;
          const email = await assembleDigest(ctx.prepared, config, reader, ranked[i]!);
          // The consumer never decodes html and text from their JSON form: neither does this.
          bytes += chunksByteLength(email.json!.html) + chunksByteLength(email.json!.text);
        }
        return Response.json({ bytes });
      }
      case '/links': {
        // Part: the digest token and the subscriber's own links (4 HMAC-SHA256 each, WebCrypto).
        const current = needRound();
        let length = 0;
        for (const reader of current.readers) {
          const [own, token] = await Promise.all([
            subscriberLinks(config, reader.subscriber),
            digestToken(config, reader.subscriber, reader.deliveryId),
          ]);
          length += own.unsubscribe.length + own.preferences.length + own.feed.length + token.length;
        }
        return Response.json({ length });
      }
      case '/emails': {
        // Untimed: the emails whose encoding /encode measures.
        const current = needRound();
        const ctx = await context(config, candidates);
        current.emails = [];
        for (const reader of current.readers) {
          current.emails.push(
            await renderEmail(config, ctx, reader.subscriber, reader.deliveryId, rank(ctx.index, reader)),
          );
        }
        // HTML sizes (UTF-8) of a sample, read here where nothing is timed.
        const htmlBytes = current.emails
          .slice(0, 200)
          .map((email) => new TextEncoder().encode(email.html).length);
        return Response.json({ emails: current.emails.length, htmlBytes });
      }
      case '/encode': {
        // Part: the Resend request bodies alone, 100 emails each.
        const emails = needRound().emails ?? [];
        let bytes = 0;
        for (let start = 0; start < emails.length; start += PER_REQUEST) {
          const encoded = encodeBatch(emails.slice(start, start + PER_REQUEST));
          bytes += encoded.bytes.length;
          releaseBatch(encoded);
        }
        return Response.json({ bytes });
      }
      case '/verify': {
        // The fast path must equal a full React render; the benchmark refuses to report otherwise.
        const current = needRound();
        const ctx = await context(config, candidates);
        for (const reader of current.readers.slice(0, number('check', 25))) {
          const ranked = rank(ctx.index, reader);
          const fast = await assembleDigest(ctx.prepared, config, reader, ranked);
          const full = await renderDigestReference(config, { editionDate: EDITION_DATE }, reader, ranked);
          if (fast.html !== full.html || fast.text !== full.text || fast.subject !== full.subject) {
            return Response.json({ identical: false, interests: reader.subscriber.interests });
          }
        }
        return Response.json({ identical: true, stats: ctx.prepared.stats });
      }
      default:
        return new Response('not found', { status: 404 });
    }
  },
};
