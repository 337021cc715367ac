/**
 * The checks every email's colours are held to, for the digest and the notice emails
 * alike, each given its style block and its set of dark-mode classes: every text colour
 * has WCAG AA's 4.5:1 on every surface it sits on, in the light palette (inline styles)
 * and the dark one; the dark rules, for prefers-color-scheme and Outlook.com's
 * [data-ogsb]/[data-ogsc], all come from the one dark palette; each class in the HTML
 * repaints the colour its element has inline in light mode; every visible word takes its
 * colour from an element that has one inline and a class that repaints it; and that
 * element sits below another with a text colour, where Outlook.com's [data-ogsc] mark goes.
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
function expectClassesRepaintInline(html: string, classes: ClassSet): number {
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

interface Element {
  tag: string;
  style: string;
  classes: string[];
}

const VOID = new Set(['area', 'base', 'br', 'col', 'hr', 'img', 'input', 'link', 'meta', 'source', 'wbr']);

/**
 * The body of a React render walked as a tree: each element and each visible run of text,
 * with the elements it sits in (outermost first). Comments (Outlook's conditional ones
 * included) are skipped, and so is what a display:none element holds (the preheader).
 */
function walkBody(html: string) {
  const body = html.indexOf('<body');
  expect(body).toBeGreaterThanOrEqual(0);
  const stack: Element[] = [];
  const elements: { element: Element; ancestors: Element[] }[] = [];
  const texts: { text: string; ancestors: Element[] }[] = [];
  const hidden = () => stack.some((element) => /(^|;)display:none/.test(element.style));
  const tokens = /<!--[\s\S]*?-->|<\/([a-z][a-z0-9-]*)>|<([a-z][a-z0-9-]*)\b([^>]*?)(\/?)>|[^<]+/gi;
  tokens.lastIndex = body;
  for (let token = tokens.exec(html); token; token = tokens.exec(html)) {
    const [whole, closing, opening, attributes = '', selfClosing] = token;
    if (closing) {
      expect(stack.pop()?.tag, `</${closing}> closes what it opened`).toBe(closing);
      if (closing === 'body') break;
    } else if (opening) {
      const element = {
        tag: opening,
        style: /\bstyle="([^"]*)"/.exec(attributes)?.[1] ?? '',
        classes: /\bclass="([^"]*)"/.exec(attributes)?.[1]?.split(' ') ?? [],
      };
      if (!hidden()) elements.push({ element, ancestors: [...stack] });
      if (!selfClosing && !VOID.has(opening)) stack.push(element);
    } else if (!whole.startsWith('<!--') && whole.trim() && !hidden()) {
      texts.push({ text: whole.trim(), ancestors: [...stack] });
    }
  }
  return { elements, texts };
}

/** The text colour an element has inline, as #rrggbb, if any. */
const inlineColour = (element: Element) => /(?:^|;)color:(#[0-9a-f]{6})/i.exec(element.style)?.[1];

/**
 * Every visible run of text takes its colour from the nearest element that has one inline
 * (no run is left the client's default black, unreadable on a dark card); that element has
 * a class repainting that colour in dark mode; and it sits below another element with an
 * inline text colour (not <body>, which webmail drops): Outlook.com's dark mode marks the
 * elements whose colour it repaints with data-ogsc, and the "[data-ogsc] .pd-x" rules only
 * match below such a mark. Returns the runs checked.
 */
function expectTextRepainted(html: string, classes: ClassSet): number {
  const { texts } = walkBody(html);
  for (const { text, ancestors } of texts) {
    const at = ancestors.findLastIndex((element) => inlineColour(element));
    expect(at, `a text colour above "${text}"`).toBeGreaterThanOrEqual(0);
    const painter = ancestors[at]!;
    const colour = inlineColour(painter)!.toLowerCase();
    const repainted = painter.classes.some((name) => {
      const key = classes[name]?.color;
      return key !== undefined && pick(colors, key).toLowerCase() === colour;
    });
    expect(repainted, `a dark-mode class repainting ${colour} on <${painter.tag}> above "${text}"`).toBe(
      true,
    );
    const marked = ancestors.slice(0, at).some((above) => above.tag !== 'body' && inlineColour(above));
    expect(marked, `an inline text colour above the <${painter.tag}> that paints "${text}"`).toBe(true);
  }
  return texts.length;
}

/**
 * The dark-mode markup of an email's HTML: each class repaints the colour its element has
 * inline, and every word is repainted (see above). Returns the classes and the runs of
 * text checked.
 */
export function expectDarkMarkup(html: string, classes: ClassSet): { classes: number; texts: number } {
  return { classes: expectClassesRepaintInline(html, classes), texts: expectTextRepainted(html, classes) };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
