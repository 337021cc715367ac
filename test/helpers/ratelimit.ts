/**
 * The sign-up limiter in tests is Miniflare's, which counts in fixed windows aligned to the
 * clock (60 s, like `simple = { period = 60 }` in wrangler.toml). A test that counts up to
 * the limit and expects the next request to be refused fails if a window ends halfway
 * through its requests (the count starts again): it happened on a busy machine. Such a test
 * first waits for a fresh window when fewer than `marginSeconds` of the current one are left.
 */
export async function clearOfLimiterWindowEdge(periodSeconds = 60, marginSeconds = 15): Promise<void> {
  const periodMs = periodSeconds * 1000;
  const left = periodMs - (Date.now() % periodMs);
  if (left < marginSeconds * 1000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}
