/**
 * The inbox preview line. React Email's <Preview> pads with a number of spacer characters
 * that depends on the text's length; this one uses a fixed spacer so the digest's layout
 * can be rendered once per edition and the per-subscriber preview text dropped in later.
 * Hidden in every client (mso-hide for Outlook on Windows) and skipped in the plain-text part.
 * The text starts on a line of its own (a newline before hidden text shows nothing): what
 * precedes it in the email's HTML and the text with its spacer are each well under SMTP's
 * 998-byte lines, together they may not be (see breakLines in src/lib/email-html.ts).
 */
import type { CSSProperties } from 'react';
import { foldText } from './fold';

const SPACER = '\u00a0\u200c'.repeat(60);

const hidden = {
  display: 'none',
  overflow: 'hidden',
  lineHeight: '1px',
  opacity: 0,
  maxHeight: 0,
  maxWidth: 0,
  fontSize: '1px',
  // Outlook on Windows (Word) can show display:none text inside a table cell. React's CSS
  // types lack this Outlook-only property; React writes it out as mso-hide.
  msoHide: 'all',
} as CSSProperties;

export function Preheader({ text }: { text: string }) {
  return (
    <div data-skip-in-text="true" style={hidden}>
      {`\n${foldText(text)}`}
      <span>{SPACER}</span>
    </div>
  );
}
