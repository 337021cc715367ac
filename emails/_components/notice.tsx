/**
 * The frame of our short, one-action emails (confirm a sign-up, "already subscribed",
 * the mailed export and erase links): brand, heading, the caller's text, one button with
 * the same link spelled out for clients that break buttons, and a footer saying why this
 * address got the email. These emails carry nothing a visitor typed except the address
 * itself, so nobody can use our domain to deliver their text to someone else's inbox.
 * 560 px wide, in classic Outlook on Windows too (a ghost table: it ignores max-width).
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
  Section,
  Text,
} from '@react-email/components';
import type { ReactNode } from 'react';
import { OutlookGhostTable } from './outlook-ghost-table';
import { Preheader } from './preheader';
import { fontStack } from './theme';

/** The card's width: CSS max-width for most clients, a ghost table for Outlook on Windows. */
const WIDTH = 560;

export const noticeStyles = {
  body: { backgroundColor: '#f4f4f7', fontFamily: fontStack, margin: 0, padding: '24px 0' },
  container: {
    backgroundColor: '#ffffff',
    borderRadius: '12px',
    maxWidth: `${WIDTH}px`,
    margin: '0 auto',
    padding: '32px 28px',
    // The address the email names is one unbreakable word (a long one is ~80 characters):
    // it wraps instead of widening the card, and the page, past a phone's screen. The
    // digest's container does the same.
    wordBreak: 'break-word' as const,
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
  // #5b5b66, as `muted`: the lighter grey it was (#7a7a85) is 4.2:1 on white, under the
  // 4.5:1 WCAG AA asks of text this small.
  footer: { color: '#5b5b66', fontSize: '12px', lineHeight: '1.5', margin: '0 0 6px' },
};

export interface NoticeProps {
  preview: string;
  heading: string;
  /** Paragraphs before the button. */
  intro: ReactNode;
  actionLabel: string;
  actionUrl: string;
  /** Paragraphs after the button. */
  outro?: ReactNode;
  siteUrl: string;
  postalAddress: string;
}

export function Notice(props: NoticeProps) {
  return (
    <Html lang="en" dir="ltr">
      {/* The title is what a screen reader announces for the document, and a browser's tab. */}
      <Head>
        <title>{`${props.heading} · Papers Digest`}</title>
      </Head>
      <Body style={noticeStyles.body}>
        {/* Our preheader, not React Email's Preview: its spacer of up to ~1,800 bytes made
            one line longer than SMTP's 998 bytes. */}
        <Preheader text={props.preview} />
        <OutlookGhostTable width={WIDTH}>
          <Container style={noticeStyles.container}>
            <Text style={noticeStyles.brand}>PAPERS DIGEST</Text>
            <Heading as="h1" style={noticeStyles.heading}>
              {props.heading}
            </Heading>
            {props.intro}
            <Section style={{ margin: '8px 0 20px' }}>
              {/* The button on a line of its own: with the table around it and a long
                  signed link, one line came near SMTP's 998 bytes. */}
              {'\n'}
              <Button href={props.actionUrl} style={noticeStyles.button}>
                {props.actionLabel}
              </Button>
            </Section>
            {props.outro}
            <Text style={noticeStyles.muted}>
              If the button does not work, copy this link into your browser:{' '}
              <Link href={props.actionUrl} style={noticeStyles.link}>
                {props.actionUrl}
              </Link>
            </Text>
            <Hr style={{ borderColor: '#e3e3e8', margin: '24px 0 16px' }} />
            <Text style={noticeStyles.footer}>
              You received this email because this address was entered on{' '}
              <Link href={props.siteUrl} style={{ color: noticeStyles.footer.color }}>
                {props.siteUrl.replace(/^https?:\/\//, '')}
              </Link>
              .
            </Text>
            {props.postalAddress ? <Text style={noticeStyles.footer}>{props.postalAddress}</Text> : null}
          </Container>
        </OutlookGhostTable>
      </Body>
    </Html>
  );
}
