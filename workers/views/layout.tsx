/** @jsxImportSource hono/jsx */
/**
 * The HTML shell of every server-rendered page: one small inline stylesheet (no bundle,
 * no remote fonts), responsive, readable in dark mode, and accessible by default
 * (lang, skip link, visible focus). Pages pass their content as children.
 */
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import { FAVICON_PATH } from './favicon';

// Long words wrap anywhere (break-word for browsers without `anywhere`): an address, an
// unknown category quoted in an error or a URL has no break of its own, and pushed a
// 320 px phone's page sideways. Not in tables: there `anywhere` lets the layout squeeze
// every column down to a letter, breaking short words ("Week|ly") to share the width.
// Only cells of free text (.free-text: interests, a URL typed as one) wrap anywhere: their
// column keeps the width of its other cells' words, and the long word no longer sets it.
// A table comparing two sets of values (.compare) has three columns, too many for a narrow
// phone's words ("Frequency", "Catamarca"): there each row's heading takes a line and its
// two values share the next, each under its column's name (data-label), which a screen
// reader reads too, as the hidden column headers are no longer there to name it.
const styles = `
:root { color-scheme: light dark; --fg:#1d1d1f; --muted:#5b5b66; --bg:#fafafa; --card:#fff; --line:#e3e3e8; --accent:#4f46e5; --accent-fg:#fff; --error:#b3261e; --ok:#1b7f3b; }
@media (prefers-color-scheme: dark) { :root { --fg:#ececf1; --muted:#a4a4b3; --bg:#131316; --card:#1c1c21; --line:#33333b; --accent:#8b85ff; --accent-fg:#111; --error:#ff8a80; --ok:#7ddc9b; } }
* { box-sizing: border-box; }
body { margin:0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); overflow-wrap: break-word; overflow-wrap: anywhere; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem 4rem; }
a { color: var(--accent); }
h1 { font-size: 1.9rem; line-height:1.2; margin: .5rem 0 1rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; }
.muted { color: var(--muted); }
.card { background: var(--card); border:1px solid var(--line); border-radius: 12px; padding: 1rem 1.25rem; margin: 1rem 0; }
label { display:block; font-weight:600; margin-top: 1rem; }
.hint { display:block; font-weight:400; color:var(--muted); font-size:.9rem; }
input, select, textarea { width:100%; font:inherit; padding:.6rem .7rem; border:1px solid var(--line); border-radius:8px; background:var(--card); color:var(--fg); }
textarea { min-height: 5rem; }
input[aria-invalid="true"], textarea[aria-invalid="true"], select[aria-invalid="true"] { border-color: var(--error); }
.error { color: var(--error); font-size: .95rem; margin:.25rem 0 0; }
.notice { border-left: 4px solid var(--accent); padding:.5rem 1rem; background:var(--card); }
.ok { color: var(--ok); }
button, .button { display:inline-block; font:inherit; font-weight:600; margin-top:1.25rem; padding:.7rem 1.2rem; border-radius:8px; border:0; background:var(--accent); color:var(--accent-fg); cursor:pointer; text-decoration:none; }
button.secondary, .button.secondary { background: transparent; color: var(--accent); border:1px solid var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position:absolute; left:-999px; } .skip:focus { left: 1rem; top: 1rem; background: var(--card); padding: .5rem; }
.row { display:grid; grid-template-columns: 1fr 1fr; gap: 0 1rem; } @media (max-width: 520px) { .row { grid-template-columns: 1fr; } }
.row > .field { display:flex; flex-direction:column; } .row > .field > :is(input, select) { margin-top:auto; }
.hp { position:absolute; left:-10000px; width:1px; height:1px; overflow:hidden; }
table { border-collapse: collapse; width:100%; overflow-wrap: break-word; } th, td { text-align:left; padding:.35rem .5rem; border-bottom:1px solid var(--line); vertical-align: top; }
td.free-text { overflow-wrap: anywhere; } table.compare td { width: 40%; }
@media (max-width: 30rem) {
  table.compare, table.compare tbody, table.compare th { display:block; } table.compare thead { display:none; }
  table.compare tr { display:grid; grid-template-columns: minmax(0,1fr) minmax(0,1fr); gap: 0 1rem; border-bottom:1px solid var(--line); padding:.35rem 0; }
  table.compare th { grid-column: 1 / -1; padding:0; border:0; }
  table.compare td { width:auto; padding:.15rem 0 0; border:0; }
  table.compare td::before { content: attr(data-label); display:block; font-size:.85rem; color:var(--muted); }
}
footer { margin-top: 3rem; font-size:.9rem; color: var(--muted); }
`;

export function Layout(props: { title: string; children: Child; head?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{props.title}</title>
        <link rel="icon" href={FAVICON_PATH} type="image/svg+xml" />
        {/* raw: JSX would escape the quotes in the CSS (font names, attribute selectors). */}
        <style>{raw(styles)}</style>
        <script src="/assets/forms.js" defer></script>
        {props.head}
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <main id="main">{props.children}</main>
      </body>
    </html>
  );
}

/** A page with a heading and a short message, for errors and simple confirmations. */
export function MessagePage(props: { title: string; message: string; children?: Child }) {
  return (
    <Layout title={`${props.title} · Papers Digest`}>
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      {props.children}
      <p>
        <a href="/">Back to Papers Digest</a>
      </p>
    </Layout>
  );
}

/** Headings of the error pages whose code says what happened to a mailed link. */
const ERROR_TITLES_BY_CODE: Record<string, string> = {
  invalid_link: 'This link is not valid',
  link_expired: 'This link has expired',
  link_revoked: 'This link no longer works',
  not_subscribed: 'This link no longer works',
  suppressed: 'This link no longer works',
  held_signup_changed: 'Nothing was confirmed',
  resubscribe_by_signup: 'Subscribe again from the home page',
  cross_site_form: 'Form not accepted',
};

const ERROR_TITLES_BY_STATUS: Record<number, string> = {
  401: 'Login required',
  404: 'Not found',
  410: 'No longer available',
  413: 'Too much data sent',
  415: 'Format not accepted',
  429: 'Too many requests',
  503: 'Temporarily unavailable',
};

/**
 * The <title> and <h1> of an error page: what happened, as every other page's heading says
 * (a screen reader reads the title first, a tab shows it), the message below saying more.
 */
export function errorPageTitle(status: number, code: string): string {
  return ERROR_TITLES_BY_CODE[code] ?? ERROR_TITLES_BY_STATUS[status] ?? 'Something is not right';
}
