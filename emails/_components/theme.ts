/**
 * Colours, type and spacing shared by the digest's parts. Inline styles are the light
 * theme every client understands; the `digestCss` classes repaint it where a client
 * honours prefers-color-scheme (Apple Mail, iOS, Outlook.com via [data-ogsc]), and the
 * light palette is chosen to stay readable when Gmail inverts it instead. System fonts
 * only: remote fonts are blocked or slow in most mail clients.
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
 * The digest's one style block: a font fallback for Outlook on Windows (its Word engine
 * does not inherit font-family into nested tables, and falls back to Times), then the
 * dark-mode classes. Class names are short because every card repeats them.
 */
export const digestCss = `
td, p, a, h1, h2 { font-family: ${fontStack}; }
:root { color-scheme: light dark; supported-color-schemes: light dark; }
@media (prefers-color-scheme: dark) {
  .pd-p { background-color: #131316 !important; }
  .pd-c { background-color: #1c1c21 !important; border-color: #33333b !important; }
  .pd-t { color: #ececf1 !important; }
  .pd-m { color: #a4a4b3 !important; }
  .pd-l { color: #a5a1ff !important; }
  .pd-w { color: #7ddc9b !important; }
}
[data-ogsc] .pd-p { background-color: #131316 !important; }
[data-ogsc] .pd-c { background-color: #1c1c21 !important; }
[data-ogsc] .pd-t { color: #ececf1 !important; }
[data-ogsc] .pd-m { color: #a4a4b3 !important; }
[data-ogsc] .pd-l { color: #a5a1ff !important; }
[data-ogsc] .pd-w { color: #7ddc9b !important; }
`;
