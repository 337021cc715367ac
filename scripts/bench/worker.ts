/**
 * The benchmark Worker, bundled by run.mjs with production React and run in workerd
 * (Miniflare). Each route does one measured unit of work; run.mjs times the requests
 * from outside because workerd freezes clocks during synchronous execution. Papers are
 * the real titles/abstracts of the ranking fixture, multiplied to 300 with varied
 * metadata; subscribers get random realistic interest profiles.
 */

import {
  assembleDigest,
  type PreparedEdition,
  prepareEdition,
  renderDigestReference,
} from '../../src/digest';
import { syncLinks } from '../../src/digest/signer';
import type { Paper, Subscriber } from '../../src/domain';
import { type Bindings, parseConfig } from '../../src/env';
import {
  buildEditionIndex,
  profileFromSubscriber,
  type RankedPaper,
  rankForSubscriber,
} from '../../src/ranking';
import snapshot from '../../test/fixtures/ranking/snapshot-papers.json';

const INTERESTS = [
  'RLHF',
  'vision-language models',
  'mixture of experts',
  'code generation',
  'speech synthesis',
  'retrieval-augmented generation',
  'LLM agents',
  'knowledge distillation',
  'multilingual',
  'hallucination',
  'long context',
  'diffusion models',
  'cs.CL',
  'author: Grace Hopper',
  'efficient inference, quantization',
  'reasoning',
];
const NAMES = [
  'Ada Lovelace',
  'Alan Turing',
  'Grace Hopper',
  'Edsger Dijkstra',
  'Barbara Liskov',
  'Donald Knuth',
];

function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

interface State {
  prepared?: PreparedEdition;
  papers: Paper[];
  subscribers: Subscriber[];
  ranked: RankedPaper[][];
  perDigest: number;
}

let state: State | null = null;

function makePapers(count: number): Paper[] {
  const next = random(1);
  const base = snapshot as { title: string; abstract: string }[];
  return Array.from({ length: count }, (_, position) => {
    const source = base[position % base.length]!;
    const round = Math.floor(position / base.length);
    const id = `2411.${String(20_000 + position).padStart(5, '0')}`;
    return {
      id,
      version: 1,
      title: round === 0 ? source.title : `${source.title} (${round + 1})`,
      abstract: source.abstract,
      authors: Array.from(
        { length: 1 + Math.floor(next() * 8) },
        (_, a) => NAMES[(position + a) % NAMES.length]!,
      ),
      categories: position % 3 === 0 ? ['cs.CL', 'cs.LG'] : ['cs.LG'],
      primaryCategory: position % 3 === 0 ? 'cs.CL' : 'cs.LG',
      links: {
        abs: `https://arxiv.org/abs/${id}`,
        pdf: `https://arxiv.org/pdf/${id}`,
        hf: position % 2 === 0 ? `https://huggingface.co/papers/${id}` : null,
        code: position % 3 === 0 ? `https://github.com/example/repo-${position}` : null,
        project: null,
      },
      githubStars: position % 3 === 0 ? Math.floor(next() * 5000) : null,
      thumbnailUrl: null,
      upvotes: Math.floor(next() * 300),
      numComments: Math.floor(next() * 20),
      aiSummary: position % 2 === 0 ? source.abstract.split('. ').slice(0, 2).join('. ') : null,
      aiKeywords: position % 2 === 0 ? ['language models', 'benchmark'] : [],
      comment: null,
      doi: null,
      journalRef: null,
      publishedAt: '2026-11-25T00:00:00.000Z',
      updatedAt: null,
      hfDate: '2026-11-26',
      sources: ['hf'],
      ingestedAt: '2026-11-26T06:00:00.000Z',
      refreshedAt: '2026-11-26T06:00:00.000Z',
    };
  });
}

function makeSubscribers(count: number): Subscriber[] {
  const next = random(2);
  return Array.from({ length: count }, (_, position) => ({
    id: crypto.randomUUID(),
    email: `reader${position}@example.org`,
    status: 'active' as const,
    interests: INTERESTS.filter(() => next() < 0.2).join(', '),
    frequency: 'daily' as const,
    sendHour: 8,
    sendWeekday: 1,
    timeZone: 'UTC',
    digestSize: 15,
    trendingMix: Math.round(next() * 5) / 10,
    alwaysSend: true,
    termWeights: {},
    tokenVersion: 1,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    confirmedAt: '2026-11-01T00:00:00.000Z',
    unsubscribedAt: null,
    suppressedAt: null,
    suppressedReason: null,
    consentAt: null,
    consentMethod: 'form',
    consentIpHash: null,
  }));
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
    const editionDate = '2026-11-26';

    switch (url.pathname) {
      case '/noop':
        return Response.json({ ok: true });
      case '/setup': {
        const papers = makePapers(number('papers', 300));
        const subscribers = makeSubscribers(number('subscribers', 1000));
        const perDigest = number('perDigest', 15);
        const index = buildEditionIndex(papers);
        // Fixed digests for the render benchmarks: each subscriber's own top `perDigest`.
        const ranked = subscribers.map((subscriber) =>
          rankForSubscriber(index, profileFromSubscriber(subscriber), { full: true }).papers.slice(
            0,
            perDigest,
          ),
        );
        state = { papers, subscribers, ranked, perDigest };
        return Response.json({ papers: papers.length, subscribers: subscribers.length, perDigest });
      }
      case '/rank': {
        // Builds the edition index, then ranks every subscriber `passes` times (0: build only).
        if (!state) return new Response('setup first', { status: 409 });
        const index = buildEditionIndex(state.papers);
        const profiles = state.subscribers.map(profileFromSubscriber);
        let chosen = 0;
        for (let pass = 0; pass < number('passes', 1); pass++) {
          for (const profile of profiles) chosen += rankForSubscriber(index, profile).papers.length;
        }
        return Response.json({ chosen });
      }
      case '/naive': {
        // Full React render (HTML + text) per subscriber, links included.
        if (!state) return new Response('setup first', { status: 409 });
        const from = number('from', 0);
        let bytes = 0;
        for (let i = from; i < from + number('count', 100) && i < state.subscribers.length; i++) {
          const email = await renderDigestReference(
            config,
            { editionDate },
            { subscriber: state.subscribers[i]!, deliveryId: `del-${i}` },
            state.ranked[i]!,
          );
          bytes += email.html.length + email.text.length;
        }
        return Response.json({ bytes });
      }
      case '/sign': {
        // Link signing alone as the fast path does it: 4 + 1 per paper HMAC-SHA256 tokens.
        if (!state) return new Response('setup first', { status: 409 });
        const signer = syncLinks(config);
        let length = 0;
        for (let i = 0; i < number('count', 100); i++) {
          const subscriber = state.subscribers[i % state.subscribers.length]!;
          const tokens = signer.tokens(subscriber, `del-${i}`);
          length += tokens.unsubscribe.length + tokens.preferences.length;
          length += tokens.view.length + tokens.feed.length;
          for (const item of state.ranked[i % state.ranked.length]!) {
            length += tokens.feedback(item.paper.id).length;
          }
        }
        return Response.json({ length });
      }
      case '/prepare': {
        if (!state) return new Response('setup first', { status: 409 });
        const prepared = await prepareEdition(config, { editionDate, papers: state.papers });
        return Response.json({ cards: prepared.cards.size });
      }
      case '/assemble': {
        // Per-subscriber assembly alone (signing included), against an edition prepared once.
        if (!state) return new Response('setup first', { status: 409 });
        state.prepared ??= await prepareEdition(config, { editionDate, papers: state.papers });
        let bytes = 0;
        for (let i = 0; i < number('count', state.subscribers.length) && i < state.subscribers.length; i++) {
          const email = await assembleDigest(
            state.prepared,
            config,
            { subscriber: state.subscribers[i]!, deliveryId: `del-${i}` },
            state.ranked[i]!,
          );
          bytes += email.html.length + email.text.length;
        }
        return Response.json({ bytes });
      }
      case '/fast': {
        // End to end: prepare the edition once, then assemble every subscriber's digest.
        if (!state) return new Response('setup first', { status: 409 });
        const prepared = await prepareEdition(config, { editionDate, papers: state.papers });
        let bytes = 0;
        let htmlMax = 0;
        const count = number('count', state.subscribers.length);
        for (let i = 0; i < count && i < state.subscribers.length; i++) {
          const email = await assembleDigest(
            prepared,
            config,
            { subscriber: state.subscribers[i]!, deliveryId: `del-${i}` },
            state.ranked[i]!,
          );
          bytes += email.html.length + email.text.length;
          if (i < 20) htmlMax = Math.max(htmlMax, new TextEncoder().encode(email.html).length);
        }
        return Response.json({ bytes, htmlMax });
      }
      case '/verify': {
        // The two paths must agree; the benchmark refuses to report numbers otherwise.
        if (!state) return new Response('setup first', { status: 409 });
        const prepared = await prepareEdition(config, { editionDate, papers: state.papers });
        for (let i = 0; i < number('count', 20); i++) {
          const recipient = { subscriber: state.subscribers[i]!, deliveryId: `del-${i}` };
          const fast = await assembleDigest(prepared, config, recipient, state.ranked[i]!);
          const full = await renderDigestReference(config, { editionDate }, recipient, state.ranked[i]!);
          if (fast.html !== full.html || fast.text !== full.text || fast.subject !== full.subject) {
            return Response.json({ identical: false, subscriber: i });
          }
        }
        return Response.json({ identical: true });
      }
      default:
        return new Response('not found', { status: 404 });
    }
  },
};
