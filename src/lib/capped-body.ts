/**
 * A body read only up to a byte cap, counted as it streams: a Content-Length can be absent
 * (chunked) or wrong, and reading first and measuring after would already have buffered
 * whatever was sent. Public form routes cap what a client may make them hold, and the
 * ingest caps what an upstream gone wrong may make the isolate hold.
 */

/** The body's bytes, or null once it passes `max` bytes (the rest is not read: the stream is cancelled). */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  max: number,
): Promise<Uint8Array | null> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
