/**
 * What classic Outlook on Windows needs of an email's HTML, checked where the HTML is sent
 * or served: its Word engine ignores max-width, so the fluid container must sit in an
 * MSO-only ghost table of the design width, written exactly as Outlook matches it. The
 * markup is spelled out here, not imported, so that a change to it fails a test.
 */
import { expect } from 'vitest';

const ghostOpen = (width: number) =>
  `<!--[if mso]><table role="presentation" align="center" width="${width}" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->`;
const GHOST_CLOSE = '<!--[if mso]></td></tr></table><![endif]-->';

const count = (html: string, piece: string) => html.split(piece).length - 1;

/** The index just past the </table> that closes the table opening at `start`. */
function tableEnd(html: string, start: number): number {
  const tags = /<table\b|<\/table>/g;
  tags.lastIndex = start;
  let depth = 0;
  for (let match = tags.exec(html); match; match = tags.exec(html)) {
    depth += match[0] === '</table>' ? -1 : 1;
    if (depth === 0) return match.index + match[0].length;
  }
  throw new Error('unclosed table');
}

/**
 * The ghost table is there exactly once, opened right before the container (the centred
 * 100% table whose max-width is `width`) and closed right after it; no placeholder element
 * of the render is left; every conditional comment is closed.
 */
export function expectOutlookGhostTable(html: string, width: number): void {
  const open = ghostOpen(width);
  expect(count(html, open)).toBe(1);
  expect(count(html, GHOST_CLOSE)).toBe(1);
  expect(count(html, '<!--[if mso]><table')).toBe(1);
  expect(html).not.toContain('x-mso');
  expect(count(html, '<!--[if mso]>')).toBe(count(html, '<![endif]-->'));
  const container = html.indexOf(open) + open.length;
  expect(html.slice(container, container + 200)).toMatch(
    new RegExp(`^<table align="center" width="100%"[^>]*style="max-width:${width}px`),
  );
  expect(html.indexOf(GHOST_CLOSE)).toBe(tableEnd(html, container));
}

/**
 * A plain-text part owes nothing to the HTML's conditional comments. URLs are left out of
 * the check and words must stand alone: a signed link's random MAC once spelled "McMsOg".
 */
export function expectNoMsoInText(text: string): void {
  expect(text.replace(/https?:\/\/\S+/g, '')).not.toMatch(/\bmso\b|\bendif\b|<!--|<table|x-mso/i);
}
