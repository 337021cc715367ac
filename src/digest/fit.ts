/**
 * Gmail cuts an email whose HTML is over 102 KB: the rest, footer and unsubscribe link
 * included, hides behind "[Message clipped] View entire message". It counts the HTML as it
 * arrives, encoded by the sending MTA, and Resend sends HTML quoted-printable: every "="
 * (one per attribute) is three bytes there, and every byte of UTF-8 past ASCII is three
 * (a Chinese character nine). A digest of 50 papers is about 110 KB of UTF-8 with typical
 * papers, and 50 in Chinese were 187 KB as sent while their UTF-8 was under 100 KB. So a
 * digest shows as many of its ranked papers as keep its HTML *as sent* under
 * `SENT_HTML_BYTES_MAX`, best first; the rest stay unsent and can come in a later digest.
 * The fast path and the React render cut the same way (the largest count that fits,
 * measured by the same function of the HTML), so they stay byte-identical.
 */

/** Gmail clips above 102 KB (104,448 bytes); the margin covers what the sending side adds. */
export const SENT_HTML_BYTES_MAX = 100_000;

/**
 * The bytes `text` takes quoted-printable (RFC 2045 6.7), its soft line breaks aside: a
 * printable ASCII character one, "=", a control or a byte past ASCII three ("=3D"), a line
 * end four (CRLF, and a space before it, which must be encoded). Each character counts
 * alone, so the fast path adds up the weights of its pieces instead of reading the email.
 */
export function quotedPrintableWeight(text: string): number {
  let weight = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x0a) weight += 4;
    else if (code >= 0x20 && code < 0x7f && code !== 0x3d) weight += 1;
    else if (code < 0x80) weight += 3;
    // Each half of a surrogate pair: two of the pair's four bytes.
    else if (code < 0x800 || (code >= 0xd800 && code <= 0xdfff)) weight += 6;
    else weight += 9;
  }
  return weight;
}

/**
 * At most the bytes of HTML of that weight once quoted-printable: an encoder breaks a line
 * before it passes 76 characters, after at least 73 of them, with three bytes ("=", CRLF).
 */
export const sentBytes = (weight: number): number => weight + 3 * Math.floor(weight / 73);

/** At most the bytes `html` takes as sent (quoted-printable). */
export const sentHtmlBytes = (html: string): number => sentBytes(quotedPrintableWeight(html));

/**
 * The digest of the largest number of papers, at most `count` and at least one, whose HTML
 * as sent (`sentBytes`) is at most SENT_HTML_BYTES_MAX bytes. `render(n)` makes the digest of the first n papers; a
 * digest's size grows with n, so a binary search needs about log2(count) renders, and only
 * when the whole digest is too big.
 */
export async function largestThatFits<T>(
  count: number,
  render: (papers: number) => Promise<T>,
  sentHtml: (digest: T) => number,
): Promise<T> {
  const whole = await render(count);
  if (count <= 1 || sentHtml(whole) <= SENT_HTML_BYTES_MAX) return whole;
  // Invariant: the digest of `fits` papers fits (or fits is 1), that of `over` does not.
  let fits = 1;
  let over = count;
  let best: T | undefined;
  while (over - fits > 1) {
    const middle = (fits + over) >>> 1;
    const digest = await render(middle);
    if (sentHtml(digest) <= SENT_HTML_BYTES_MAX) {
      fits = middle;
      best = digest;
    } else {
      over = middle;
    }
  }
  return best ?? render(1);
}
