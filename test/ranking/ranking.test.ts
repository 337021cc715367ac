/**
 * Ranking on real text: the titles and abstracts of a real daily listing, ranked for the
 * interest profiles real subscribers write (acronyms, spelled-out phrases, authors,
 * categories), plus the trending blend, the skip floor and learning from 👍/👎.
 */

import { stemmer as stem } from 'stemmer';
import { describe, expect, it } from 'vitest';
import type { Paper } from '../../src/domain';
import {
  applyFeedback,
  buildEditionIndex,
  FEEDBACK_LIMITS,
  type RankProfile,
  rankForSubscriber,
} from '../../src/ranking';
import { DEFAULT_CACHE_BYTES, EVIDENCE, editionBudget, VERDICT, VERDICT_DOCS } from '../../src/ranking/cache';
import { editionMemo } from '../../src/ranking/edition';
import { scoreInterest } from '../../src/ranking/interest';
import { PARAMS } from '../../src/ranking/params';
import { buildQueries, buildQuery, queriesOf, queryOf, readings } from '../../src/ranking/query';
import { tokenize } from '../../src/ranking/text';
import { parseInterests } from '../../src/subscriptions/interests';
import { makePaper, snapshotPapers } from './make-paper';

function profile(interests: string, overrides: Partial<RankProfile> = {}): RankProfile {
  return {
    interests: parseInterests(interests),
    termWeights: {},
    trendingMix: 0,
    digestSize: 10,
    alwaysSend: false,
    ...overrides,
  };
}

const text = (paper: Paper) => `${paper.title} ${paper.abstract}`.toLowerCase();
const papers = snapshotPapers();
const index = buildEditionIndex(papers);

describe('text processing', () => {
  it('stems like Porter and folds plurals of acronyms', () => {
    expect(stem('aligning')).toBe(stem('aligned'));
    expect(stem('models')).toBe('model');
    expect(stem('llms')).toBe('llm');
    expect(stem('generalization')).toBe(stem('generalize'));
    expect(tokenize('Multi-Modal pre-training of LLMs')).toEqual(['multimod', 'pretrain', 'llm']);
    expect(tokenize('We propose a novel method')).toEqual([]);
  });
});

describe('relevance on a real daily list', () => {
  it('puts RLHF and preference-optimisation papers first for "RLHF"', () => {
    const top = rankForSubscriber(index, profile('RLHF')).papers.slice(0, 5);
    expect(top).toHaveLength(5);
    for (const item of top) {
      expect(text(item.paper)).toMatch(/rlhf|human feedback|preference optimi[sz]ation|reward model/);
    }
    expect(top[0]!.why[0]).toBe('matches “RLHF”');
  });

  it('finds the same papers whether the interest is an acronym or spelled out', () => {
    const acronym = rankForSubscriber(index, profile('RLHF')).papers.slice(0, 5);
    const spelled = rankForSubscriber(
      index,
      profile('reinforcement learning from human feedback'),
    ).papers.slice(0, 5);
    const overlap = acronym.filter((a) => spelled.some((s) => s.paper.id === a.paper.id));
    expect(overlap.length).toBeGreaterThanOrEqual(4);
  });

  it('returns multimodal papers for "vision-language models"', () => {
    const top = rankForSubscriber(index, profile('vision-language models')).papers.slice(0, 3);
    for (const item of top) expect(text(item.paper)).toMatch(/multi-?modal|vision/);
    expect(top.map((item) => item.paper.title)).toContain(
      'A Review of Multi-Modal Large Language and Vision Models',
    );
  });

  it('expands RAG and MoE acronyms to their phrases', () => {
    const rag = rankForSubscriber(index, profile('RAG')).papers[0]!;
    expect(text(rag.paper)).toMatch(/retrieval-augmented|retrieval-based/);
    const moe = rankForSubscriber(index, profile('MoE')).papers.slice(0, 2);
    for (const item of moe) expect(item.paper.title.toLowerCase()).toMatch(/mixture[- ]of[- ]experts?/);
  });

  it('credits a paper much like the best matches, without crediting a match for resembling itself', () => {
    const filler = [
      'graph layouts',
      'speech codecs',
      'robot grasping',
      'image restoration',
      'code review',
    ].map((topic, n) =>
      makePaper({ id: `f${n}`, title: `Studies of ${topic}`, abstract: `We look at ${topic}.` }),
    );
    const edition = (withTwin: boolean) =>
      buildEditionIndex([
        makePaper({
          id: 'match',
          title: 'Protein folding from residue contact maps',
          abstract: 'Residue contact maps and torsion angles predict how chains fold.',
        }),
        ...(withTwin
          ? [
              makePaper({
                id: 'twin',
                title: 'Torsion angles from residue contact maps',
                abstract: 'Contact maps of residues give torsion angles of chains.',
              }),
            ]
          : []),
        ...filler,
      ]);
    const ranked = rankForSubscriber(edition(true), profile('protein folding'), { full: true }).papers;
    expect(ranked.map((item) => item.paper.id).slice(0, 2)).toEqual(['match', 'twin']);
    const twin = ranked[1]!;
    expect(twin.relevance).toBeGreaterThan(0);
    // The twin never says "protein folding": any reason it gets says "related", not "matches".
    expect(twin.why.join(' ')).not.toMatch(/matches/);
    expect(ranked.slice(2).every((item) => item.relevance === 0)).toBe(true);
    const alone = rankForSubscriber(edition(false), profile('protein folding'), { full: true }).papers[0]!;
    expect(alone.paper.id).toBe('match');
    expect(ranked[0]!.relevance).toBeCloseTo(alone.relevance!, 1);
  });

  it('marks what only feedback reaches as related, and leaves stronger evidence as it is', () => {
    const interest = 'reinforcement learning';
    const withFeedback = scoreInterest(buildEditionIndex(papers, 1 << 20), interest);
    // The same interest without either round of feedback: its words and phrases alone.
    const saved = { ...PARAMS };
    let alone: ReturnType<typeof scoreInterest>;
    try {
      PARAMS.prfMinDocs = Number.POSITIVE_INFINITY;
      PARAMS.similarShare = 0;
      alone = scoreInterest(buildEditionIndex(papers, 1 << 20), interest);
    } finally {
      Object.assign(PARAMS, saved);
    }
    const expected = papers.map((_, doc) => {
      const own = alone.evidence[doc]!;
      if (own >= EVIDENCE.words) return own;
      return withFeedback.scores[doc]! > 0 ? EVIDENCE.related : EVIDENCE.none;
    });
    expect(Array.from(withFeedback.evidence)).toEqual(expected);
    // Every kind occurs, so each rule above was put to the test.
    expect(new Set(expected)).toEqual(
      new Set([EVIDENCE.none, EVIDENCE.related, EVIDENCE.words, EVIDENCE.phrase]),
    );
  });

  it('takes the head of a stage compound the edition hyphenates as weaker evidence', () => {
    const edition = buildEditionIndex([
      makePaper({ id: 'pre', title: 'Data mixtures for pre-training', abstract: 'Pre-training mixtures.' }),
      makePaper({
        id: 'z-head',
        title: 'Stable training of transformers',
        abstract: 'Training recipes at scale.',
      }),
      makePaper({ id: 'serve', title: 'Serving transformers cheaply', abstract: 'Serving at scale.' }),
      makePaper({ id: 'other', title: 'Graph layouts', abstract: 'Drawing graphs.' }),
    ]);
    const ranked = rankForSubscriber(edition, profile('pretraining'), { full: true }).papers;
    expect(ranked.map((item) => item.paper.id).slice(0, 2)).toEqual(['pre', 'z-head']);
    expect(ranked[0]!.why).toContain('matches “pretraining”');
    expect(ranked[1]!.relevance).toBeGreaterThan(0);
    expect(ranked[1]!.relevance).toBeLessThan(ranked[0]!.relevance!);
    expect(ranked[1]!.why.join(' ')).not.toMatch(/matches/);
    // Nobody wrote "pre-serving": "preserving" stays a word of its own.
    const privacy = rankForSubscriber(edition, profile('privacy preserving'), { full: true }).papers;
    expect(privacy.every((item) => item.relevance === 0)).toBe(true);
  });

  it('ranks an exact title phrase above scattered words', () => {
    const edition = buildEditionIndex([
      makePaper({
        id: '1',
        title: 'Scattered: knowledge about graphs and some distillation of ideas',
        abstract: 'We study knowledge. Later, distillation is mentioned in passing for graphs.',
      }),
      makePaper({
        id: '2',
        title: 'Knowledge Distillation for Graphs',
        abstract: 'A compact student learns from a teacher network on graph benchmarks.',
      }),
    ]);
    const ranked = rankForSubscriber(edition, profile('knowledge distillation'), { full: true }).papers;
    expect(ranked.map((item) => item.paper.id)).toEqual(['2', '1']);
  });

  it('lets one matched interest carry a paper, with a why naming it', () => {
    const mixed = rankForSubscriber(index, profile('gaussian splatting, RLHF, protein folding')).papers;
    expect(mixed.length).toBeGreaterThan(0);
    expect(text(mixed[0]!.paper)).toMatch(/rlhf|human feedback|preference/);
    expect(mixed[0]!.why).toContain('matches “RLHF”');
  });

  it('boosts followed authors (also written with initials) and categories', () => {
    const edition = buildEditionIndex([
      makePaper({
        id: 'a',
        title: 'Diffusion models for images',
        abstract: 'Denoising diffusion.',
        upvotes: 3,
      }),
      makePaper({
        id: 'b',
        title: 'A study of optimisers',
        abstract: 'Adam and friends.',
        authors: ['Y. LeCun', 'Someone Else'],
      }),
      makePaper({ id: 'c', title: 'Parsing', abstract: 'Syntax trees.', categories: ['cs.CL'] }),
    ]);
    const ranked = rankForSubscriber(edition, profile('diffusion models, @Yann LeCun, cs.CL')).papers;
    const byId = new Map(ranked.map((item) => [item.paper.id, item]));
    expect(byId.get('b')?.why).toContain('by Y. LeCun');
    expect(byId.get('c')?.why).toContain('in cs.CL');
    expect(byId.get('a')?.why).toContain('matches “diffusion models”');
  });
});

describe('trending and the floor', () => {
  it('sends the trending list when a subscriber has no interests', () => {
    const result = rankForSubscriber(index, profile(''));
    const upvotes = result.papers.map((item) => item.paper.upvotes);
    expect(upvotes).toEqual([...upvotes].sort((a, b) => b - a));
    expect(upvotes[0]).toBe(Math.max(...papers.map((paper) => paper.upvotes)));
    expect(result.papers[0]!.why[0]).toMatch(/^trending: \d+ upvotes$/);
  });

  it('blends trending by the mix and caps trending-only papers at mix × size', () => {
    const pure = rankForSubscriber(index, profile('mixture of experts', { trendingMix: 0 })).papers;
    expect(pure.every((item) => item.why.some((why) => why.includes('mixture of experts')))).toBe(true);
    const blended = rankForSubscriber(index, profile('mixture of experts', { trendingMix: 0.3 })).papers;
    const trendingOnly = blended.filter(
      (item) => !item.why.some((why) => why.includes('mixture of experts')),
    );
    expect(trendingOnly.length).toBe(3);
    expect(trendingOnly.every((item) => item.why.some((why) => why.startsWith('trending')))).toBe(true);
  });

  it('skips when nothing is relevant or trending, unless the subscriber always wants a digest', () => {
    const quiet = buildEditionIndex(papers.map((paper) => ({ ...paper, upvotes: 1 })));
    const skipped = rankForSubscriber(quiet, profile('lattice quantum chromodynamics', { trendingMix: 0.5 }));
    expect(skipped.papers).toEqual([]);
    expect(skipped.skipReason).toMatch(/nothing matched/);
    const always = rankForSubscriber(quiet, profile('lattice quantum chromodynamics', { alwaysSend: true }));
    expect(always.skipReason).toBeNull();
    expect(always.papers).toHaveLength(10);
    expect(rankForSubscriber(buildEditionIndex([]), profile('', { alwaysSend: true })).skipReason).toBe(
      'no new papers',
    );
  });

  it('excludes papers already sent and can return the full ordering', () => {
    const first = rankForSubscriber(index, profile('RLHF')).papers[0]!.paper.id;
    const next = rankForSubscriber(index, profile('RLHF'), { exclude: new Set([first]) }).papers;
    expect(next.map((item) => item.paper.id)).not.toContain(first);
    const full = rankForSubscriber(index, profile('RLHF'), { full: true }).papers;
    expect(full).toHaveLength(papers.length);
    const scores = full.map((item) => item.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('excludes the union of several sets, large shared ones and small own ones alike, also with repeated ids', () => {
    const all = rankForSubscriber(index, profile('RLHF', { alwaysSend: true }), { full: true }).papers;
    const ids = all.map((item) => item.paper.id);
    const shared = new Set(ids.slice(0, 100)); // large: masked once and remembered
    const own = new Set([ids[100]!, 'not-in-this-edition']);
    for (let round = 0; round < 2; round++) {
      const left = rankForSubscriber(index, profile('RLHF'), { exclude: [shared, own], full: true }).papers;
      expect(left.map((item) => item.paper.id)).toEqual(ids.filter((id) => !shared.has(id) && !own.has(id)));
    }
    // Two docs with one id: both are left out.
    const twice = buildEditionIndex([papers[0]!, papers[1]!, { ...papers[0]! }]);
    const kept = rankForSubscriber(twice, profile('', { alwaysSend: true }), {
      exclude: new Set([papers[0]!.id]),
      full: true,
    }).papers;
    expect(kept.map((item) => item.paper.id)).toEqual([papers[1]!.id]);
  });
});

describe('learning from feedback', () => {
  const byTitle = (prefix: string) => papers.find((paper) => paper.title.startsWith(prefix))!;

  it('moves the next edition towards liked papers and away from disliked ones', () => {
    // Day 1: a broad "language models" reader likes a speech paper and dislikes a survey.
    let weights: Record<string, number> = {};
    weights = applyFeedback(weights, byTitle('CosyVoice 2'), 1);
    weights = applyFeedback(weights, byTitle('TCSinger'), 1);
    weights = applyFeedback(weights, byTitle('A Survey of Large Language Models'), -1);

    // Day 2: a new edition (papers not voted on).
    const voted = new Set(['CosyVoice 2', 'TCSinger', 'A Survey of Large Language Models']);
    const nextEdition = buildEditionIndex(
      papers.filter((paper) => ![...voted].some((t) => paper.title.startsWith(t))),
    );
    const position = (result: ReturnType<typeof rankForSubscriber>, prefix: string) =>
      result.papers.findIndex((item) => item.paper.title.startsWith(prefix));
    const before = rankForSubscriber(nextEdition, profile('language models'), { full: true });
    const after = rankForSubscriber(nextEdition, profile('language models', { termWeights: weights }), {
      full: true,
    });
    expect(position(after, 'StreamVoice')).toBeLessThan(position(before, 'StreamVoice'));
    expect(position(after, 'A Survey on Evaluation of Large Language Models')).toBeGreaterThan(
      position(before, 'A Survey on Evaluation of Large Language Models'),
    );
    expect(after.papers.find((item) => item.paper.title.startsWith('StreamVoice'))?.why).toContain(
      'like papers you 👍',
    );
  });

  it('keeps learned weights bounded and idempotent', () => {
    let weights: Record<string, number> = {};
    for (const paper of papers) weights = applyFeedback(weights, paper, 1);
    expect(Object.keys(weights).length).toBeLessThanOrEqual(FEEDBACK_LIMITS.maxTerms);
    expect(Object.values(weights).every((w) => Math.abs(w) <= FEEDBACK_LIMITS.maxWeight)).toBe(true);
    const paper = papers[0]!;
    const once = applyFeedback({}, paper, 1);
    expect(applyFeedback(once, paper, 1, 1)).toEqual(once);
    const switched = applyFeedback(once, paper, -1, 1);
    expect(Object.values(switched).some((w) => w < 0)).toBe(true);
  });

  it('does not fade what else was learned when one vote is switched back and forth', () => {
    const paper = papers[0]!;
    const start = { unrelatedlearnedterm: 0.5 };
    const first = applyFeedback(start, paper, 1);
    expect(first.unrelatedlearnedterm).toBeCloseTo(0.5 * FEEDBACK_LIMITS.decay, 3);
    let weights = first;
    let previous: 1 | -1 = 1;
    for (let click = 0; click < 10; click++) {
      const vote: 1 | -1 = previous === 1 ? -1 : 1;
      weights = applyFeedback(weights, paper, vote, previous);
      previous = vote;
    }
    // Ten switches end on 👍 again: back where the first vote left things.
    expect(weights.unrelatedlearnedterm).toBe(first.unrelatedlearnedterm);
    for (const [term, weight] of Object.entries(first)) expect(weights[term]).toBeCloseTo(weight, 2);
  });
});

describe('phrases, spellings and truthful reasons', () => {
  const edition = buildEditionIndex([
    makePaper({
      id: 'exact',
      title: 'Stable large language model pretraining at scale',
      abstract: 'We study warmup schedules for pretraining.',
    }),
    makePaper({
      id: 'broader',
      title: 'Language model pretraining with curricula',
      abstract: 'Curricula for small language models.',
    }),
    makePaper({
      id: 'word',
      title: 'An LLM agent for spreadsheets',
      abstract: 'Agents that use LLMs as planners.',
    }),
    makePaper({
      id: 'moe',
      title: 'Routing tokens in sparse models',
      abstract: 'A sparse Mixture-of-Experts (MoE) layer routes each token to two experts.',
    }),
    makePaper({
      id: 'moe2',
      title: 'Load balancing for MoE training',
      abstract: 'Expert load balancing losses.',
    }),
  ]);
  const why = (interests: string, id: string) =>
    rankForSubscriber(edition, profile(interests), { full: true }).papers.find(
      (item) => item.paper.id === id,
    )!.why;

  it('says "matches" only when the interest, a synonym or a defined acronym of it occurs', () => {
    expect(why('LLM pretraining', 'exact')).toContain('matches “LLM pretraining”');
    // "language model" is broader than "LLM": related, but not a match of the interest.
    expect(why('LLM pretraining', 'broader').join()).not.toContain('matches');
    expect(why('LLM pretraining', 'word').join()).not.toContain('matches');
    // The edition defines MoE once; the other paper, which only says "MoE", matches the spelled-out interest.
    expect(why('mixture of experts', 'moe2')).toContain('matches “mixture of experts”');
  });

  it('ranks the phrase above the broader form above a shared word', () => {
    const order = rankForSubscriber(edition, profile('LLM pretraining'), { full: true }).papers.map(
      (item) => item.paper.id,
    );
    expect(order.indexOf('exact')).toBeLessThan(order.indexOf('broader'));
    expect(order.indexOf('broader')).toBeLessThan(order.indexOf('word'));
  });

  it('reads coordinated interests as their phrases and names the one that occurs', () => {
    expect(readings('image & video editing')).toEqual(['image editing', 'video editing']);
    expect(readings('document OCR and parsing')).toEqual(['document OCR', 'document parsing']);
    expect(readings('code generation and coding agents')).toEqual(['code generation', 'coding agents']);
    expect(readings('RLHF')).toEqual(['RLHF']);
    const videos = buildEditionIndex([
      makePaper({ id: 'v', title: 'Fast video editing with diffusion', abstract: 'Edits videos.' }),
      makePaper({ id: 'i', title: 'Image segmentation', abstract: 'Masks for images.' }),
    ]);
    const ranked = rankForSubscriber(videos, profile('image & video editing'), { full: true }).papers;
    expect(ranked[0]!.paper.id).toBe('v');
    expect(ranked[0]!.why).toContain('matches “video editing”');
  });
});

describe('fair share and bounded caches', () => {
  it('gives each interest of a profile its share of the digest', () => {
    const many = Array.from({ length: 12 }, (_, n) =>
      makePaper({
        id: `d${n}`,
        title: `Diffusion models for images, part ${n}`,
        abstract: 'Diffusion models.',
      }),
    );
    const few = Array.from({ length: 3 }, (_, n) =>
      makePaper({ id: `r${n}`, title: `Robot grasping ${n}`, abstract: 'A robot learns grasping.' }),
    );
    const digest = rankForSubscriber(
      buildEditionIndex([...many, ...few]),
      profile('diffusion models; robot grasping', { digestSize: 6 }),
    ).papers.map((item) => item.paper.id);
    expect(digest).toHaveLength(6);
    expect(digest.filter((id) => id.startsWith('r')).length).toBeGreaterThanOrEqual(2);
  });

  it('keeps the interest cache within its byte budget, least recently used first out', () => {
    const budget = 64 * 1024;
    const edition = buildEditionIndex(papers, budget);
    for (let n = 0; n < 200; n++) rankForSubscriber(edition, profile(`topic ${n} language models`));
    expect(edition.cache.bytes).toBeLessThanOrEqual(budget);
    expect(edition.cache.size).toBeGreaterThan(0);
    expect(edition.cache.get('topic 199 language models')).toBeDefined();
    expect(edition.cache.get('topic 0 language models')).toBeUndefined();
  });

  it('ranks alike when evicted interest vectors are reused for new interests', () => {
    // A cache that holds one vector evicts at every new interest, even one of the
    // subscriber being ranked, and reuses the buffers; a large cache never does. Every
    // digest must come out the same.
    const small = buildEditionIndex(papers, papers.length * 6 + 200 + VERDICT_DOCS * 16 + 64);
    const large = buildEditionIndex(papers);
    const words = [
      'diffusion',
      'agents',
      'reasoning',
      'video',
      'language models',
      'robot',
      'reward',
      'speech',
    ];
    for (let n = 0; n < 60; n++) {
      const interests = `${words[n % words.length]} ${n}; ${words[(n * 3 + 1) % words.length]}; ${words[(n * 5 + 2) % words.length]} ${n}`;
      const digest = (edition: typeof small) =>
        rankForSubscriber(edition, profile(interests), { full: true }).papers.map(
          (item) => `${item.paper.id} ${item.score} ${item.why.join('|')}`,
        );
      expect(digest(small)).toEqual(digest(large));
    }
    expect(small.cache.size).toBeLessThan(large.cache.size);
  });

  it('checks a reason once per interest and paper, and gives the same reasons from what it remembers', () => {
    // Reasons are remembered with the interest's cached scores, for the first VERDICT_DOCS
    // papers asked about; past those they are checked again each time. A full ranking
    // explains every paper, so it asks about more than that.
    const reasons = (edition: ReturnType<typeof buildEditionIndex>) =>
      rankForSubscriber(edition, profile('language models; reinforcement learning'), {
        full: true,
      }).papers.map((item) => `${item.paper.id} ${item.why.join('|')}`);
    const edition = buildEditionIndex(papers);
    const first = reasons(edition);
    const verdicts = scoreInterest(edition, 'language models').verdicts;
    expect(verdicts?.docs.length).toBe(VERDICT_DOCS);
    expect(first.filter((line) => line.includes('“language models”')).length).toBeGreaterThan(VERDICT_DOCS);
    // Asked again, the same reasons, from the verdicts remembered and beyond them.
    expect(reasons(edition)).toEqual(first);
    // And the remembered bits are what checking says: "matches" where they say it holds.
    const matchesAt = new Map(first.map((line) => [line.split(' ')[0]!, line.includes('matches “')]));
    for (let k = 0; k < verdicts!.docs.length; k++) {
      const bits = verdicts!.bits[k]!;
      const id = edition.ids[verdicts!.docs[k]!]!;
      if (bits & VERDICT.phrase && bits & (VERDICT.phrase << 1)) expect(matchesAt.get(id)).toBe(true);
    }
  });

  it('scores an interest the same whatever interests were scored before it', () => {
    // The scorer's working arrays (and its marks of the docs a reading scored) are reused
    // from interest to interest: nothing one interest left in them may reach the next.
    const vector = (edition: ReturnType<typeof buildEditionIndex>, text: string) =>
      Array.from(scoreInterest(edition, text).scores);
    const alone = vector(buildEditionIndex(papers), 'vision-language models');
    const after = buildEditionIndex(papers);
    for (const text of ['diffusion', 'RLHF', 'video generation', 'robot manipulation', 'speech'])
      scoreInterest(after, text);
    expect(vector(after, 'vision-language models')).toEqual(alone);
  });

  it('scores an interest the same after scoring another one threw halfway', () => {
    // The scorer zeroes only the docs a reading scored, when it is done: a reading that
    // threw before then must not leave its sums to the next interest.
    const vector = (edition: ReturnType<typeof buildEditionIndex>, text: string) =>
      Array.from(scoreInterest(edition, text).scores);
    const alone = vector(buildEditionIndex(papers, 1 << 20), 'vision-language models');
    // Without its length norms the edition fails in the pair parts, after the words'
    // parts were summed.
    const broken = { ...buildEditionIndex(papers, 1 << 20), fieldNorm: undefined as unknown as Float32Array };
    expect(() => scoreInterest(broken, 'video generation')).toThrow();
    expect(vector(buildEditionIndex(papers, 1 << 20), 'vision-language models')).toEqual(alone);
  });

  it('shares the isolate cache between editions without mixing their vectors', () => {
    // Two editions, the same interest: each must be scored on its own papers.
    const first = buildEditionIndex(papers.slice(0, 40));
    const second = buildEditionIndex(papers.slice(40, 80));
    const ids = (edition: typeof first) =>
      rankForSubscriber(edition, profile('language models'), { full: true }).papers.map(
        (item) => item.paper.id,
      );
    const before = ids(second);
    ids(first);
    expect(ids(second)).toEqual(before);
    expect(ids(second).every((id) => papers.slice(40, 80).some((paper) => paper.id === id))).toBe(true);
    expect(first.cache.get('language models')?.scores).toHaveLength(40);
    expect(second.cache.get('language models')?.scores).toHaveLength(40);
    expect(first.cache.get('language models')).not.toBe(second.cache.get('language models'));
  });

  it("lets an edition's vectors go when it is released, and only its own", () => {
    const first = buildEditionIndex(papers.slice(0, 40));
    const second = buildEditionIndex(papers.slice(40, 80));
    for (const edition of [first, second]) {
      rankForSubscriber(edition, profile('language models, reinforcement learning'));
    }
    expect(first.cache.get('reinforcement learning')).toBeDefined();
    const bytes = first.cache.bytes;
    first.cache.release();
    expect(first.cache.get('language models')).toBeUndefined();
    expect(first.cache.get('reinforcement learning')).toBeUndefined();
    expect(second.cache.get('language models')?.scores).toHaveLength(40);
    expect(first.cache.bytes).toBeLessThan(bytes);
    // Released is not broken: ranking it again scores and caches anew.
    rankForSubscriber(first, profile('language models'));
    expect(first.cache.get('language models')?.scores).toHaveLength(40);
  });

  it('keeps term ids and occurrences in 16 bits when they fit, in 32 when papers outgrow them', () => {
    expect(index.docTerms).toBeInstanceOf(Uint16Array);
    expect(index.occurrences).toBeInstanceOf(Uint16Array);
    const words = (from: number, count: number) =>
      Array.from({ length: count }, (_, n) => `w${(from + n).toString(36)}`).join(' ');
    const pair = (filler: string) => [
      makePaper({ id: 'found', title: 'A survey', abstract: `${filler} latent diffusion models for video` }),
      makePaper({ id: 'apart', title: 'Diffusion for video', abstract: 'Models of motion.' }),
    ];
    const evidenceOf = (edition: ReturnType<typeof buildEditionIndex>) => [
      ...scoreInterest(edition, 'diffusion models').evidence.subarray(0, 2),
    ];
    // The phrase 9,000 words into a field: past 2^13 positions, where a 16-bit code would
    // run into the next field's.
    const longField = buildEditionIndex([...pair(words(0, 9_000)), ...papers.slice(0, 20)]);
    expect(longField.occurrences).toBeInstanceOf(Int32Array);
    expect(evidenceOf(longField)).toEqual([EVIDENCE.phrase, EVIDENCE.words]);
    // 70,000 distinct words over ten papers: past 16-bit term ids.
    const manyTerms = buildEditionIndex([
      ...pair(''),
      ...Array.from({ length: 10 }, (_, n) =>
        makePaper({ id: `w${n}`, title: 'W', abstract: words(n * 7_000, 7_000) }),
      ),
    ]);
    expect(manyTerms.docTerms).toBeInstanceOf(Int32Array);
    expect(manyTerms.occurrences).toBeInstanceOf(Uint16Array);
    expect(evidenceOf(manyTerms)).toEqual([EVIDENCE.phrase, EVIDENCE.words]);
  });

  it('keeps doc numbers in 16 bits up to 65,536 candidates, in 32 past them', () => {
    expect(index.postingDocs).toBeInstanceOf(Uint16Array);
    // The one paper on the topic is doc 65,536: in 16 bits it would read as doc 0.
    const many = buildEditionIndex(
      Array.from({ length: 65_537 }, (_, n) =>
        makePaper({ id: `p${n}`, title: n === 65_536 ? 'Diffusion models' : 'Other' }),
      ),
    );
    expect(many.postingDocs).toBeInstanceOf(Int32Array);
    const { scores, evidence } = scoreInterest(many, 'diffusion models');
    expect(evidence[65_536]).toBe(EVIDENCE.phrase);
    expect(scores[0]).toBe(0);
  });

  it('gives the caches of an edition past 3,000 candidates less room, in proportion', () => {
    // 6,000 one-line papers: twice the candidates, half the room per cache, so that the
    // index and papers, which grow with every candidate, leave the isolate's budget intact.
    const large = buildEditionIndex(
      Array.from({ length: 6_000 }, (_, n) =>
        makePaper({ id: `p${n}`, title: `topic ${n % 50} language models` }),
      ),
    );
    expect(editionBudget(1_000, 3_000)).toBe(1_000);
    expect(editionBudget(1_000, 6_000)).toBe(500);
    expect(buildEditionIndex(papers).cache.budget).toBe(DEFAULT_CACHE_BYTES);
    expect(large.cache.budget).toBe(DEFAULT_CACHE_BYTES / 2);
    // ~30 kB a vector: 200 new interests fill far more than the room it has.
    for (let n = 0; n < 200; n++) rankForSubscriber(large, profile(`topic ${n} models language`));
    expect(large.cache.bytes).toBeLessThanOrEqual(DEFAULT_CACHE_BYTES / 2);
    expect(large.cache.bytes).toBeGreaterThan(DEFAULT_CACHE_BYTES / 4);
    large.cache.release();
    // A memo of 10 units keeps 5 of them for this edition.
    const memo = editionMemo<number[]>(10, (found) => found.length);
    let finds = 0;
    const find = (key: string) =>
      memo(large, key, () => {
        finds++;
        return [0, 0, 0];
      });
    find('a');
    find('b'); // 6 units: "a" goes
    find('a');
    expect(finds).toBe(3);
  });

  it('keeps per-edition memos within their budget, the recently used ones kept', () => {
    const edition = buildEditionIndex(papers);
    const memo = editionMemo<number[]>(10, (found) => found.length);
    let finds = 0;
    const find = (key: string, size: number) =>
      memo(edition, key, () => {
        finds++;
        return Array.from({ length: size }, () => 0);
      });
    find('hot', 4);
    find('a', 4);
    find('hot', 4); // used again: "a" is now the least recent
    find('b', 4); // over budget: "a" goes, "hot" stays
    expect(finds).toBe(3);
    find('hot', 4);
    expect(finds).toBe(3);
    find('a', 4);
    expect(finds).toBe(4);
    find('huge', 11); // past the whole budget: found, never kept
    find('huge', 11);
    expect(finds).toBe(6);
    expect(memo(buildEditionIndex(papers), 'hot', () => [1])).toEqual([1]); // per edition
  });

  it("builds an interest's queries once per edition and text as written, as buildQueries does", () => {
    const edition = buildEditionIndex(papers);
    const queries = queriesOf(edition, 'Image & video editing');
    expect(queries).toEqual(buildQueries('Image & video editing', edition));
    expect(queriesOf(edition, 'Image & video editing')).toBe(queries);
    // The text as written is kept: readings name what occurs in reasons.
    expect(queries.map((query) => query.text)).toEqual(['Image editing', 'video editing']);
    expect(queriesOf(edition, 'image & video editing')[0]!.text).toBe('image editing');
    const query = queryOf(edition, 'LLM pretraining');
    expect(query).toEqual(buildQuery('LLM pretraining', edition));
    expect(queryOf(edition, 'LLM pretraining')).toBe(query);
    expect(queriesOf(buildEditionIndex(papers), 'Image & video editing')).not.toBe(queries); // per edition
  });
});

describe('coordinated interests', () => {
  const edition = buildEditionIndex([
    makePaper({ id: 'code-only', title: 'Code review at scale', abstract: 'Reviewing code changes.' }),
    makePaper({ id: 'codegen', title: 'Code generation with tests', abstract: 'Generating code.' }),
    makePaper({ id: 'agents', title: 'Coding agents in the wild', abstract: 'Agents that write code.' }),
    makePaper({ id: 'other', title: 'Protein folding', abstract: 'Structures of proteins.' }),
  ]);
  const relevance = (interests: string, id: string) =>
    rankForSubscriber(edition, profile(interests), { full: true }).papers.find(
      (item) => item.paper.id === id,
    )!.relevance!;

  it('counts a word that phrases written side by side share once, not once per phrase', () => {
    // "code" alone is about what "code generation" gives it (feedback rounds differ a
    // little); counted again for "coding agents" it came to about twice that.
    expect(relevance('code generation and coding agents', 'code-only')).toBeLessThan(
      1.1 * relevance('code generation', 'code-only'),
    );
    expect(relevance('code generation and coding agents', 'codegen')).toBeGreaterThan(
      relevance('code generation and coding agents', 'code-only'),
    );
    expect(relevance('code generation and coding agents', 'agents')).toBeGreaterThan(
      relevance('code generation and coding agents', 'code-only'),
    );
  });
});

describe('category interests on papers without categories', () => {
  it('finds papers about the category’s subject and says so, or "in cs.CV" when the category is known', () => {
    const edition = buildEditionIndex([
      makePaper({
        id: 'seg',
        title: 'Open-vocabulary segmentation of images',
        abstract: 'Masks for any object.',
      }),
      makePaper({ id: 'cat', title: 'A benchmark', abstract: 'Numbers.', categories: ['cs.CV'] }),
      makePaper({ id: 'law', title: 'Contract law and tax', abstract: 'Legal texts.' }),
    ]);
    const ranked = rankForSubscriber(edition, profile('cs.CV')).papers;
    const byId = new Map(ranked.map((item) => [item.paper.id, item.why]));
    expect(byId.get('seg')).toContain('about vision (cs.CV)');
    expect(byId.get('cat')).toContain('in cs.CV');
    expect(byId.has('law')).toBe(false);
  });
});
