/**
 * What the sender renders, per edition and per subscriber. An edition's context (its
 * candidates, the ranking index and the prepared digest render) is built once per isolate
 * and shared by every message of the edition; each subscriber's email object (HTML, text,
 * List-Unsubscribe headers, tags) is then assembled from it.
 */
import { type Edition, getEdition, getEditionPapers } from '../db/editions';
import {
  assembleDigest,
  cardPaper,
  type DigestBasis,
  type DigestEmail,
  type PreparedEdition,
  prepareEdition,
} from '../digest';
import type { Paper, Subscriber } from '../domain';
import type { AppContext, Config } from '../env';
import { subscriberLinks } from '../links';
import { buildEditionIndex, type EditionIndex, type RankedPaper } from '../ranking';
import type { OutgoingEmail } from './transport';

export interface EditionContext {
  edition: Edition;
  config: Config;
  papers: Paper[];
  paperById: Map<string, Paper>;
  index: EditionIndex;
  prepared: PreparedEdition;
  /** Ids of the candidates first ingested before `since`, memoised: shared by many subscribers. */
  ingestedBefore(since: string): ReadonlySet<string>;
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

const editionCache = new Map<string, Promise<EditionContext | null>>();
/** Candidates of each built edition in the cache, for its budget. */
const editionSizes = new Map<string, number>();
const EDITION_CACHE_SIZE = 3;
/**
 * An edition in memory costs ~15 kB per candidate: its papers, ranking index (with
 * vocabularies and memos) and prepared render, ~45 MB at 3,000 candidates measured in
 * Node. So the isolate keeps editions up to this many candidates in all, not only up to a
 * count: three editions of 3,000 would not fit in the 128 MB isolate. The newest edition
 * is always kept, whatever its size.
 */
export const EDITION_CACHE_CANDIDATES = 4_000;

/**
 * Which cached editions to drop, oldest first, so that the rest (the newest always among
 * them) fit in `budget` candidates and `maxCount` editions. `editions` is oldest first;
 * an edition still being built counts as 0.
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

function trimEditionCache(): void {
  const editions = [...editionCache.keys()].map((id) => ({ id, candidates: editionSizes.get(id) ?? 0 }));
  for (const id of editionsToDrop(editions, EDITION_CACHE_CANDIDATES, EDITION_CACHE_SIZE)) {
    editionCache.delete(id);
    editionSizes.delete(id);
  }
}

export function loadEdition(app: AppContext, editionId: string): Promise<EditionContext | null> {
  const cached = editionCache.get(editionId);
  if (cached) {
    // Built for another configuration (another PUBLIC_URL signs other links): replace it,
    // so that the next message of this configuration finds it ready.
    return cached.then((context) =>
      context && context.config !== app.config ? startBuild(app, editionId) : context,
    );
  }
  return startBuild(app, editionId);
}

function startBuild(app: AppContext, editionId: string): Promise<EditionContext | null> {
  const pending = buildEdition(app, editionId);
  // Re-inserted, so a rebuilt edition counts as the newest.
  editionCache.delete(editionId);
  editionSizes.delete(editionId);
  editionCache.set(editionId, pending);
  const forget = () => {
    if (editionCache.get(editionId) === pending) {
      editionCache.delete(editionId);
      editionSizes.delete(editionId);
    }
  };
  pending.then((context) => {
    if (!context) return forget();
    if (editionCache.get(editionId) !== pending) return;
    editionSizes.set(editionId, context.papers.length);
    trimEditionCache();
  }, forget);
  trimEditionCache();
  return pending;
}

async function buildEdition(app: AppContext, editionId: string): Promise<EditionContext | null> {
  const [edition, papers] = await Promise.all([
    getEdition(app.db, editionId),
    getEditionPapers(app.db, editionId),
  ]);
  if (!edition) return null;
  return editionContext(app.config, edition, papers);
}

/** An edition made ready to send: ranking index, prepared render, papers as shown. */
export async function editionContext(
  config: Config,
  edition: Edition,
  papers: Paper[],
): Promise<EditionContext> {
  const index = buildEditionIndex(papers);
  // The index has read the whole texts; from here on a paper is only shown, and its card
  // shows the start of its abstract: the rest (~20 MB at 10,000 candidates) can go.
  const shown = papers.map(cardPaper);
  const input = { editionDate: edition.plannedAt.slice(0, 10), papers: shown, frequency: edition.frequency };
  return {
    edition,
    config,
    papers: shown,
    paperById: new Map(shown.map((paper) => [paper.id, paper])),
    index: { ...index, papers: shown },
    prepared: await prepareEdition(config, input),
    ingestedBefore: ingestedBeforeOf(shown),
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
    from: config.MAIL_FROM,
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
  return email;
}

/** RFC 2919 List-Id: a stable dot-atom under our own host name. */
export function listId(config: Config): string {
  return `Papers Digest <digest.${new URL(config.PUBLIC_URL).hostname}>`;
}
