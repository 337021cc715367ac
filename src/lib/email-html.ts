/**
 * The HTML of an email template as we send and serve it: React Email's render, then the
 * Outlook-only conditional comments React can only render inside a placeholder element
 * set free (emails/_components/outlook-ghost-table.tsx). Every render of a whole email
 * goes through here, so the digest's fast path and its reference render stay
 * byte-identical. Plain text needs nothing: html-to-text skips comments.
 */
import { render } from '@react-email/render';
import type { ReactElement } from 'react';
import { unwrapMso } from '../../emails/_components/outlook-ghost-table';

export async function renderEmailHtml(element: ReactElement): Promise<string> {
  return unwrapMso(await render(element));
}
