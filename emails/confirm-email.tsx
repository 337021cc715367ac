/**
 * The double opt-in email, in its two variants: "confirm your subscription" for a new or
 * returning address, and "you are already subscribed" when someone enters an address that
 * is active. One of them goes out for every accepted sign-up (within the per-address caps)
 * so the page shown to whoever typed the address is identical either way (no way to probe
 * who subscribes); only the mailbox owner learns which case it was. It repeats nothing the
 * visitor typed except the address: not the interests (free text could carry someone
 * else's message from our domain), only the schedule, picked from our own lists. The
 * interests are shown on our own pages once the subscription is confirmed. The plain-text
 * part comes from the same tree via render(el, { plainText: true }).
 */
import { Notice, NoticeText } from './_components/notice';

export interface ConfirmEmailProps {
  /** "confirm": new sign-up; "already_subscribed": the address is active already. */
  kind: 'confirm' | 'already_subscribed';
  /** Confirm link (kind confirm) or preferences link (kind already_subscribed). */
  actionUrl: string;
  email: string;
  frequency: 'daily' | 'weekly';
  sendHour: number;
  /** Weekly digests: local weekday, 0 = Sunday (default Monday). */
  sendWeekday?: number;
  timeZone: string;
  expiresInDays: number;
  siteUrl: string;
  postalAddress: string;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const hourLabel = (hour: number) => `${String(hour).padStart(2, '0')}:00`;

export function ConfirmEmail(props: ConfirmEmailProps) {
  const weekday = WEEKDAYS[props.sendWeekday ?? 1] ?? 'Monday';
  const schedule = `${props.frequency === 'weekly' ? `Weekly, on ${weekday}s,` : 'Daily'} at ${hourLabel(props.sendHour)} (${props.timeZone})`;
  const shared = { actionUrl: props.actionUrl, siteUrl: props.siteUrl, postalAddress: props.postalAddress };
  if (props.kind === 'confirm') {
    return (
      <Notice
        {...shared}
        preview="One click to start your personalised research-paper digest."
        heading="Confirm your subscription"
        actionLabel="Confirm subscription"
        intro={
          <NoticeText>
            Someone, hopefully you, asked to receive Papers Digest, a personalised digest of new and trending
            research papers, at {props.email}. Please confirm that this is your address.
          </NoticeText>
        }
        outro={
          <>
            <NoticeText muted>
              Your digest: {schedule}. You can see and change your topics once you have confirmed.
            </NoticeText>
            <NoticeText muted>
              The link works for {props.expiresInDays} days. If you did not sign up, ignore this email:
              without a confirmation you will not hear from us again.
            </NoticeText>
          </>
        }
      />
    );
  }
  return (
    <Notice
      {...shared}
      preview="This address already receives Papers Digest. Nothing has changed."
      heading="You are already subscribed"
      actionLabel="Manage preferences"
      intro={
        <>
          <NoticeText>
            Someone, hopefully you, asked to subscribe {props.email} to Papers Digest. This address is already
            subscribed, so nothing has changed.
          </NoticeText>
          <NoticeText>
            To change your interests, schedule or digest size, or to unsubscribe, open your preferences:
          </NoticeText>
        </>
      }
      outro={<NoticeText muted>If this was not you, you can ignore this email.</NoticeText>}
    />
  );
}

ConfirmEmail.PreviewProps = {
  kind: 'confirm',
  actionUrl: 'http://localhost:8787/confirm?token=preview',
  email: 'ada@example.com',
  frequency: 'daily',
  sendHour: 8,
  timeZone: 'Europe/London',
  expiresInDays: 7,
  siteUrl: 'http://localhost:8787',
  postalAddress: 'Papers Digest, 1 Example Street, Example City',
} satisfies ConfirmEmailProps;

export default ConfirmEmail;
