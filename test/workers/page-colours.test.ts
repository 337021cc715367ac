/**
 * The colours of our HTML pages, read from the stylesheet the landing page serves (the
 * layout's palette and the form styles every subscriber page shares), in the light and the
 * dark palette: every filled button's text on its fill, and the page's text colours on the
 * page and card backgrounds, at WCAG AA's 4.5:1. A colour written as a literal beside a
 * palette variable is the way a pair goes unreadable in one palette only.
 */
import { describe, expect, it } from 'vitest';
import { request } from '../helpers/app';
import { contrast } from '../helpers/contrast';

type Palette = Record<string, string>;

/** `--name:#rgb` declarations of one `:root { … }` block, as #rrggbb. */
function paletteOf(block: string): Palette {
  return Object.fromEntries(
    [...block.matchAll(/--([a-z-]+)\s*:\s*(#[0-9a-f]{3,6})/gi)].map(([, name, value]) => [
      name!,
      hex(value!),
    ]),
  );
}

const hex = (value: string) =>
  value.length === 4 ? `#${[...value.slice(1)].map((digit) => digit + digit).join('')}` : value;

/** A declared colour in a palette: a variable, a literal, or null (transparent, inherit). */
function resolve(value: string, palette: Palette): string | null {
  const variable = /^var\(--([a-z-]+)\)$/.exec(value.trim());
  if (variable) return palette[variable[1]!] ?? null;
  return /^#[0-9a-f]{3}(?:[0-9a-f]{3})?$/i.test(value.trim()) ? hex(value.trim()) : null;
}

async function pageCss() {
  const html = await (await request('/')).text();
  const css = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1]).join('\n');
  const dark = /@media \(prefers-color-scheme: dark\) \{\s*:root \{([^}]*)\}/.exec(css);
  const light = /:root \{([^}]*)\}/.exec(css);
  expect(dark, 'no dark palette in the page').not.toBeNull();
  expect(light, 'no light palette in the page').not.toBeNull();
  return { css, palettes: { light: paletteOf(light![1]!), dark: paletteOf(dark![1]!) } };
}

/** Rules painting both a background and a text colour: filled buttons and the like. */
function filledRules(css: string): { selector: string; background: string; color: string }[] {
  return [...css.matchAll(/([^{}]+)\{([^{}]*)\}/g)].flatMap(([, selector, body]) => {
    const background = /(?:^|;)\s*background(?:-color)?\s*:\s*([^;]+)/.exec(body!)?.[1];
    const color = /(?:^|;)\s*color\s*:\s*([^;]+)/.exec(body!)?.[1];
    return background && color ? [{ selector: selector!.trim(), background, color }] : [];
  });
}

describe('page colours', () => {
  it('give every filled button 4.5:1 text in the light and the dark palette', async () => {
    const { css, palettes } = await pageCss();
    const rules = filledRules(css);
    expect(rules.map((rule) => rule.selector)).toEqual(
      expect.arrayContaining(['button, .button', 'button.danger-button']),
    );
    for (const [name, palette] of Object.entries(palettes)) {
      for (const rule of rules) {
        const background = resolve(rule.background, palette);
        const color = resolve(rule.color, palette);
        // A transparent button (secondary) is text on the page, checked below.
        if (!background || !color) continue;
        expect(
          contrast(color, background),
          `${rule.selector} in the ${name} palette: ${color} on ${background}`,
        ).toBeGreaterThanOrEqual(4.5);
      }
    }
  });

  it('give text, links and messages 4.5:1 on the page and on cards in both palettes', async () => {
    const { palettes } = await pageCss();
    for (const [name, palette] of Object.entries(palettes)) {
      for (const text of ['fg', 'muted', 'accent', 'error', 'ok']) {
        for (const background of ['bg', 'card']) {
          expect(
            contrast(palette[text]!, palette[background]!),
            `--${text} on --${background} in the ${name} palette`,
          ).toBeGreaterThanOrEqual(4.5);
        }
      }
    }
  });
});
