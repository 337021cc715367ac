/**
 * What the sender renders, per edition and per subscriber. An edition's context (its
 * candidates, the ranking index and the prepared digest render) is built once per isolate
 * and shared by every message of the edition; each subscriber's email object (HTML, text,
 * List-Unsubscribe headers, tags) is then assembled from it.
 */
import { type Edition, getEdition, getPapersInOrder } from '../db/editions';
import {
  assembleDigest,
  cardPaper,
  DEFAULT_CARD_BYTES,
  type DigestBasis,
  type DigestEmail,
  type PreparedEdition,
  prepareEdition,
} from '../digest';
import type { Paper, PaperLinks, PaperSource, Subscriber } from '../domain';
import type { AppContext, Config } from '../env';
import { arxivAbsUrl, arxivPdfUrl, huggingFacePaperUrl } from '../ingest/normalise';
import { subscriberLinks } from '../links';
import { type EditionIndex, EditionReader, type RankedPaper } from '../ranking';
import { editionBudget } from '../ranking/cache';
import { sender } from './email';
import { type OutgoingEmail, releaseSpareBodies } from './transport';

export interface EditionContext {
  edition: Edition;
  config: Config;
  papers: Paper[];
  paperById: PaperLookup;
  index: EditionIndex;
  prepared: PreparedEdition;
  /** Ids of the candidates first ingested before `since`, memoised: shared by many subscribers. */
  ingestedBefore(since: string): ReadonlySet<string>;
}

/** The edition's papers by id (a Map is one). */
export interface PaperLookup {
  get(id: string): Paper | undefined;
  has(id: string): boolean;
}

/**
 * The papers by id through the index's own id → doc map: a second Map of every candidate
 * was 0.46 MB of the sender's peak at 10,000 candidates. An index whose ids are not unique
 * has none (the last paper of an id wins, as in a Map built from the list).
 */
export function paperLookup(index: EditionIndex): PaperLookup {
  const { docOf, papers } = index;
  if (!docOf) return new Map(papers.map((paper) => [paper.id, paper]));
  return {
    get: (id) => {
      const doc = docOf.get(id);
      return doc === undefined ? undefined : papers[doc];
    },
    has: (id) => docOf.has(id),
  };
}

/** `ingestedBefore` for a list of papers: one set per distinct `since` (a few per edition). */
export function ingestedBeforeOf(papers: readonly Paper[]): (since: string) => ReadonlySet<string> {
  const memo = new Map<string, ReadonlySet<string>>();
  return (since) => {
    let set = memo.get(since);
    if (!set) {
      set = new Set(papers.filter((paper) => paper.ingestedAt < since).map((paper) => paper.id));
      if (memo.size >= 64) memo.clear();
      memo.set(since, set);
    }
    return set;
  };
}

const EDITION_CACHE_SIZE = 3;
/**
 * An edition in memory costs ~10 kB per candidate once sent from (`npm run bench:memory`:
 * ready to send, 14 MB at 3,000 candidates, then its filled cards and memos). So the
 * isolate keeps editions up to this many candidates in all, not only up to a count, and
 * makes room for a new edition as soon as its size is known, before its papers are read.
 * The newest edition is always kept, whatever its size.
 */
export const EDITION_CACHE_CANDIDATES = 4_000;

/**
 * Which cached editions to drop, oldest first, so that the rest (the newest always among
 * them) fit in `budget` candidates and `maxCount` editions. `editions` is oldest first;
 * an edition whose size is not known yet counts as 0.
 */
export function editionsToDrop(
  editions: readonly { id: string; candidates: number }[],
  budget: number,
  maxCount: number,
): string[] {
  let total = editions.reduce((sum, edition) => sum + edition.candidates, 0);
  let count = editions.length;
  const drop: string[] = [];
  for (const edition of editions.slice(0, -1)) {
    if (total <= budget && count <= maxCount) break;
    drop.push(edition.id);
    total -= edition.candidates;
    count--;
  }
  return drop;
}

/**
 * The editions an isolate keeps built (or being built), newest last, within a budget of
 * candidates and a count (`editionsToDrop`). A build tells its size through `reserve` as
 * soon as it knows it, so older editions make room before the costly part, not after.
 */
export class EditionShelf<T> {
  private readonly builds = new Map<string, Promise<T | null>>();
  private readonly sizes = new Map<string, number>();

  constructor(
    private readonly budget: number,
    private readonly maxCount: number,
    /** Called with each built edition the shelf lets go, to free what it holds elsewhere. */
    private readonly onDrop: (built: T) => void = () => {},
  ) {}

  get(id: string): Promise<T | null> | undefined {
    return this.builds.get(id);
  }

  /** Kept editions, oldest first. */
  ids(): string[] {
    return [...this.builds.keys()];
  }

  /** Builds `id` as the newest edition; `build` may call `reserve(candidates)` after its first await. */
  build(id: string, build: (reserve: (candidates: number) => void) => Promise<T | null>): Promise<T | null> {
    let pending: Promise<T | null> | undefined;
    const isCurrent = () => pending !== undefined && this.builds.get(id) === pending;
    const reserve = (candidates: number) => {
      if (!isCurrent()) return;
      this.sizes.set(id, candidates);
      this.trim();
    };
    pending = build(reserve);
    // Re-inserted, so a rebuilt edition counts as the newest.
    this.forget(id);
    this.builds.set(id, pending);
    pending.then(
      (built) => {
        if (!isCurrent()) return;
        if (built === null) this.forget(id);
      },
      () => {
        if (isCurrent()) this.forget(id);
      },
    );
    this.trim();
    return pending;
  }

  private forget(id: string): void {
    const dropped = this.builds.get(id);
    this.builds.delete(id);
    this.sizes.delete(id);
    dropped?.then(
      (built) => {
        if (built !== null) this.onDrop(built);
      },
      () => {},
    );
  }

  private trim(): void {
    const editions = this.ids().map((id) => ({ id, candidates: this.sizes.get(id) ?? 0 }));
    for (const id of editionsToDrop(editions, this.budget, this.maxCount)) this.forget(id);
  }
}

const shelf = new EditionShelf<EditionContext>(EDITION_CACHE_CANDIDATES, EDITION_CACHE_SIZE, (context) =>
  context.index.cache.release(),
);

export function loadEdition(app: AppContext, editionId: string): Promise<EditionContext | null> {
  const cached = shelf.get(editionId);
  if (cached) {
    // Built for another configuration (another PUBLIC_URL signs other links): replace it,
    // so that the next message of this configuration finds it ready.
    return cached.then((context) =>
      context && context.config !== app.config ? startBuild(app, editionId) : context,
    );
  }
  return startBuild(app, editionId);
}

/**
 * Candidates read per statement when an edition is set up: each page's whole texts are
 * indexed and then cut to what cards show before the next is read, so the setup never
 * holds every abstract at once (they were 58 MB of 91 at 10,000 candidates).
 */
export const EDITION_PAGE = 1_000;

function startBuild(app: AppContext, editionId: string): Promise<EditionContext | null> {
  return shelf.build(editionId, async (reserve) => {
    const edition = await getEdition(app.db, editionId);
    if (!edition) return null;
    reserve(edition.paperIds.length);
    // Setting up an edition is the isolate's high point: the request buffers kept for
    // reuse go, and the next requests make new ones.
    releaseSpareBodies();
    return editionContext(app.config, edition, editionPaperPages(app.db, edition.paperIds));
  });
}

async function* editionPaperPages(db: D1Database, ids: readonly string[]): AsyncGenerator<Paper[]> {
  for (let from = 0; from < ids.length; from += EDITION_PAGE) {
    yield await getPapersInOrder(db, ids.slice(from, from + EDITION_PAGE));
  }
}

/**
 * An edition made ready to send: ranking index, prepared render, papers as shown. The
 * index reads each paper's whole text; from then on a paper is only shown, and its card
 * shows the start of its abstract (`cardPaper`), so that is all that is kept of it.
 */
export async function editionContext(
  config: Config,
  edition: Edition,
  papers: Paper[] | AsyncIterable<Paper[]>,
): Promise<EditionContext> {
  const reader = new EditionReader();
  const times = sharedStrings();
  for await (const page of Array.isArray(papers) ? [papers] : papers) {
    for (const paper of page) reader.add(paper, sentPaper(paper, times));
  }
  const index = reader.index();
  const shown = index.papers;
  const input = {
    editionDate: edition.plannedAt.slice(0, 10),
    papers: shown,
    frequency: edition.frequency,
    // A large edition's index and papers take the room its cards would have had.
    cardBytes: editionBudget(DEFAULT_CARD_BYTES, shown.length),
  };
  return {
    // Its ids as read, the papers' own strings: the edition's list of them was 0.4 MB of
    // the sender's peak at 10,000 candidates, and nothing reads it once they are read. The
    // array is the index's own (`ids`, read per candidate by the ranking): never write to it.
    edition: { ...edition, paperIds: index.ids },
    config,
    papers: shown,
    paperById: paperLookup(index),
    index,
    prepared: await prepareEdition(config, input),
    ingestedBefore: ingestedBeforeOf(shown),
  };
}

/**
 * One string per distinct value: an ingest run stamps its papers with the same times, but
 * each D1 row brings its own copy (two 40-byte strings a paper, 0.8 MB at 10,000
 * candidates).
 */
function sharedStrings(): (value: string) => string {
  const known = new Map<string, string>();
  return (value) => {
    const shared = known.get(value);
    if (shared !== undefined) return shared;
    known.set(value, value);
    return value;
  };
}

/**
 * A paper's arXiv and Hugging Face links, made from its id when read: ingest makes them so
 * (src/ingest/normalise.ts), and kept as strings they were three per paper, 1.2 MB at
 * 10,000 candidates, for the cards of the few thousand papers anyone is sent (read when a
 * card is filled). The links a claimant gave (code, project page) are kept.
 */
class IdLinks implements PaperLinks {
  constructor(
    private readonly id: string,
    private readonly onHuggingFace: boolean,
    readonly code: string | null,
    readonly project: string | null,
  ) {}
  get abs(): string {
    return arxivAbsUrl(this.id);
  }
  get pdf(): string {
    return arxivPdfUrl(this.id);
  }
  get hf(): string | null {
    return this.onHuggingFace ? huggingFacePaperUrl(this.id) : null;
  }
}

/** The paper's links, as `IdLinks` when its arXiv and Hugging Face links are the ones its id makes. */
function sentLinks({ id, links }: Paper): PaperLinks {
  if (links.abs !== arxivAbsUrl(id) || links.pdf !== arxivPdfUrl(id)) return links;
  if (links.hf !== null && links.hf !== huggingFacePaperUrl(id)) return links;
  return new IdLinks(id, links.hf !== null, links.code, links.project);
}

// Shared by every paper kept: never written to.
const NO_KEYWORDS: string[] = [];
const NO_SOURCES: PaperSource[] = [];

/**
 * A paper as the sender keeps it once indexed: what its card shows (`cardPaper`: the start
 * of its abstract) and what ranking and sending read (id, upvotes, categories, authors,
 * when it was ingested and refreshed, whether it is withdrawn). What only the web pages or
 * the index read (dates, comment, DOI, journal, thumbnail, sources, AI keywords) is left
 * out: a few hundred bytes a paper, kept for every candidate. A test renders an email from
 * these and from the whole papers and compares them.
 */
function sentPaper(paper: Paper, times: (value: string) => string): Paper {
  return {
    ...cardPaper(paper),
    ingestedAt: times(paper.ingestedAt),
    refreshedAt: times(paper.refreshedAt),
    links: sentLinks(paper),
    version: null,
    primaryCategory: null,
    thumbnailUrl: null,
    aiKeywords: NO_KEYWORDS,
    comment: null,
    doi: null,
    journalRef: null,
    publishedAt: null,
    updatedAt: null,
    hfDate: null,
    sources: NO_SOURCES,
  };
}

export async function renderEmail(
  config: Config,
  context: EditionContext,
  subscriber: Subscriber,
  deliveryId: string,
  ranked: RankedPaper[],
  basis: DigestBasis = 'relevant',
): Promise<OutgoingEmail> {
  const digest = await assembleDigest(context.prepared, config, { subscriber, deliveryId, basis }, ranked);
  return digestEmail(config, context.edition.id, subscriber, deliveryId, digest);
}

/** The email object of a rendered digest: headers for one-click unsubscribe, tags for webhooks. */
export async function digestEmail(
  config: Config,
  editionId: string,
  subscriber: Subscriber,
  deliveryId: string,
  digest: DigestEmail,
): Promise<OutgoingEmail> {
  // Signed once per subscriber and remembered: the digest's footer used the same link.
  const { unsubscribe } = await subscriberLinks(config, subscriber);
  const email: OutgoingEmail = {
    ...sender(config),
    to: subscriber.email,
    subject: digest.subject,
    // Read through: a fast-path digest decodes them only if a transport asks (the outbox).
    get html() {
      return digest.html;
    },
    get text() {
      return digest.text;
    },
    headers: {
      'List-Unsubscribe': `<${unsubscribe}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'List-Id': listId(config),
    },
    tags: [
      { name: 'category', value: 'digest' },
      { name: 'edition', value: editionId },
      { name: 'delivery', value: deliveryId },
    ],
  };
  if (digest.json) email.json = digest.json;
  email.papers = digest.papers;
  return email;
}

const listIds = new WeakMap<object, string>();

/** RFC 2919 List-Id: a stable dot-atom under our own host name (parsed once per configuration). */
export function listId(config: Config): string {
  let id = listIds.get(config);
  if (id === undefined) {
    id = `Papers Digest <digest.${new URL(config.PUBLIC_URL).hostname}>`;
    listIds.set(config, id);
  }
  return id;
}
