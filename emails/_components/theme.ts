/**
 * Colours, type and spacing shared by the digest's parts. Inline styles are the light
 * theme every client understands; the `darkModeCss` classes repaint it where a client
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
} as const;

export const darkModeCss = `
:root { color-scheme: light dark; supported-color-schemes: light dark; }
@media (prefers-color-scheme: dark) {
  .pd-page { background-color: #131316 !important; }
  .pd-card { background-color: #1c1c21 !important; border-color: #33333b !important; }
  .pd-text { color: #ececf1 !important; }
  .pd-muted { color: #a4a4b3 !important; }
  .pd-link { color: #a5a1ff !important; }
  .pd-why { color: #7ddc9b !important; }
}
[data-ogsc] .pd-page { background-color: #131316 !important; }
[data-ogsc] .pd-card { background-color: #1c1c21 !important; }
[data-ogsc] .pd-text { color: #ececf1 !important; }
[data-ogsc] .pd-muted { color: #a4a4b3 !important; }
[data-ogsc] .pd-link { color: #a5a1ff !important; }
[data-ogsc] .pd-why { color: #7ddc9b !important; }
`;
