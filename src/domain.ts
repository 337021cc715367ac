/**
 * The domain types every area shares: a paper as stored (one row per arXiv id, whatever
 * the sources) and a subscriber with their preferences. Database rows are mapped to these
 * in src/db/, so the rest of the code never sees JSON-in-TEXT columns.
 */
export type PaperSource = 'hf' | 'arxiv';

export interface PaperLinks {
  abs: string;
  pdf: string | null;
  hf: string | null;
  code: string | null;
  project: string | null;
}

export interface Paper {
  /** Canonical arXiv id without version, e.g. "2411.01234" or "hep-th/9901001". */
  id: string;
  version: number | null;
  title: string;
  abstract: string;
  authors: string[];
  categories: string[];
  primaryCategory: string | null;
  links: PaperLinks;
  githubStars: number | null;
  thumbnailUrl: string | null;
  upvotes: number;
  numComments: number;
  aiSummary: string | null;
  aiKeywords: string[];
  comment: string | null;
  doi: string | null;
  journalRef: string | null;
  publishedAt: string | null;
  updatedAt: string | null;
  /** The Hugging Face daily list (YYYY-MM-DD) the paper appeared on, if any. */
  hfDate: string | null;
  sources: PaperSource[];
  ingestedAt: string;
  refreshedAt: string;
  /**
   * Set (true) when arXiv's newest stored version is a withdrawal. Only pages showing a
   * digest already sent read it (to mark the paper); the sender never mails such a paper
   * once it knows (src/delivery/send.ts), and a replay must not render differently.
   */
  withdrawn?: boolean;
}

export type SubscriberStatus = 'pending' | 'active' | 'unsubscribed' | 'suppressed';
export type Frequency = 'daily' | 'weekly';

export interface Subscriber {
  id: string;
  email: string;
  status: SubscriberStatus;
  /** Free text as typed; parse with parseInterests(). */
  interests: string;
  frequency: Frequency;
  sendHour: number;
  /** Weekly digests go out on this local weekday (0 = Sunday). */
  sendWeekday: number;
  timeZone: string;
  digestSize: number;
  /** 0 = pure relevance, 1 = pure trending. */
  trendingMix: number;
  alwaysSend: boolean;
  /** Learned from 👍/👎: term → weight, bounded. */
  termWeights: Record<string, number>;
  tokenVersion: number;
  createdAt: string;
  updatedAt: string;
  confirmedAt: string | null;
  unsubscribedAt: string | null;
  suppressedAt: string | null;
  suppressedReason: string | null;
  consentAt: string | null;
  consentMethod: string | null;
  consentIpHash: string | null;
}

/**
 * A paper as a source reports it, before it is stored (ingest timestamps are ours). A count
 * the source did not report is null, not 0: absent must not overwrite a count we know.
 */
export type IncomingPaper = Omit<Paper, 'ingestedAt' | 'refreshedAt' | 'upvotes' | 'numComments'> & {
  upvotes: number | null;
  numComments: number | null;
  /** arXiv reports this version as a withdrawal: stored, never mailed. Absent = not withdrawn. */
  withdrawn?: boolean;
};
