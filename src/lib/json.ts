/**
 * JSON string literals in ASCII only (every character past 0x7E as a \uXXXX escape). The
 * digest fast path builds each email's part of the Resend request body from pieces escaped
 * once per edition, and ASCII keeps the whole body a one-byte string: V8 then neither
 * scans nor widens megabytes of HTML per request, and its UTF-8 bytes are the string's own.
 * JSON.parse reads it back as exactly the string JSON.stringify would have written.
 */

const HAS_NON_ASCII = /[\u007f-\uffff]/;
const NON_ASCII = /[\u007f-\uffff]/g;
const escapeChar = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * JSON.stringify in ASCII. Outside strings JSON is ASCII already, so escaping every
 * non-ASCII character of the output is escaping it inside the strings. A lone surrogate is
 * already escaped by JSON.stringify; a pair becomes two escapes, as JSON allows.
 */
export function asciiJson(value: unknown): string {
  const json = JSON.stringify(value);
  return HAS_NON_ASCII.test(json) ? json.replace(NON_ASCII, escapeChar) : json;
}

/** A string's ASCII JSON literal without the quotes: a piece of a literal built by concatenation. */
export function asciiJsonInner(value: string): string {
  return asciiJson(value).slice(1, -1);
}

/**
 * JSON text in pieces: ASCII strings made per email, and byte arrays (the UTF-8, i.e.
 * ASCII, of JSON text) encoded once per edition and shared by every email that uses them.
 * A request body is one buffer the pieces are copied into: no string of the whole email or
 * request is ever built.
 */
export type JsonChunks = (string | Uint8Array)[];

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** `asciiJsonInner(value)` as bytes, for a piece encoded once and copied many times. */
export function asciiJsonBytes(value: string): Uint8Array {
  return utf8.encode(asciiJsonInner(value));
}

export function chunksByteLength(chunks: JsonChunks): number {
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  return size;
}

/** Copies the chunks into `out` at `offset` and returns the offset after them. */
export function writeChunks(chunks: JsonChunks, out: Uint8Array, offset: number): number {
  let at = offset;
  for (const chunk of chunks) {
    if (typeof chunk === 'string') {
      const { written } = utf8.encodeInto(chunk, out.subarray(at));
      // Chunks are ASCII by construction; anything else would not fit its measured size.
      if (written !== chunk.length) throw new Error('JSON chunk is not ASCII');
      at += written;
    } else {
      out.set(chunk, at);
      at += chunk.length;
    }
  }
  return at;
}

/** The JSON text of the chunks as one string (the slow way, for whoever needs it decoded). */
export function chunksToString(chunks: JsonChunks): string {
  let text = '';
  for (const chunk of chunks) text += typeof chunk === 'string' ? chunk : utf8Decoder.decode(chunk);
  return text;
}

/**
 * The UTF-8 size of the string that JSON string literal pieces decode to, without decoding
 * them: ASCII bytes count one each, and each escape as the bytes of what it stands for.
 * The pieces hold whole escapes (they are escaped strings joined), and the literal's own
 * quotes are pieces of their own, which the caller leaves out.
 */
export function decodedUtf8Length(chunks: JsonChunks): number {
  let size = 0;
  for (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? utf8.encode(chunk) : chunk;
    size += bytes.length;
    for (let at = bytes.indexOf(0x5c); at >= 0; at = bytes.indexOf(0x5c, at)) {
      if (bytes[at + 1] !== 0x75) {
        // \" \\ \n …: two bytes for one.
        size -= 1;
        at += 2;
        continue;
      }
      const unit = hexUnit(bytes, at + 2);
      const pairs = unit >= 0xd800 && unit <= 0xdbff && bytes[at + 6] === 0x5c && bytes[at + 7] === 0x75;
      const low = pairs ? hexUnit(bytes, at + 8) : -1;
      if (low >= 0xdc00 && low <= 0xdfff) {
        // A surrogate pair, 12 bytes of escapes: one 4-byte character.
        size -= 8;
        at += 12;
      } else {
        // A lone surrogate encodes as U+FFFD, 3 bytes, like any unit past U+07FF.
        size -= 6 - (unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3);
        at += 6;
      }
    }
  }
  return size;
}

function hexUnit(bytes: Uint8Array, at: number): number {
  let unit = 0;
  for (let index = at; index < at + 4; index++) {
    const byte = bytes[index]!;
    unit = unit * 16 + (byte <= 0x39 ? byte - 0x30 : (byte | 0x20) - 0x57);
  }
  return unit;
}
