/**
 * Builds the sign-up emails (confirm, or "already subscribed") as OutgoingEmail: HTML and
 * plain text rendered from the same React Email tree, MAIL_FROM as sender, tagged so
 * Resend's dashboard and webhooks can tell them from digests.
 */
import { render } from '@react-email/render';
import { createElement } from 'react';
import { ConfirmEmail, type ConfirmEmailProps } from '../../emails/confirm-email';
import type { OutgoingEmail } from '../delivery/transport';
import type { Subscriber } from '../domain';
import type { Config } from '../env';
import { CONFIRM_TTL_DAYS, confirmUrl, preferencesUrl } from '../links';

export type SignupEmailKind = ConfirmEmailProps['kind'];

export async function buildSignupEmail(
  config: Config,
  subscriber: Subscriber,
  kind: SignupEmailKind,
  now: Date,
): Promise<OutgoingEmail> {
  const actionUrl =
    kind === 'confirm' ? await confirmUrl(config, subscriber, now) : await preferencesUrl(config, subscriber);
  const props: ConfirmEmailProps = {
    kind,
    actionUrl,
    email: subscriber.email,
    frequency: subscriber.frequency,
    sendHour: subscriber.sendHour,
    sendWeekday: subscriber.sendWeekday,
    timeZone: subscriber.timeZone,
    interests: subscriber.interests,
    expiresInDays: CONFIRM_TTL_DAYS,
    siteUrl: config.PUBLIC_URL,
    postalAddress: config.POSTAL_ADDRESS,
  };
  const element = createElement(ConfirmEmail, props);
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true })]);
  return {
    from: config.MAIL_FROM,
    to: subscriber.email,
    subject:
      kind === 'confirm'
        ? 'Confirm your Papers Digest subscription'
        : 'You are already subscribed to Papers Digest',
    html,
    text,
    tags: [{ name: 'category', value: kind === 'confirm' ? 'confirm' : 'already_subscribed' }],
  };
}
