/**
 * Which upstream links we show. Paper links besides arXiv's and Hugging Face's own (a
 * paper's GitHub repo and project page) are typed in by whoever claims the paper on Hugging
 * Face, and end up in emails and pages as hrefs and, in a digest's plain-text part, as
 * text. A link is kept only when it is one plain absolute http(s) URL: no whitespace or
 * invisible characters anywhere (the URL parser drops a newline or tab and accepts what
 * follows, so "https://github.com/x\n\nYour subscription expires: log in at …" parsed, and
 * its text reached readers as if we had written it), and no user name or password before
 * the host (https://github.com@evil.example/ opens evil.example).
 */

// Scheme, then a host (no "@": no credentials) and the rest, without whitespace, controls
// or format characters (bidi overrides, zero-width) anywhere.
const PLAIN_HTTP_URL = /^https?:\/\/[^\s\p{Cc}\p{Cf}/?#@]+(?:[/?#][^\s\p{Cc}\p{Cf}]*)?$/iu;

/** Whether `text` is exactly one plain http(s) URL (see above); cheap enough for every read. */
export function isPlainHttpUrl(text: string): boolean {
  return PLAIN_HTTP_URL.test(text);
}

/** `text` when it is a plain http(s) URL, else null: for links stored before ingest checked them. */
export function plainHttpUrlOrNull(text: string | null): string | null {
  return text !== null && isPlainHttpUrl(text) ? text : null;
}
