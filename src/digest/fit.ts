/**
 * Gmail cuts an email whose HTML is over 102 KB: the rest, footer and unsubscribe link
 * included, hides behind "[Message clipped] View entire message". A digest of 50 papers is
 * about 110 KB with typical papers (and up to ~130 KB with long titles and every link), so
 * a digest shows as many of its ranked papers as keep the HTML under `HTML_BYTES_MAX`, best
 * first; the rest stay unsent and can come in a later digest. The fast path and the React
 * render cut the same way (the largest count that fits), so they stay byte-identical.
 */

/** Gmail clips above 102 KB (104,448 bytes); the margin covers what the sending side adds. */
export const HTML_BYTES_MAX = 100_000;

/**
 * The digest of the largest number of papers, at most `count` and at least one, whose HTML
 * is at most HTML_BYTES_MAX bytes. `render(n)` makes the digest of the first n papers; a
 * digest's size grows with n, so a binary search needs about log2(count) renders, and only
 * when the whole digest is too big.
 */
export async function largestThatFits<T>(
  count: number,
  render: (papers: number) => Promise<T>,
  htmlBytes: (digest: T) => number,
): Promise<T> {
  const whole = await render(count);
  if (count <= 1 || htmlBytes(whole) <= HTML_BYTES_MAX) return whole;
  // Invariant: the digest of `fits` papers fits (or fits is 1), that of `over` does not.
  let fits = 1;
  let over = count;
  let best: T | undefined;
  while (over - fits > 1) {
    const middle = (fits + over) >>> 1;
    const digest = await render(middle);
    if (htmlBytes(digest) <= HTML_BYTES_MAX) {
      fits = middle;
      best = digest;
    } else {
      over = middle;
    }
  }
  return best ?? render(1);
}
