/**
 * The benchmarks' synthetic editions and subscribers, shared by the Worker benchmark
 * (worker.ts) and the memory benchmark (memory.ts): candidates made from the real text
 * of the papers-page snapshot, written by a pool of 2,000 authors, and subscribers with
 * interests nobody asked for before, drawn from the candidates' title words.
 */
import type { Paper, Subscriber } from '../../src/domain';
import { makePaper, makeSubscriber, seededRandom, snapshotPapers } from '../../test/factories';

export const DIGEST_SIZE = 15;

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
export function makePapers(count: number): Paper[] {
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
export function vocabulary(papers: readonly Paper[]): string[] {
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
export function makeRound(
  papers: readonly { id: string }[],
  words: readonly string[],
  count: number,
  seed: number,
) {
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

export type Reader = ReturnType<typeof makeRound>[number];
