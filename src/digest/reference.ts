/**
 * The digest rendered from scratch with React Email: the definition the fast path must
 * equal byte for byte, the naive baseline of the benchmark, the fallback of the fast path
 * for papers it was not prepared for, and the view-in-browser page.
 */
import { createElement } from 'react';
import { wrapText } from '../../emails/_components/wrap';
import { type DigestEmailProps, DigestEmail as DigestEmailTemplate } from '../../emails/digest-email';
import type { Frequency, Subscriber } from '../domain';
import type { Config } from '../env';
import { emailText, renderEmailHtml, renderEmailText } from '../lib/email-html';
import type { JsonChunks } from '../lib/json';
import { digestToken, feedbackQuery, linkBases, subscriberLinks } from '../links';
import type { RankedPaper } from '../ranking';
import { largestThatFits, sentHtmlBytes } from './fit';
import {
  cardProps,
  countLabel,
  type DigestBasis,
  digestProps,
  type EditionValues,
  editionValues,
  interestsLabel,
  type LayoutValues,
  preheaderFor,
  subjectFor,
  WITHDRAWN_NOTICE,
  whyLabel,
} from './format';

export interface DigestRecipient {
  subscriber: Subscriber;
  /** The delivery row id: the digest's own links (view, 👍/👎) are signed for it. */
  deliveryId: string;
  /**
   * Why these papers: `relevant` (the default) when they were picked for the subscriber's
   * interests, `trending` when nothing matched and the digest holds the most upvoted papers
   * instead; the subject and the intro then say so.
   */
  basis?: DigestBasis;
}

export interface DigestEmail {
  subject: string;
  html: string;
  text: string;
  /** How many of the ranked papers it shows, best first (see fit.ts: the rest did not fit). */
  papers: number;
  /**
   * The fast path's html and text as ASCII JSON string literals (quotes included), in
   * pieces encoded once per edition: the transport copies the request body from them.
   */
  json?: { html: JsonChunks; text: JsonChunks };
}

interface SubscriberValues {
  layout: LayoutValues;
  cards: { why: string; upUrl: string; downUrl: string }[];
}

/** The per-subscriber props of the reference render: signed links and labels. */
async function subscriberValues(
  config: Config,
  recipient: DigestRecipient,
  ranked: readonly RankedPaper[],
): Promise<SubscriberValues> {
  const { subscriber, deliveryId } = recipient;
  const bases = linkBases(config);
  const [own, token] = await Promise.all([
    subscriberLinks(config, subscriber),
    digestToken(config, subscriber, deliveryId),
  ]);
  return {
    layout: {
      preheader: preheaderFor(ranked),
      countLabel: countLabel(ranked, recipient.basis),
      recipientEmail: subscriber.email,
      interestsLabel: interestsLabel(subscriber.interests),
      unsubscribeUrl: own.unsubscribe,
      preferencesUrl: own.preferences,
      viewInBrowserUrl: bases.view + token,
      feedUrl: own.feed,
    },
    cards: ranked.map((item) => ({
      why: whyLabel(item.why),
      upUrl: bases.feedback + token + feedbackQuery(item.paper.id, 'up'),
      downUrl: bases.feedback + token + feedbackQuery(item.paper.id, 'down'),
    })),
  };
}

async function referenceProps(
  config: Config,
  edition: EditionValues,
  recipient: DigestRecipient,
  ranked: readonly RankedPaper[],
): Promise<DigestEmailProps> {
  const values = await subscriberValues(config, recipient, ranked);
  return digestProps(
    edition,
    values.layout,
    ranked.map((item, position) => cardProps(item.paper, values.cards[position]!)),
  );
}

/**
 * HTML and text of a full render. `text: 'convert'` converts the HTML (what the fast path
 * reproduces); `'render'` asks React Email for its plain-text render (a second render).
 * html-to-text writes a paragraph as one line: the text is wrapped at 78 characters, as
 * plain-text clients need (the fast path wraps the same lines ahead, text-lines.ts).
 */
export async function renderReference(
  config: Config,
  edition: EditionValues,
  recipient: DigestRecipient,
  ranked: readonly RankedPaper[],
  options: { text: 'convert' | 'render' },
): Promise<{ html: string; text: string }> {
  const element = createElement(
    DigestEmailTemplate,
    await referenceProps(config, edition, recipient, ranked),
  );
  const html = await renderEmailHtml(element);
  const text = options.text === 'convert' ? emailText(html) : await renderEmailText(element);
  return { html, text: wrapText(text) };
}

/**
 * The web version of a digest (/digest): the papers as they were sent, with a notice on
 * each paper arXiv has withdrawn since (emails never carry one). Its URL is shared (copied
 * from the address bar, kept by a feed reader), so it carries none of the subscriber's
 * own links and names neither the address nor the interests (the template's `web`);
 * 👍/👎 only with `votes` (opened with the digest's own token, which is their token too).
 */
export async function renderDigestHtml(
  config: Config,
  input: { editionDate: string; frequency?: Frequency },
  recipient: DigestRecipient,
  ranked: RankedPaper[],
  options: { votes: boolean },
): Promise<string> {
  const edition = editionValues(config, input.editionDate, input.frequency ?? 'daily');
  const token = options.votes ? await digestToken(config, recipient.subscriber, recipient.deliveryId) : null;
  const feedback = linkBases(config).feedback;
  const layout: LayoutValues = {
    preheader: preheaderFor(ranked),
    countLabel: countLabel(ranked, recipient.basis),
    recipientEmail: '',
    interestsLabel: '',
    unsubscribeUrl: '',
    preferencesUrl: '',
    viewInBrowserUrl: '',
    feedUrl: '',
  };
  const cards = ranked.map((item) =>
    cardProps(
      item.paper,
      {
        why: whyLabel(item.why),
        upUrl: token ? feedback + token + feedbackQuery(item.paper.id, 'up') : '',
        downUrl: token ? feedback + token + feedbackQuery(item.paper.id, 'down') : '',
      },
      item.paper.withdrawn ? WITHDRAWN_NOTICE : undefined,
    ),
  );
  return renderEmailHtml(
    createElement(DigestEmailTemplate, { ...digestProps(edition, layout, cards), web: true }),
  );
}

/**
 * The same digest rendered from scratch with React (two renders' worth of work), cut to
 * the papers that fit Gmail's size (fit.ts). The reference the fast path must equal, and
 * the naive baseline of the benchmark.
 */
export async function renderDigestReference(
  config: Config,
  input: { editionDate: string; frequency?: Frequency },
  recipient: DigestRecipient,
  ranked: RankedPaper[],
): Promise<DigestEmail> {
  const edition = editionValues(config, input.editionDate, input.frequency ?? 'daily');
  return fittedReference(config, edition, input.editionDate, recipient, ranked, 'render');
}

/** The reference render of the most papers that fit (fit.ts), with its subject. */
export function fittedReference(
  config: Config,
  edition: EditionValues,
  editionDate: string,
  recipient: DigestRecipient,
  ranked: readonly RankedPaper[],
  text: 'convert' | 'render',
): Promise<DigestEmail> {
  return largestThatFits(
    ranked.length,
    async (papers) => {
      const shown = ranked.slice(0, papers);
      const full = await renderReference(config, edition, recipient, shown, { text });
      return { subject: subjectFor(shown, editionDate, recipient.basis), ...full, papers };
    },
    (digest) => sentHtmlBytes(digest.html),
  );
}
