/**
 * JSON string literals in ASCII only (every character past 0x7E as a \uXXXX escape). The
 * digest fast path builds each email's part of the Resend request body from pieces escaped
 * once per edition, and ASCII keeps the whole body a one-byte string: V8 then neither
 * scans nor widens megabytes of HTML per request, and its UTF-8 bytes are the string's own.
 * JSON.parse reads it back as exactly the string JSON.stringify would have written.
 * Short pieces are turned into bytes and back by a loop, not TextEncoder: a call into the
 * runtime's encoder costs more than the few dozen characters a label or token has, and an
 * email has dozens of them.
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
 * JSON text in pieces: ASCII strings made per email, byte arrays (the UTF-8, i.e. ASCII,
 * of JSON text) encoded once per edition and shared by every email that uses them, and
 * lists of pieces (an email's html and text, kept as the assembler built them rather than
 * copied into the list of the email's fields). A request body is one buffer the pieces are
 * copied into: no string of the whole email or request is ever built.
 */
export type JsonChunks = (string | Uint8Array | JsonChunks)[];

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Strings up to this long are copied by a loop; longer ones by the runtime's encoder. */
const SHORT = 256;

/** A string's UTF-8 bytes, which for ASCII (every JSON piece here, every token) are its characters. */
export function asciiBytes(value: string): Uint8Array {
  if (value.length > SHORT) return utf8.encode(value);
  const bytes = new Uint8Array(value.length);
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code > 0x7f) return utf8.encode(value);
    bytes[index] = code;
  }
  return bytes;
}

const HEX = '0123456789abcdef';
/** JSON.stringify's two-character escapes (QuoteJSONString), by code unit; 0: none. */
const SHORT_ESCAPE = new Uint8Array(0x60);
for (const [code, letter] of [
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x22, '"'],
  [0x5c, '\\'],
] as const)
  SHORT_ESCAPE[code] = letter.charCodeAt(0);

/** Bytes of a code unit in an ASCII JSON literal: itself, a two-character or a \uXXXX escape. */
const escapedLength = (code: number): number =>
  code >= 0x7f || (code < 0x20 && SHORT_ESCAPE[code] === 0) ? 6 : code < 0x60 && SHORT_ESCAPE[code] ? 2 : 1;

/**
 * `asciiJsonInner(value)` as bytes, for a piece encoded once and copied many times. Short
 * strings (labels, addresses, preheaders: a few per email) are escaped in one pass, as
 * JSON.stringify escapes them and then every code unit past 0x7E as \uXXXX (lowercase,
 * like JSON.stringify's own); the tests hold it to that for every code unit.
 */
export function asciiJsonBytes(value: string): Uint8Array {
  if (value.length > SHORT) return asciiBytes(asciiJsonInner(value));
  let size = 0;
  for (let index = 0; index < value.length; index++) size += escapedLength(value.charCodeAt(index));
  const bytes = new Uint8Array(size);
  let at = 0;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    const length = escapedLength(code);
    if (length === 1) {
      bytes[at++] = code;
    } else if (length === 2) {
      bytes[at++] = 0x5c;
      bytes[at++] = SHORT_ESCAPE[code]!;
    } else {
      bytes[at++] = 0x5c;
      bytes[at++] = 0x75; // u
      bytes[at++] = HEX.charCodeAt(code >> 12);
      bytes[at++] = HEX.charCodeAt((code >> 8) & 15);
      bytes[at++] = HEX.charCodeAt((code >> 4) & 15);
      bytes[at++] = HEX.charCodeAt(code & 15);
    }
  }
  return bytes;
}

/**
 * Sizes of lists of pieces whose builder counted them as it went (an email's html and
 * text): measured once, not again by the size check and by the request body. A list is
 * never added to once its size is known; if it were, the body's own check would refuse it.
 */
const knownSizes = new WeakMap<JsonChunks, number>();

/** Records the size of a finished list of pieces (the builder's count). */
export function sizedChunks(chunks: JsonChunks, bytes: number): JsonChunks {
  knownSizes.set(chunks, bytes);
  return chunks;
}

export function chunksByteLength(chunks: JsonChunks): number {
  const known = knownSizes.get(chunks);
  if (known !== undefined) return known;
  let size = 0;
  for (const chunk of chunks) size += Array.isArray(chunk) ? chunksByteLength(chunk) : chunk.length;
  return size;
}

/** Copies the chunks into `out` at `offset` and returns the offset after them. */
export function writeChunks(chunks: JsonChunks, out: Uint8Array, offset: number): number {
  let at = offset;
  for (const chunk of chunks) {
    if (typeof chunk === 'string') {
      // Chunks are ASCII by construction; anything else would not fit its measured size.
      if (chunk.length > SHORT) {
        const { written } = utf8.encodeInto(chunk, out.subarray(at));
        if (written !== chunk.length) throw new Error('JSON chunk is not ASCII');
        at += written;
      } else {
        for (let index = 0; index < chunk.length; index++) {
          const code = chunk.charCodeAt(index);
          if (code > 0x7f) throw new Error('JSON chunk is not ASCII');
          out[at++] = code;
        }
      }
    } else if (Array.isArray(chunk)) {
      at = writeChunks(chunk, out, at);
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
  for (const chunk of chunks) {
    if (typeof chunk === 'string') text += chunk;
    else text += Array.isArray(chunk) ? chunksToString(chunk) : utf8Decoder.decode(chunk);
  }
  return text;
}
