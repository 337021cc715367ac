/**
 * The notice emails (confirm, already subscribed, the export and erase links) in light and
 * dark mode: the digest's dark palette and rules repaint them where a client has a dark
 * mode we can address (prefers-color-scheme, Outlook.com's [data-ogsb]/[data-ogsc]), every
 * text/background pair at WCAG AA's 4.5:1 in both palettes, the button included; and
 * where a client strips <style>, every colour is inline, from the light palette.
 */
import { describe, expect, it } from 'vitest';
import { colors, darkColors, noticeClasses, noticeCss } from '../../emails/_components/theme';
import { noticeEmails } from '../digest/sample';
import { contrast } from '../helpers/contrast';
import { expectDarkMarkup, expectDarkRules, expectPaletteContrast } from '../helpers/dark-mode';

/** Each opening tag of `html` that paints a colour inline (text, background or border). */
const colouredTags = (html: string) =>
  (html.match(/<[a-z0-9]+\b[^>]*\bstyle="[^"]*"[^>]*>/g) ?? []).filter((tag) =>
    /style="(?:[^"]*;)?(?:background-color|color|border-color|border(?:-[a-z]+)?):[^;"]*#/.test(tag),
  );

describe('notice emails in dark mode', () => {
  it('have 4.5:1 for every text colour on every background, and on the button, in both palettes', () => {
    const pairs = expectPaletteContrast(noticeClasses);
    // The button: card-coloured text on the accent, white on indigo and dark on lavender.
    expect(pairs).toContain(`light card on accent: ${contrast(colors.card, colors.accent).toFixed(2)}`);
    expect(pairs).toContain(
      `dark card on accent: ${contrast(darkColors.card, darkColors.accent).toFixed(2)}`,
    );
    expect(pairs).toContain(`dark muted on page: ${contrast(darkColors.muted, darkColors.page).toFixed(2)}`);
  });

  it('take their dark rules from the one dark palette, for prefers-color-scheme and Outlook.com', () => {
    expectDarkRules(noticeCss, noticeClasses);
    expect(noticeCss).toContain('[data-ogsb] .pd-b { background-color: ');
    expect(noticeCss).toContain('[data-ogsc] .pd-b { color: ');
  });

  it('carry the style block, and a dark-mode class on every element with a colour', async () => {
    for (const email of await noticeEmails()) {
      expect(email.html).toContain(`<style>${noticeCss}</style>`);
      expect(email.html).toContain('<meta name="color-scheme" content="light dark"/>');
      const tags = colouredTags(email.html);
      // Page, cell, card, brand, heading, paragraphs, button, links, rule, footer.
      expect(tags.length).toBeGreaterThan(10);
      for (const tag of tags)
        expect(tag, 'an element painted without a dark-mode class').toMatch(/ class="pd-/);
      const checked = expectDarkMarkup(email.html, noticeClasses);
      expect(checked.classes).toBe(tags.length + 1);
      expect(checked.texts).toBeGreaterThan(5);
    }
  });

  it('keep a readable button in clients that strip <style>: its light colours are inline', async () => {
    for (const email of await noticeEmails()) {
      const button = /<a class="pd-b"[^>]*style="([^"]*)"/.exec(email.html);
      expect(button).not.toBeNull();
      expect(button![1]).toContain(`background-color:${colors.accent}`);
      expect(button![1]).toMatch(new RegExp(`;color:${colors.card}`));
    }
  });

  it('put a text colour above every [data-ogsc] class, so Outlook.com marks an ancestor of it', async () => {
    // Outlook.com puts data-ogsc only on elements whose text colour it repainted; our text
    // rules are "[data-ogsc] .pd-x", which match only below such an element.
    for (const email of await noticeEmails()) {
      expect(email.html).toMatch(new RegExp(`<td class="pd-p pd-t" style="[^"]*;color:${colors.text};`));
    }
  });
});
