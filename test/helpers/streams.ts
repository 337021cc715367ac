/**
 * A request body of unknown length, as a chunked upload sends it: 160 chunks of 64 kB
 * (10 MB) on offer, and a count of how many the server pulled, so a test can check that a
 * route stopped reading at its cap instead of buffering everything first.
 */
export function endlessBody(): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += 1;
      if (pulled > 160) controller.close();
      else controller.enqueue(chunk);
    },
  });
  return { body, pulled: () => pulled };
}
