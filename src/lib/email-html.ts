/**
 * The HTML and plain text of an email template as we send and serve them. HTML: React
 * Email's render, then the Outlook-only conditional comments React can only render inside
 * a placeholder element set free (emails/_components/outlook-ghost-table.tsx). Text:
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
  return unwrapMso(await render(element));
}

/** html-to-text options for our emails: h1 and h2 as paragraphs (see above). */
export const emailTextOptions = {
  selectors: ['h1', 'h2'].map((selector) => ({
    selector,
    format: 'paragraph',
    options: { leadingLineBreaks: 2, trailingLineBreaks: 2 },
  })),
};

/** The plain-text part of an email from its HTML. */
export function emailText(html: string): string {
  return toPlainText(html, emailTextOptions);
}

/** The plain-text part rendered from the template itself (React Email's plainText render). */
export function renderEmailText(element: ReactElement): Promise<string> {
  return render(element, { plainText: true, htmlToTextOptions: emailTextOptions });
}
