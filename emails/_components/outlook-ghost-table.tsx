/**
 * A fixed width for classic Outlook on Windows. Its Word engine ignores CSS max-width, so
 * a fluid container (React Email's Container: width 100%, max-width in CSS) spans the whole
 * reading pane there. The standard fix (MJML, Cerberus) is an MSO-only "ghost table" of
 * the design width around the container, in conditional comments that only Outlook on
 * Windows reads: every other client sees the container exactly as before.
 *
 * React cannot render a comment, only raw HTML inside an element, so each comment is
 * rendered inside an <x-mso> element and `unwrapMso` (run by every render we send, see
 * src/lib/email-html.ts) removes those elements. Where it does not run (the react-email
 * preview), the comments are there all the same, in an empty inline element that lays out
 * to nothing. The comments are written in the one spelling Outlook matches, with nothing
 * a formatter would split; the markup is the fewest bytes that do it, as every digest is
 * sent a hundred times per request.
 */
import { createElement, type ReactNode } from 'react';

const TAG = 'x-mso';

/**
 * `html` as an MSO-only conditional comment, inside an <x-mso> element until `unwrapMso`.
 * Not exported: its HTML is only the constant markup below and a width that is a number.
 */
function MsoOnly({ html }: { html: string }) {
  return createElement(TAG, {
    // biome-ignore lint/security/noDangerouslySetInnerHtml: a comment is raw HTML by nature; ours is constant
    dangerouslySetInnerHTML: { __html: `<!--[if mso]>${html}<![endif]-->` },
  });
}

export function OutlookGhostTable({ width, children }: { width: number; children: ReactNode }) {
  return (
    <>
      <MsoOnly
        html={`<table role="presentation" align="center" width="${width}" cellpadding="0" cellspacing="0" border="0"><tr><td>`}
      />
      {children}
      <MsoOnly html="</td></tr></table>" />
    </>
  );
}

// Only what MsoOnly renders: text and attributes that React escaped never contain '<x-mso>'.
const WRAPPED = new RegExp(`<${TAG}>(<!--\\[if mso\\]>.*?<!\\[endif\\]-->)</${TAG}>`, 'g');

/** A render with the conditional comments of OutlookGhostTable freed from their elements. */
export function unwrapMso(html: string): string {
  return html.includes(`<${TAG}>`) ? html.replace(WRAPPED, '$1') : html;
}
