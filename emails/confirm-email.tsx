/**
 * The double opt-in email, in its two variants: "confirm your subscription" for a new or
 * returning address, and "you are already subscribed" when someone enters an address that
 * is active. Both go out for every sign-up so the page shown to whoever typed the address
 * is identical either way (no way to probe who subscribes); only the mailbox owner learns
 * which case it was. Self-contained (no shared parts) so it renders the same everywhere,
 * and the plain-text part comes from the same tree via render(el, { plainText: true }).
 */
import {
  Body,
  Button,
  Container,
  Head,
  Heading,
  Hr,
  Html,
  Link,
  Preview,
  Section,
  Text,
} from '@react-email/components';

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
  interests: string;
  expiresInDays: number;
  siteUrl: string;
  postalAddress: string;
}

const font = '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';
const styles = {
  body: { backgroundColor: '#f4f4f7', fontFamily: font, margin: 0, padding: '24px 0' },
  container: {
    backgroundColor: '#ffffff',
    borderRadius: '12px',
    maxWidth: '560px',
    margin: '0 auto',
    padding: '32px 28px',
  },
  brand: { color: '#4f46e5', fontSize: '14px', fontWeight: 700, letterSpacing: '0.04em', margin: 0 },
  heading: { color: '#1d1d1f', fontSize: '24px', lineHeight: '1.3', margin: '12px 0 16px' },
  text: { color: '#1d1d1f', fontSize: '16px', lineHeight: '1.55', margin: '0 0 14px' },
  muted: { color: '#5b5b66', fontSize: '14px', lineHeight: '1.5', margin: '0 0 10px' },
  button: {
    backgroundColor: '#4f46e5',
    borderRadius: '8px',
    color: '#ffffff',
    display: 'inline-block',
    fontSize: '16px',
    fontWeight: 600,
    padding: '12px 22px',
    textDecoration: 'none',
  },
  link: { color: '#4f46e5', wordBreak: 'break-all' as const },
  footer: { color: '#7a7a85', fontSize: '12px', lineHeight: '1.5', margin: '0 0 6px' },
};

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const hourLabel = (hour: number) => `${String(hour).padStart(2, '0')}:00`;

export function ConfirmEmail(props: ConfirmEmailProps) {
  const confirming = props.kind === 'confirm';
  const weekday = WEEKDAYS[props.sendWeekday ?? 1] ?? 'Monday';
  const schedule = `${props.frequency === 'weekly' ? `Weekly, on ${weekday}s,` : 'Daily'} at ${hourLabel(props.sendHour)} (${props.timeZone})`;
  const preview = confirming
    ? 'One click to start your personalised research-paper digest.'
    : 'This address already receives Papers Digest. Nothing has changed.';
  return (
    <Html lang="en">
      <Head />
      <Preview>{preview}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Text style={styles.brand}>PAPERS DIGEST</Text>
          <Heading as="h1" style={styles.heading}>
            {confirming ? 'Confirm your subscription' : 'You are already subscribed'}
          </Heading>
          {confirming ? (
            <>
              <Text style={styles.text}>
                Someone, hopefully you, asked to receive Papers Digest, a personalised digest of new and
                trending research papers, at {props.email}. Please confirm that this is your address.
              </Text>
              <Section style={{ margin: '8px 0 20px' }}>
                <Button href={props.actionUrl} style={styles.button}>
                  Confirm subscription
                </Button>
              </Section>
              <Text style={styles.muted}>Your digest: {schedule}.</Text>
              {props.interests ? <Text style={styles.muted}>Your interests: {props.interests}</Text> : null}
              <Text style={styles.muted}>
                The link works for {props.expiresInDays} days. If you did not sign up, ignore this email:
                without a confirmation you will not hear from us again.
              </Text>
            </>
          ) : (
            <>
              <Text style={styles.text}>
                Someone, hopefully you, asked to subscribe {props.email} to Papers Digest. This address is
                already subscribed, so nothing has changed.
              </Text>
              <Text style={styles.text}>
                To change your interests, schedule or digest size, or to unsubscribe, open your preferences:
              </Text>
              <Section style={{ margin: '8px 0 20px' }}>
                <Button href={props.actionUrl} style={styles.button}>
                  Manage preferences
                </Button>
              </Section>
              <Text style={styles.muted}>If this was not you, you can ignore this email.</Text>
            </>
          )}
          <Text style={styles.muted}>
            If the button does not work, copy this link into your browser:{' '}
            <Link href={props.actionUrl} style={styles.link}>
              {props.actionUrl}
            </Link>
          </Text>
          <Hr style={{ borderColor: '#e3e3e8', margin: '24px 0 16px' }} />
          <Text style={styles.footer}>
            You received this email because this address was entered on{' '}
            <Link href={props.siteUrl} style={{ color: '#7a7a85' }}>
              {props.siteUrl.replace(/^https?:\/\//, '')}
            </Link>
            .
          </Text>
          {props.postalAddress ? <Text style={styles.footer}>{props.postalAddress}</Text> : null}
        </Container>
      </Body>
    </Html>
  );
}

ConfirmEmail.PreviewProps = {
  kind: 'confirm',
  actionUrl: 'http://localhost:8787/confirm?token=preview',
  email: 'ada@example.com',
  frequency: 'daily',
  sendHour: 8,
  timeZone: 'Europe/London',
  interests: 'diffusion models, RLHF, cs.CL, author: Yoshua Bengio',
  expiresInDays: 7,
  siteUrl: 'http://localhost:8787',
  postalAddress: 'Papers Digest, 1 Example Street, Example City',
} satisfies ConfirmEmailProps;

export default ConfirmEmail;
