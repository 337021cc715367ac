/**
 * Builds the emails people ask for on our site (confirm, "already subscribed", the
 * export/erase links) as OutgoingEmail: HTML and plain text rendered from the same React
 * Email tree, MAIL_FROM as sender (REPLY_TO, if set, for replies), tagged so Resend's
 * dashboard and webhooks can tell them from digests. None of them carries text a visitor
 * typed, except the address.
 */
import { createElement, type ReactElement } from 'react';
import { wrapText } from '../../emails/_components/wrap';
import { ConfirmEmail, type ConfirmEmailProps } from '../../emails/confirm-email';
import { DataLinkEmail } from '../../emails/data-link-email';
import { sender } from '../delivery/email';
import type { OutgoingEmail } from '../delivery/transport';
import type { Frequency, Subscriber } from '../domain';
import type { Config } from '../env';
import { renderEmailHtml, renderEmailText } from '../lib/email-html';
import { CONFIRM_TTL_DAYS, confirmUrl, DATA_LINK_TTL_MINUTES, dataLinkUrl, preferencesUrl } from '../links';

export type SignupEmailKind = ConfirmEmailProps['kind'];

/** The schedule a confirmation email describes: the one asked for, else the stored one. */
export interface ScheduleShown {
  frequency: Frequency;
  sendHour: number;
  timeZone: string;
  /** Weekly digests: local weekday, 0 = Sunday. */
  sendWeekday: number;
}

async function renderEmail(
  config: Config,
  to: string,
  subject: string,
  category: string,
  element: ReactElement,
): Promise<OutgoingEmail> {
  const [html, text] = await Promise.all([renderEmailHtml(element), renderEmailText(element)]);
  // html-to-text writes a paragraph as one line: wrapped at 78 characters for plain-text clients.
  return {
    ...sender(config),
    to,
    subject,
    html,
    text: wrapText(text),
    tags: [{ name: 'category', value: category }],
  };
}

export async function buildSignupEmail(
  config: Config,
  subscriber: Subscriber,
  kind: SignupEmailKind,
  now: Date,
  request: { id: string; schedule: ScheduleShown } | null,
): Promise<OutgoingEmail> {
  const actionUrl =
    kind === 'confirm'
      ? await confirmUrl(config, subscriber, now, request?.id)
      : await preferencesUrl(config, subscriber);
  const schedule = request?.schedule ?? subscriber;
  const props: ConfirmEmailProps = {
    kind,
    actionUrl,
    email: subscriber.email,
    frequency: schedule.frequency,
    sendHour: schedule.sendHour,
    sendWeekday: schedule.sendWeekday,
    timeZone: schedule.timeZone,
    expiresInDays: CONFIRM_TTL_DAYS,
    siteUrl: config.PUBLIC_URL,
    postalAddress: config.POSTAL_ADDRESS,
  };
  return renderEmail(
    config,
    subscriber.email,
    kind === 'confirm'
      ? 'Confirm your Papers Digest subscription'
      : 'You are already subscribed to Papers Digest',
    kind === 'confirm' ? 'confirm' : 'already_subscribed',
    createElement(ConfirmEmail, props),
  );
}

export async function buildDataLinkEmail(
  config: Config,
  subscriber: Subscriber,
  kind: 'export' | 'erase',
  now: Date,
): Promise<OutgoingEmail> {
  const element = createElement(DataLinkEmail, {
    kind,
    actionUrl: await dataLinkUrl(config, subscriber, kind, now),
    email: subscriber.email,
    expiresInMinutes: DATA_LINK_TTL_MINUTES,
    siteUrl: config.PUBLIC_URL,
    postalAddress: config.POSTAL_ADDRESS,
  });
  return renderEmail(
    config,
    subscriber.email,
    kind === 'export'
      ? 'Your link to download your Papers Digest data'
      : 'Your link to delete your Papers Digest data',
    kind === 'export' ? 'data_export' : 'data_erase',
    element,
  );
}
