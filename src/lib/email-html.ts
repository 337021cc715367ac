/**
 * The HTML and plain text of an email template as we send and serve them. HTML: React
 * Email's render, then the Outlook-only conditional comments React can only render inside
 * a placeholder element set free (emails/_components/outlook-ghost-table.tsx), then a
 * newline after each block so no line passes SMTP's 998 bytes (`breakLines`). Text:
 * React Email's html-to-text conversion, with our headings written as the paragraphs they
 * look like (html-to-text upper-cases headings and adds a blank line above them, which
 * reads as shouting in a digest of titles). Every render of a whole digest goes through
 * here, so the digest's fast path and its reference render stay byte-identical.
 * html-to-text skips comments, so the text needs nothing for Outlook.
 */
import { render, toPlainText } from '@react-email/render';
import type { ReactElement } from 'react';
import { unwrapMso } from '../../emails/_components/outlook-ghost-table';

export async function renderEmailHtml(element: ReactElement): Promise<string> {
  return breakLines(unwrapMso(await render(element)));
}

/**
 * A comment, or a block-level closing tag with the Outlook-only comments right after it
 * that close something too (a ghost table's end stays with the table it wraps; one that
 * opens a ghost table starts the next line, with what it wraps).
 */
const BLOCK_END = /<!--[\s\S]*?-->|<\/(?:table|tr|div|p|h[1-6]|ul|ol|li)>(?:<!--\[if mso\]><\/[\s\S]*?-->)*/g;

/**
 * A newline after every block-level closing tag. React renders a document as one line,
 * and SMTP allows 998 characters a line (RFC 5322): a mail server folds a longer line
 * wherever it reaches the limit, mid-tag or mid-URL, and breaks the markup. Between blocks
 * a newline is whitespace that changes neither the layout nor the plain text, and costs a
 * byte a block. Comments are left as they are (an Outlook conditional is matched to the
 * letter). Rendered text and attributes never hold a tag: React escapes '<'. Applied
 * piecewise it gives what it gives on the whole, so the digest's cards (rendered apart,
 * src/digest/cards.ts) go through it too and stay identical to a whole render.
 */
export function breakLines(html: string): string {
  return html.replace(BLOCK_END, (match) => (match.startsWith('<!--') ? match : `${match}\n`));
}

/**
 * html-to-text options for our emails: h1 and h2 as paragraphs (see above), and paragraphs
 * marked `data-html-only` left out: what the HTML needs and the text already says (a notice's
 * "if the button does not work" copy of the link its button line shows).
 */
export const emailTextOptions = {
  selectors: [
    ...['h1', 'h2'].map((selector) => ({
      selector,
      format: 'paragraph',
      options: { leadingLineBreaks: 2, trailingLineBreaks: 2 },
    })),
    { selector: 'p[data-html-only]', format: 'skip' },
  ],
};

/** The plain-text part of an email from its HTML. */
export function emailText(html: string): string {
  return toPlainText(html, emailTextOptions);
}

/** The plain-text part rendered from the template itself (React Email's plainText render). */
export function renderEmailText(element: ReactElement): Promise<string> {
  return render(element, { plainText: true, htmlToTextOptions: emailTextOptions });
}
