/**
 * A guard on the digest's colours: every text colour on every background it can sit on,
 * in the light palette (inline styles) and the dark one (prefers-color-scheme and
 * Outlook.com's [data-ogsb]/[data-ogsc] rules), has the 4.5:1 contrast WCAG AA asks of
 * normal text, computed from the palettes as they are; and the dark rules all come from
 * the one dark palette, each class repainting what its inline style paints in light mode.
 * Every visible word, down to the " · " between a card's links, has a colour of the palette
 * that a class repaints. The checks are shared with the notice emails' (test/helpers/dark-mode.ts).
 */
import { describe, expect, it } from 'vitest';
import { colors, darkClasses, darkColors, digestCss, noticeCss } from '../../emails/_components/theme';
import { contrast } from '../helpers/contrast';
import { expectDarkMarkup, expectDarkRules, expectPaletteContrast } from '../helpers/dark-mode';
import { longDigest } from './sample';

describe('digest colours', () => {
  it('computes WCAG contrast as WCAG does', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it('every text colour has 4.5:1 on every background, in the light and the dark palette', () => {
    const pairs = expectPaletteContrast(darkClasses);
    // Four text colours (text, muted, accent, why) on two backgrounds (page, card), twice.
    expect(pairs).toHaveLength(2 * 4 * 2);
    expect(pairs).toContain(`dark muted on card: ${contrast(darkColors.muted, darkColors.card).toFixed(2)}`);
    // The withdrawn-paper notice keeps its own light background in either mode.
    expect(contrast(colors.notice, colors.noticeBackground)).toBeGreaterThanOrEqual(4.5);
  });

  it('one dark palette for prefers-color-scheme and Outlook.com alike', () => {
    expectDarkRules(digestCss, darkClasses);
  });

  it('each dark-mode class repaints the colour its element has inline, and every word is repainted', async () => {
    const { html } = await longDigest();
    expect(html).toContain(digestCss.trim());
    const checked = expectDarkMarkup(html, darkClasses);
    expect(checked.classes).toBeGreaterThan(100);
    // Header, 20 cards of ~10 runs of text, footer.
    expect(checked.texts).toBeGreaterThan(200);
  });

  it('paints the " · " between a card’s links muted, with its dark class', async () => {
    const { html } = await longDigest();
    // The separators are muted, which the palette check holds to 4.5:1 on the card in both modes.
    const links = html.match(
      /<p class="pd-m" style="color:#[0-9a-f]{6};font-size:14px;line-height:1\.8[^"]*">([\s\S]*?)<\/p>/g,
    );
    expect(links).toHaveLength(20 + 1);
    for (const paragraph of links!) expect(paragraph).toContain(`color:${colors.muted}`);
    expect(links!.filter((paragraph) => / ·\s<a class="pd-l"/.test(paragraph))).toHaveLength(21);
    expect(contrast(darkColors.muted, darkColors.card)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(colors.muted, colors.card)).toBeGreaterThanOrEqual(4.5);
  });

  it('keeps what iOS Mail turns into links (the edition date, the postal address) as it looks', () => {
    // iOS Mail's data detectors make a date or an address a link of its own, in the link
    // tint and underlined: the digest's <h1> (its date) turned blue. Both style blocks
    // give such links the look of the text around them.
    for (const css of [digestCss, noticeCss]) {
      const rule = /a\[x-apple-data-detectors\] \{([^}]*)\}/.exec(css);
      expect(rule).not.toBeNull();
      for (const property of ['color', 'text-decoration', 'font-size', 'font-weight', 'line-height'])
        expect(rule![1]).toMatch(new RegExp(`${property}: (inherit|none) !important;`));
    }
  });

  it('puts a text colour above every [data-ogsc] class, so Outlook.com marks an ancestor of it', async () => {
    // Outlook.com puts data-ogsc only on elements whose text colour it repainted; our text
    // rules are "[data-ogsc] .pd-x", which match only below such an element: the page cell.
    const { html } = await longDigest();
    expect(html).toMatch(new RegExp(`<td class="pd-p pd-t" style="[^"]*;color:${colors.text};`));
  });
});
