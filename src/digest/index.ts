/**
 * Digest assembly entry point (digest issue). CONTRACT used by the delivery consumer and
 * the view-in-browser page; the implementation is a placeholder to be replaced by the
 * React Email fast path (cards rendered once per edition, assembled per subscriber).
 */
import type { Subscriber } from '../domain';
import type { Config } from '../env';
import { unsubscribeUrl } from '../links';
import type { RankedPaper } from '../ranking';

export interface DigestRecipient {
  subscriber: Subscriber;
  /** The delivery row id: the view-in-browser link points at it. */
  deliveryId: string;
}

export interface DigestEmail {
  subject: string;
  html: string;
  text: string;
}

/** Per-edition render cache: built once, shared by every subscriber of the edition. */
export interface PreparedEdition {
  editionDate: string;
}

export async function prepareEdition(
  _config: Config,
  input: { editionDate: string },
): Promise<PreparedEdition> {
  return { editionDate: input.editionDate };
}

export async function assembleDigest(
  prepared: PreparedEdition,
  config: Config,
  recipient: DigestRecipient,
  ranked: RankedPaper[],
): Promise<DigestEmail> {
  const top = ranked[0]?.paper.title ?? 'New papers';
  const unsubscribe = await unsubscribeUrl(config, recipient.subscriber);
  const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return {
    subject: `${top} + ${Math.max(ranked.length - 1, 0)} more · ${prepared.editionDate}`,
    html: `<html><body>${ranked.map((item) => `<p>${escapeHtml(item.paper.title)}</p>`).join('')}<a href="${escapeHtml(unsubscribe)}">Unsubscribe</a></body></html>`,
    text: `${ranked.map((item) => item.paper.title).join('\n')}\n\nUnsubscribe: ${unsubscribe}`,
  };
}
