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

import { digestEmail, type EditionContext, editionContext, renderEmail } from '../../src/delivery/render';
import { encodeBatch, type OutgoingEmail, releaseBatch } from '../../src/delivery/transport';
import { assembleDigest, prepareEdition, renderDigestReference } from '../../src/digest';
import type { Paper } from '../../src/domain';
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
import { makePapers, makeRound, type Reader, vocabulary } from './fixtures';

const EDITION_DATE = '2026-11-26';
const PER_REQUEST = 100;

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
  if (!current.context) {
    // As the sender makes it (src/delivery/render.ts).
    const record = {
      id: `daily-bench-${candidates}`,
      frequency: 'daily' as const,
      periodKey: EDITION_DATE,
      plannedAt: `${EDITION_DATE}T08:00:00.000Z`,
      windowStart: `${EDITION_DATE}T00:00:00.000Z`,
      windowEnd: `${EDITION_DATE}T08:00:00.000Z`,
      paperIds: current.papers.map((paper) => paper.id),
    };
    current.context = await editionContext(config, record, current.papers);
    current.index = current.context.index;
  }
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
          current.index = { ...buildEditionIndex(current.papers), papers: current.context.papers };
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
