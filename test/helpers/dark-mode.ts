/**
 * The checks every email's colours are held to, for the digest and the notice emails
 * alike, each given its style block and its set of dark-mode classes: every text colour
 * has WCAG AA's 4.5:1 on every surface it sits on, in the light palette (inline styles)
 * and the dark one; the dark rules, for prefers-color-scheme and Outlook.com's
 * [data-ogsb]/[data-ogsc], all come from the one dark palette; and each class in the HTML
 * repaints the colour its element has inline in light mode.
 */
import { expect } from 'vitest';
import { colors, darkColors } from '../../emails/_components/theme';
import { contrast } from './contrast';

type Repaint = { background?: string; border?: string; color?: string };
type ClassSet = Record<string, Repaint>;

const PROPERTY = { background: 'background-color', border: 'border-color', color: 'color' } as const;

export const pick = (palette: Record<string, string>, key: string) => {
  const value = palette[key];
  if (!value || !/^#[0-9a-f]{6}$/i.test(value)) throw new Error(`palette has no #rrggbb ${key}`);
  return value;
};

/**
 * Text classes (a colour, no background) on every surface class (a background, no
 * colour), and each class that paints both (a button) its own colour on its own
 * background, in both palettes. Returns the pairs checked, as "light muted on card: 6.5".
 */
export function expectPaletteContrast(classes: ClassSet): string[] {
  const repaints = Object.values(classes);
  const textKeys = repaints.flatMap((r) => (r.color && !r.background ? [r.color] : []));
  const surfaceKeys = repaints.flatMap((r) => (r.background && !r.color ? [r.background] : []));
  const pairs = [
    ...textKeys.flatMap((text) => surfaceKeys.map((background) => ({ text, background }))),
    ...repaints.flatMap((r) =>
      r.color && r.background ? [{ text: r.color, background: r.background }] : [],
    ),
  ];
  const checked: string[] = [];
  for (const [name, palette] of [
    ['light', colors],
    ['dark', darkColors],
  ] as const) {
    for (const { text, background } of pairs) {
      const ratio = contrast(pick(palette, text), pick(palette, background));
      checked.push(`${name} ${text} on ${background}: ${ratio.toFixed(2)}`);
      expect(ratio, `${name} ${text} on ${background}`).toBeGreaterThanOrEqual(4.5);
    }
  }
  return checked;
}

/** Each class's dark rule, under prefers-color-scheme and Outlook.com's marks, from `darkColors` only. */
export function expectDarkRules(css: string, classes: ClassSet) {
  const media = css.slice(css.indexOf('@media (prefers-color-scheme: dark)'));
  for (const [name, repaint] of Object.entries(classes)) {
    for (const part of ['background', 'border', 'color'] as const) {
      const key = repaint[part];
      if (!key) continue;
      const declaration = `${PROPERTY[part]}: ${pick(darkColors, key)} !important;`;
      expect(media).toMatch(new RegExp(`\\n  \\.${name} \\{[^}]*${escapeRegExp(declaration)}`));
      // Outlook.com marks repainted backgrounds (and borders) with data-ogsb, text with data-ogsc.
      const attribute = part === 'color' ? 'data-ogsc' : 'data-ogsb';
      expect(css).toMatch(
        new RegExp(`\\n\\[${attribute}\\] \\.${name} \\{[^}]*${escapeRegExp(declaration)}`),
      );
    }
  }
  // Every colour in the style block is one of the dark palette's.
  const used = new Set(css.match(/#[0-9a-f]{6}/gi));
  expect([...used].every((hex) => Object.values(darkColors).includes(hex as never))).toBe(true);
}

/**
 * Every element of `html` with a dark-mode class has inline, in light mode, the colour the
 * class repaints (a border only where the element draws one). Returns how many classes
 * were checked.
 */
export function expectClassesRepaintInline(html: string, classes: ClassSet): number {
  let checked = 0;
  for (const [tag] of html.matchAll(/<[a-z0-9]+\b[^>]*\bclass="pd-[^>]*>/g)) {
    const names = /\bclass="([^"]*)"/.exec(tag)![1]!.split(' ');
    const style = /\bstyle="([^"]*)"/.exec(tag)?.[1] ?? '';
    for (const name of names) {
      const repaint = classes[name];
      expect(repaint, `a rule for class ${name}`).toBeDefined();
      if (repaint!.background)
        expect(style).toContain(`background-color:${pick(colors, repaint!.background)}`);
      if (repaint!.color) expect(style).toMatch(new RegExp(`(^|;)color:${pick(colors, repaint!.color)}`));
      if (repaint!.border && /(^|;)border(-[a-z]+)?:[^;]*#/.test(style)) {
        expect(style).toContain(pick(colors, repaint!.border));
      }
      checked++;
    }
  }
  return checked;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
