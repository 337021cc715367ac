/**
 * JSON text in pieces (src/lib/json.ts), the form request bodies are copied together from:
 * strings, byte arrays, nested lists and writers (a digest's html and text) give the same
 * text whether measured, written into a body or decoded, and a writer that writes other
 * than it said is refused rather than leaving bytes of an earlier body in the buffer.
 */
import { describe, expect, it } from 'vitest';
import {
  chunksByteLength,
  chunksToString,
  type JsonChunks,
  type JsonWriter,
  writeChunks,
} from '../../src/lib/json';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A writer of `text` (ASCII) that claims `bytes` bytes. */
function writer(text: string, bytes = text.length): JsonWriter {
  return {
    bytes,
    write(out, offset) {
      out.set(encoder.encode(text), offset);
      return offset + text.length;
    },
    chunks: () => [text],
  };
}

describe('JSON pieces', () => {
  it('measure, write and decode alike, writers and nested lists included', () => {
    const chunks: JsonChunks = [
      '{"html":',
      [writer('"<p>a\\u201cb</p>"')],
      ',"text":',
      ['"', encoder.encode('x\\ny'), [writer('z')], '"'],
      `,"to":"${'r'.repeat(300)}@example.org"}`,
    ];
    const text = chunksToString(chunks);
    expect(JSON.parse(text)).toEqual({
      html: '<p>a“b</p>',
      text: 'x\nyz',
      to: `${'r'.repeat(300)}@example.org`,
    });
    expect(chunksByteLength(chunks)).toBe(text.length);
    const out = new Uint8Array(text.length + 3).fill(0x2a);
    expect(writeChunks(chunks, out, 2)).toBe(text.length + 2);
    expect(decoder.decode(out)).toBe(`**${text}*`);
  });

  it('refuses a writer that writes other than the bytes it counted', () => {
    const out = new Uint8Array(64);
    expect(() => writeChunks(['[', writer('"abc"', 6), ']'], out, 0)).toThrow(
      /JSON writer wrote 5 of 6 bytes/,
    );
  });
});
