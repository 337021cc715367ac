/** @jsxImportSource hono/jsx */
/**
 * What a signed link answers once the subscription it opens has ended in a way that leaves
 * its owner a single road to their data: /data after unsubscribing, and after a bounce or
 * a complaint (no email reaches them, not even a data link) whom to write to. Every page a
 * subscriber's old links open says it alike (preferences, a digest's view and 👍/👎, the
 * feed): the generic error page named neither. Browsers get the page, API clients the
 * same words in app.onError's JSON.
 */
import type { Context } from 'hono';
import { AppError } from '../src/errors';
import { dataContactAddress } from '../src/subscriptions/data-requests';
import { wantsJson } from './request';
import type { HonoEnv } from './types';
import { DataLinkUnavailablePage, dataLinkUnavailableMessage } from './views/data-pages';

export type EndedWay = 'unsubscribed' | 'suppressed';

/** The way a link's error says the subscription ended, or null for any other failure. */
function endedWay(error: unknown): EndedWay | null {
  if (!(error instanceof AppError) || error.status !== 410) return null;
  return error.code === 'suppressed' ? 'suppressed' : error.code === 'not_subscribed' ? 'unsubscribed' : null;
}

/**
 * What `open` returns or, when it fails because the subscription ended in one of `ways`,
 * the answer naming the way to their data that remains. Other failures are thrown for
 * app.onError as usual.
 */
export async function openOrEndedAnswer<T>(
  c: Context<HonoEnv>,
  ways: readonly EndedWay[],
  open: () => Promise<T>,
): Promise<T | Response> {
  try {
    return await open();
  } catch (error) {
    const reason = endedWay(error);
    if (!reason || !ways.includes(reason)) throw error;
    const contact = dataContactAddress(c.var.config);
    if (wantsJson(c.req.raw)) {
      throw new AppError(410, (error as AppError).code, dataLinkUnavailableMessage(reason, contact));
    }
    return c.html(<DataLinkUnavailablePage reason={reason} contact={contact} />, 410);
  }
}
