/**
 * The frame of our short, one-action emails (confirm a sign-up, "already subscribed",
 * the mailed export and erase links): brand, heading, the caller's text, one button with
 * the same link spelled out for clients that break buttons, and a footer saying why this
 * address got the email. These emails carry nothing a visitor typed except the address
 * itself, so nobody can use our domain to deliver their text to someone else's inbox.
 * 560 px wide, in classic Outlook on Windows too (a ghost table: it ignores max-width).
 * Light colours are inline, so a client that strips <style> shows the light theme; the
 * digest's dark palette repaints them where a client has a dark mode we can address
 * (`noticeCss` in ./theme), which is why every coloured element carries a class.
 */
import { Button, Head, Heading, Hr, Html, Link, Section, Text } from '@react-email/components';
import type { ReactNode } from 'react';
import { OutlookGhostTable } from './outlook-ghost-table';
import { PaddedBlock } from './padded-block';
import { PageBody } from './page-body';
import { Preheader } from './preheader';
import { colors, noticeCss } from './theme';

/** The card's width: CSS max-width for most clients, a ghost table for Outlook on Windows. */
const WIDTH = 560;

const noticeStyles = {
  container: {
    maxWidth: `${WIDTH}px`,
    backgroundColor: colors.card,
    borderRadius: '12px',
    margin: '0 auto',
    // The address the email names is one unbreakable word (a long one is ~80 characters):
    // it wraps instead of widening the card, and the page, past a phone's screen. The
    // digest's container does the same.
    wordBreak: 'break-word' as const,
  },
  // On the cell, not the table: Outlook on Windows (Word) pads table cells only, and showed
  // the text of a padded table flush against the card's edges (the digest pads its cards so).
  cell: '32px 28px',
  brand: { color: colors.accent, fontSize: '14px', fontWeight: 700, letterSpacing: '0.04em', margin: 0 },
  heading: { color: colors.text, fontSize: '24px', lineHeight: '1.3', margin: '12px 0 16px' },
  text: { color: colors.text, fontSize: '16px', lineHeight: '1.55', margin: '0 0 14px' },
  muted: { color: colors.muted, fontSize: '14px', lineHeight: '1.5', margin: '0 0 10px' },
  // Card-coloured text on the accent, as its dark-mode class (pd-b) repaints it.
  button: {
    backgroundColor: colors.accent,
    borderRadius: '8px',
    color: colors.card,
    display: 'inline-block',
    fontSize: '16px',
    fontWeight: 600,
    padding: '12px 22px',
    textDecoration: 'none',
  },
  link: { color: colors.accent, wordBreak: 'break-all' as const },
  rule: { borderColor: colors.line, margin: '24px 0 16px' },
  // Muted, as `muted`: the lighter grey it was (#7a7a85) is 4.2:1 on white, under the
  // 4.5:1 WCAG AA asks of text this small.
  footer: { color: colors.muted, fontSize: '12px', lineHeight: '1.5', margin: '0 0 6px' },
  footerLink: { color: colors.muted },
};

/** A paragraph of a notice: body text, or the smaller muted kind for notes. */
export function NoticeText({
  muted,
  htmlOnly,
  children,
}: {
  muted?: boolean;
  /** Left out of the plain-text part (emailTextOptions in src/lib/email-html.ts). */
  htmlOnly?: boolean;
  children: ReactNode;
}) {
  return (
    <Text
      className={muted ? 'pd-m' : 'pd-t'}
      style={muted ? noticeStyles.muted : noticeStyles.text}
      data-html-only={htmlOnly ? '' : undefined}
    >
      {children}
    </Text>
  );
}

export interface NoticeProps {
  preview: string;
  heading: string;
  /** Paragraphs before the button (NoticeText). */
  intro: ReactNode;
  actionLabel: string;
  actionUrl: string;
  /** Paragraphs after the button (NoticeText). */
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
        {/* Without it, a phone's web view (an Android mail app's, or a browser opening the
            email) lays the page out 980 px wide and shrinks it to unreadable type. */}
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="supported-color-schemes" content="light dark" />
        <style>{noticeCss}</style>
      </Head>
      <PageBody padding="24px 0">
        {/* Our preheader, not React Email's Preview: its spacer of up to ~1,800 bytes made
            one line longer than SMTP's 998 bytes. */}
        <Preheader text={props.preview} />
        <OutlookGhostTable width={WIDTH}>
          <PaddedBlock className="pd-c" style={noticeStyles.container} padding={noticeStyles.cell}>
            <Text className="pd-l" style={noticeStyles.brand}>
              PAPERS DIGEST
            </Text>
            <Heading as="h1" className="pd-t" style={noticeStyles.heading}>
              {props.heading}
            </Heading>
            {props.intro}
            <Section style={{ margin: '8px 0 20px' }}>
              {/* The button on a line of its own, and its label starting the next: its
                  opening tag, Outlook's spacers and the long signed link made one line
                  longer than SMTP's 998 bytes with a long PUBLIC_URL. A newline at the
                  start of the label's inline-block shows nothing, and the text part
                  collapses it. */}
              {'\n'}
              <Button className="pd-b" href={props.actionUrl} style={noticeStyles.button}>
                {`\n${props.actionLabel}`}
              </Button>
            </Section>
            {props.outro}
            {/* Only in the HTML: the text part shows the link once already, after the
                button's label, and a second copy of a long signed link was noise there. */}
            <NoticeText muted htmlOnly>
              {/* A newline, not a space, before the link (it renders as one): the link
                  is in this line twice, as target and as text. */}
              If the button does not work, copy this link into your browser:{'\n'}
              <Link className="pd-l" href={props.actionUrl} style={noticeStyles.link}>
                {props.actionUrl}
              </Link>
            </NoticeText>
            <Hr className="pd-r" style={noticeStyles.rule} />
            <Text className="pd-m" style={noticeStyles.footer}>
              You received this email because this address was entered on{' '}
              <Link className="pd-m" href={props.siteUrl} style={noticeStyles.footerLink}>
                {props.siteUrl.replace(/^https?:\/\//, '')}
              </Link>
              .
            </Text>
            {props.postalAddress ? (
              <Text className="pd-m" style={noticeStyles.footer}>
                {props.postalAddress}
              </Text>
            ) : null}
          </PaddedBlock>
        </OutlookGhostTable>
      </PageBody>
    </Html>
  );
}
