/**
 * A guard on the digest's colours: every text colour on every background it can sit on,
 * in the light palette (inline styles) and the dark one (prefers-color-scheme and
 * Outlook.com's [data-ogsb]/[data-ogsc] rules), has the 4.5:1 contrast WCAG AA asks of
 * normal text, computed from the palettes as they are; and the dark rules all come from
 * the one dark palette, each class repainting what its inline style paints in light mode.
 */
import { describe, expect, it } from 'vitest';
import { colors, darkClasses, darkColors, digestCss } from '../../emails/_components/theme';
import { contrast } from '../helpers/contrast';
import { longDigest } from './sample';

type Repaint = { background?: string; border?: string; color?: string };
const repaints = Object.entries(darkClasses) as [string, Repaint][];
const textKeys = repaints.flatMap(([, repaint]) => (repaint.color ? [repaint.color] : []));
const backgroundKeys = repaints.flatMap(([, repaint]) => (repaint.background ? [repaint.background] : []));
const pick = (palette: Record<string, string>, key: string) => {
  const value = palette[key];
  if (!value || !/^#[0-9a-f]{6}$/i.test(value)) throw new Error(`palette has no #rrggbb ${key}`);
  return value;
};

describe('digest colours', () => {
  it('computes WCAG contrast as WCAG does', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it('every text colour has 4.5:1 on every background, in the light and the dark palette', () => {
    expect(textKeys.length).toBeGreaterThanOrEqual(4);
    expect(backgroundKeys).toEqual(expect.arrayContaining(['page', 'card']));
    const pairs: string[] = [];
    for (const [name, palette] of [
      ['light', colors],
      ['dark', darkColors],
    ] as const) {
      for (const text of textKeys) {
        for (const background of backgroundKeys) {
          const ratio = contrast(pick(palette, text), pick(palette, background));
          pairs.push(`${name} ${text} on ${background}: ${ratio.toFixed(2)}`);
          expect(ratio, `${name} ${text} on ${background}`).toBeGreaterThanOrEqual(4.5);
        }
      }
    }
    expect(pairs).toHaveLength(2 * textKeys.length * backgroundKeys.length);
    // The withdrawn-paper notice keeps its own light background in either mode.
    expect(contrast(colors.notice, colors.noticeBackground)).toBeGreaterThanOrEqual(4.5);
  });

  it('one dark palette for prefers-color-scheme and Outlook.com alike', () => {
    const media = digestCss.slice(digestCss.indexOf('@media (prefers-color-scheme: dark)'));
    for (const [name, repaint] of repaints) {
      const property = { background: 'background-color', border: 'border-color', color: 'color' } as const;
      for (const part of ['background', 'border', 'color'] as const) {
        const key = repaint[part];
        if (!key) continue;
        const declaration = `${property[part]}: ${pick(darkColors, key)} !important;`;
        expect(media).toMatch(new RegExp(`\\n  \\.${name} \\{[^}]*${escapeRegExp(declaration)}`));
        // Outlook.com marks repainted backgrounds (and borders) with data-ogsb, text with data-ogsc.
        const attribute = part === 'color' ? 'data-ogsc' : 'data-ogsb';
        expect(digestCss).toMatch(
          new RegExp(`\\n\\[${attribute}\\] \\.${name} \\{[^}]*${escapeRegExp(declaration)}`),
        );
      }
    }
    // Every colour in the style block is one of the dark palette's.
    const used = new Set(digestCss.match(/#[0-9a-f]{6}/gi));
    expect([...used].every((hex) => Object.values(darkColors).includes(hex as never))).toBe(true);
  });

  it('each dark-mode class repaints the colour its element has inline in light mode', async () => {
    const { html } = await longDigest();
    expect(html).toContain(digestCss.trim());
    const property = { background: 'background-color', color: 'color' } as const;
    let checked = 0;
    for (const match of html.matchAll(/<[a-z0-9]+ class="(pd-[a-z])"[^>]*?style="([^"]*)"/g)) {
      const repaint = (darkClasses as Record<string, Repaint>)[match[1]!];
      expect(repaint, `a rule for class ${match[1]}`).toBeDefined();
      for (const part of ['background', 'color'] as const) {
        const key = repaint![part];
        if (key) expect(match[2]).toContain(`${property[part]}:${pick(colors, key)}`);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
