/**
 * Colours, type and spacing shared by the digest and the notice emails. Inline styles are
 * the light theme every client understands; the classes of `digestCss` and `noticeCss`
 * repaint it where a client honours prefers-color-scheme (Apple Mail, iOS) or marks its
 * own dark mode (Outlook.com's [data-ogsb] and [data-ogsc]), all from one dark palette
 * (`darkColors`), and the light palette is chosen to stay readable when Gmail inverts it
 * instead. System fonts only: remote fonts are blocked or slow in most mail clients.
 */
export const fontStack =
  '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';

export const colors = {
  page: '#f4f4f7',
  card: '#ffffff',
  text: '#1d1d1f',
  muted: '#5b5b66',
  line: '#e3e3e8',
  accent: '#4338ca',
  why: '#0f5132',
  notice: '#8a1c12',
  noticeBackground: '#fdecea',
} as const;

/**
 * The dark palette, the one source of every dark-mode rule below: the same keys as
 * `colors`, each a dark-mode counterpart of the light one (test/digest/colours.test.ts
 * checks every text colour on every background of both palettes for WCAG AA contrast).
 */
export const darkColors = {
  page: '#131316',
  card: '#1c1c21',
  text: '#ececf1',
  muted: '#a4a4b3',
  line: '#33333b',
  accent: '#a5a1ff',
  why: '#7ddc9b',
} as const satisfies Partial<Record<keyof typeof colors, string>>;

type DarkKey = keyof typeof darkColors;
type Repaint = { background?: DarkKey; border?: DarkKey; color?: DarkKey };

/** What each dark-mode class repaints, and with which colour of `darkColors`. */
export const darkClasses = {
  'pd-p': { background: 'page' },
  'pd-c': { background: 'card', border: 'line' },
  'pd-t': { color: 'text' },
  'pd-m': { color: 'muted' },
  'pd-l': { color: 'accent' },
  'pd-w': { color: 'why' },
} as const satisfies Record<string, Repaint>;

const PROPERTY = { background: 'background-color', border: 'border-color', color: 'color' } as const;

function rule(selector: string, repaint: Repaint): string {
  const declarations = (Object.keys(PROPERTY) as (keyof Repaint)[]).flatMap((part) => {
    const key = repaint[part];
    return key ? [`${PROPERTY[part]}: ${darkColors[key]} !important;`] : [];
  });
  return `${selector} { ${declarations.join(' ')} }`;
}

/**
 * The dark-mode rules for a set of classes: one rule a class under prefers-color-scheme,
 * then Outlook.com's. Outlook.com paints its own dark mode over inline colours and marks
 * what it repainted: [data-ogsb] above repainted backgrounds (and so borders), [data-ogsc]
 * above repainted text. Rules under those attributes give it our dark palette instead of
 * its guesses.
 */
function darkModeRules(set: Record<string, Repaint>): string {
  const classes = Object.entries(set);
  const outlookRules = classes.flatMap(([name, { background, border, color }]) => [
    ...(background || border ? [rule(`[data-ogsb] .${name}`, { background, border })] : []),
    ...(color ? [rule(`[data-ogsc] .${name}`, { color })] : []),
  ]);
  return `@media (prefers-color-scheme: dark) {
${classes.map(([name, repaint]) => `  ${rule(`.${name}`, repaint)}`).join('\n')}
}
${outlookRules.join('\n')}
`;
}

/**
 * An email's one style block: a font fallback for Outlook on Windows (its Word engine
 * does not inherit font-family into nested tables, and falls back to Times); the look of
 * the text around them for the links iOS Mail makes of dates and addresses (its data
 * detectors turned the digest's date, its <h1>, into an underlined link in the link
 * tint); then the dark-mode rules of `set`.
 */
function emailCss(set: Record<string, Repaint>): string {
  return `
td, p, a, h1, h2 { font-family: ${fontStack}; }
a[x-apple-data-detectors] { color: inherit !important; text-decoration: none !important; font-size: inherit !important; font-family: inherit !important; font-weight: inherit !important; line-height: inherit !important; }
:root { color-scheme: light dark; supported-color-schemes: light dark; }
${darkModeRules(set)}`;
}

/** The digest's style block. Class names are short because every card repeats them. */
export const digestCss = emailCss(darkClasses);

/**
 * The notice emails' classes (confirm, already subscribed, data links): the digest's, and
 * two of their own. The button is accent with card-coloured text in both palettes (white
 * on indigo in light mode, dark on lavender in dark mode), so it stands out on either
 * card; the rule above the footer is a border alone. Not in `darkClasses`, so the
 * digest's style block stays as it is.
 */
export const noticeClasses = {
  ...darkClasses,
  'pd-b': { background: 'accent', color: 'card' },
  'pd-r': { border: 'line' },
} as const satisfies Record<string, Repaint>;

/** The notice emails' style block, from the same dark palette and rules as the digest's. */
export const noticeCss = emailCss(noticeClasses);
