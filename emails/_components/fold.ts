/**
 * Long free text in an email's HTML, folded at its spaces. SMTP allows 998 bytes a line
 * (RFC 5322 2.1.1) and a mail server folds a longer line wherever it reaches the limit,
 * mid-word or mid-tag; Resend documents no transfer encoding that would spare us that.
 * Blocks already end their lines (breakLines in src/lib/email-html.ts), and the long
 * values start their own line (a newline at the start of a block shows nothing), but one
 * value can still be longer than a line: a paragraph of Japanese or Chinese is three bytes
 * a character, and HTML escapes a quote to six. A newline for a space is the same
 * whitespace to HTML and to the plain text made from it, so folding changes neither how
 * the email looks nor its text part. A run without spaces is left whole (a newline between
 * two Chinese characters shows as a space in some clients): a card's title is cut to 300
 * characters for that (TITLE_MAX_CHARS in src/digest/format.ts) and a summary is 320, so
 * only such a run with many ASCII quotes or ampersands in it could still pass the limit.
 *
 * The digest's templates fold exactly the values its fast path folds (src/digest), so
 * the two stay byte-identical.
 */

/** The most bytes a folded value puts on one line, HTML-escaped: the rest of its line is tags. */
export const FOLD_BYTES = 800;

/** UTF-8 bytes of `word` once HTML-escaped as React escapes text. */
function escapedBytes(word: string): number {
  let bytes = 0;
  for (let index = 0; index < word.length; index++) {
    const code = word.charCodeAt(index);
    if (code === 0x26)
      bytes += 5; // &amp;
    else if (code === 0x3c || code === 0x3e)
      bytes += 4; // &lt; &gt;
    else if (code === 0x22 || code === 0x27)
      bytes += 6; // &quot; &#x27;
    else if (code < 0x80) bytes += 1;
    // Each half of a surrogate pair: two of the pair's four bytes.
    else if (code < 0x800 || (code >= 0xd800 && code <= 0xdfff)) bytes += 2;
    else bytes += 3;
  }
  return bytes;
}

/** `text` with the fewest spaces turned into newlines that keep each of its lines within FOLD_BYTES. */
export function foldText(text: string): string {
  // No code unit takes more than six bytes escaped: most values cannot need a fold.
  if (text.length * 6 <= FOLD_BYTES) return text;
  const [first = '', ...rest] = text.split(' ');
  let out = first;
  let line = escapedBytes(first);
  for (const word of rest) {
    const bytes = escapedBytes(word);
    if (line + 1 + bytes > FOLD_BYTES) {
      out += `\n${word}`;
      line = bytes;
    } else {
      out += ` ${word}`;
      line += 1 + bytes;
    }
  }
  return out;
}
