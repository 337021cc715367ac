/**
 * Synchronous signed-link builder for the digest fast path. A digest carries 4 + 1 per
 * paper signed links; through WebCrypto each HMAC is an async call costing tens of
 * microseconds in workerd, more than assembling the whole email. This computes the same
 * HMAC-SHA256 in plain JavaScript and builds exactly the URLs src/links.ts builds — same
 * claims, same order, same encoding; a test compares them for many subscribers, so
 * links.ts stays the definition and this only a faster way to compute it.
 *
 * Where the time goes, and why the code is shaped like this: a SHA-256 compression is the
 * unit of cost (~0.3–0.5 µs in V8). The key's ipad/opad blocks are hashed once per secret.
 * A subscriber's feedback tokens differ only in the paper id at the end of the claims, so
 * `forSubscriber` hashes the shared head of the token body once and every 👍/👎 token
 * then costs two compressions (its last inner block and the outer hash) and a few string
 * concatenations; the per-paper tail of the body is encoded once per paper id.
 */
import type { Config } from '../env';
import type { TokenClaims } from '../tokens';

const ROUND_CONSTANTS = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const INITIAL = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/**
 * One SHA-256 compression of the 16 big-endian words at `words[offset]` into `state`.
 *
 * Written out rather than looped because it is the unit of cost (43 per email): the 16
 * message words live in local variables, the schedule is updated in place 16 words at a
 * time, and the eight working variables are renamed round by round instead of shifted,
 * which measured ~25% faster in workerd than the textbook loop over a 64-word array.
 * Each round is t = h + Σ1(e) + Ch(e,f,g) + K + w; d += t; h = t + Σ0(a) +
 * Maj(a,b,c), with (a…h) rotating one place per round; σ/Σ are written inline because
 * V8 stops inlining small helpers after a few hundred call sites in one function. The
 * tests compare every HMAC with WebCrypto.
 */
// biome-ignore format: one line per step keeps the unrolled rounds readable
function compress(state: Int32Array, words: Int32Array, offset: number): void {
  const K = ROUND_CONSTANTS;
  let w0 = words[offset]!, w1 = words[offset + 1]!, w2 = words[offset + 2]!, w3 = words[offset + 3]!;
  let w4 = words[offset + 4]!, w5 = words[offset + 5]!, w6 = words[offset + 6]!, w7 = words[offset + 7]!;
  let w8 = words[offset + 8]!, w9 = words[offset + 9]!, w10 = words[offset + 10]!, w11 = words[offset + 11]!;
  let w12 = words[offset + 12]!, w13 = words[offset + 13]!, w14 = words[offset + 14]!, w15 = words[offset + 15]!;
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  let e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  let t: number;
  for (let i = 0; i < 64; i += 16) {
    if (i > 0) {
      // Message schedule for rounds i..i+15, in place over the previous 16 words:
      // w[j] += σ0(w[j+1]) + w[j+9] + σ1(w[j+14]) (indexes mod 16).
      w0 = (w0 + (((w1 >>> 7) | (w1 << 25)) ^ ((w1 >>> 18) | (w1 << 14)) ^ (w1 >>> 3)) + w9 + (((w14 >>> 17) | (w14 << 15)) ^ ((w14 >>> 19) | (w14 << 13)) ^ (w14 >>> 10))) | 0;
      w1 = (w1 + (((w2 >>> 7) | (w2 << 25)) ^ ((w2 >>> 18) | (w2 << 14)) ^ (w2 >>> 3)) + w10 + (((w15 >>> 17) | (w15 << 15)) ^ ((w15 >>> 19) | (w15 << 13)) ^ (w15 >>> 10))) | 0;
      w2 = (w2 + (((w3 >>> 7) | (w3 << 25)) ^ ((w3 >>> 18) | (w3 << 14)) ^ (w3 >>> 3)) + w11 + (((w0 >>> 17) | (w0 << 15)) ^ ((w0 >>> 19) | (w0 << 13)) ^ (w0 >>> 10))) | 0;
      w3 = (w3 + (((w4 >>> 7) | (w4 << 25)) ^ ((w4 >>> 18) | (w4 << 14)) ^ (w4 >>> 3)) + w12 + (((w1 >>> 17) | (w1 << 15)) ^ ((w1 >>> 19) | (w1 << 13)) ^ (w1 >>> 10))) | 0;
      w4 = (w4 + (((w5 >>> 7) | (w5 << 25)) ^ ((w5 >>> 18) | (w5 << 14)) ^ (w5 >>> 3)) + w13 + (((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10))) | 0;
      w5 = (w5 + (((w6 >>> 7) | (w6 << 25)) ^ ((w6 >>> 18) | (w6 << 14)) ^ (w6 >>> 3)) + w14 + (((w3 >>> 17) | (w3 << 15)) ^ ((w3 >>> 19) | (w3 << 13)) ^ (w3 >>> 10))) | 0;
      w6 = (w6 + (((w7 >>> 7) | (w7 << 25)) ^ ((w7 >>> 18) | (w7 << 14)) ^ (w7 >>> 3)) + w15 + (((w4 >>> 17) | (w4 << 15)) ^ ((w4 >>> 19) | (w4 << 13)) ^ (w4 >>> 10))) | 0;
      w7 = (w7 + (((w8 >>> 7) | (w8 << 25)) ^ ((w8 >>> 18) | (w8 << 14)) ^ (w8 >>> 3)) + w0 + (((w5 >>> 17) | (w5 << 15)) ^ ((w5 >>> 19) | (w5 << 13)) ^ (w5 >>> 10))) | 0;
      w8 = (w8 + (((w9 >>> 7) | (w9 << 25)) ^ ((w9 >>> 18) | (w9 << 14)) ^ (w9 >>> 3)) + w1 + (((w6 >>> 17) | (w6 << 15)) ^ ((w6 >>> 19) | (w6 << 13)) ^ (w6 >>> 10))) | 0;
      w9 = (w9 + (((w10 >>> 7) | (w10 << 25)) ^ ((w10 >>> 18) | (w10 << 14)) ^ (w10 >>> 3)) + w2 + (((w7 >>> 17) | (w7 << 15)) ^ ((w7 >>> 19) | (w7 << 13)) ^ (w7 >>> 10))) | 0;
      w10 = (w10 + (((w11 >>> 7) | (w11 << 25)) ^ ((w11 >>> 18) | (w11 << 14)) ^ (w11 >>> 3)) + w3 + (((w8 >>> 17) | (w8 << 15)) ^ ((w8 >>> 19) | (w8 << 13)) ^ (w8 >>> 10))) | 0;
      w11 = (w11 + (((w12 >>> 7) | (w12 << 25)) ^ ((w12 >>> 18) | (w12 << 14)) ^ (w12 >>> 3)) + w4 + (((w9 >>> 17) | (w9 << 15)) ^ ((w9 >>> 19) | (w9 << 13)) ^ (w9 >>> 10))) | 0;
      w12 = (w12 + (((w13 >>> 7) | (w13 << 25)) ^ ((w13 >>> 18) | (w13 << 14)) ^ (w13 >>> 3)) + w5 + (((w10 >>> 17) | (w10 << 15)) ^ ((w10 >>> 19) | (w10 << 13)) ^ (w10 >>> 10))) | 0;
      w13 = (w13 + (((w14 >>> 7) | (w14 << 25)) ^ ((w14 >>> 18) | (w14 << 14)) ^ (w14 >>> 3)) + w6 + (((w11 >>> 17) | (w11 << 15)) ^ ((w11 >>> 19) | (w11 << 13)) ^ (w11 >>> 10))) | 0;
      w14 = (w14 + (((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3)) + w7 + (((w12 >>> 17) | (w12 << 15)) ^ ((w12 >>> 19) | (w12 << 13)) ^ (w12 >>> 10))) | 0;
      w15 = (w15 + (((w0 >>> 7) | (w0 << 25)) ^ ((w0 >>> 18) | (w0 << 14)) ^ (w0 >>> 3)) + w8 + (((w13 >>> 17) | (w13 << 15)) ^ ((w13 >>> 19) | (w13 << 13)) ^ (w13 >>> 10))) | 0;
    }
    t = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[i + 0]! + w0) | 0;
    d = (d + t) | 0;
    h = (t + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    t = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + ((d & e) ^ (~d & f)) + K[i + 1]! + w1) | 0;
    c = (c + t) | 0;
    g = (t + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) ^ (h & b) ^ (a & b))) | 0;
    t = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + ((c & d) ^ (~c & e)) + K[i + 2]! + w2) | 0;
    b = (b + t) | 0;
    f = (t + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) ^ (g & a) ^ (h & a))) | 0;
    t = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + ((b & c) ^ (~b & d)) + K[i + 3]! + w3) | 0;
    a = (a + t) | 0;
    e = (t + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & h) ^ (g & h))) | 0;
    t = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + ((a & b) ^ (~a & c)) + K[i + 4]! + w4) | 0;
    h = (h + t) | 0;
    d = (t + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
    t = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + ((h & a) ^ (~h & b)) + K[i + 5]! + w5) | 0;
    g = (g + t) | 0;
    c = (t + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
    t = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + ((g & h) ^ (~g & a)) + K[i + 6]! + w6) | 0;
    f = (f + t) | 0;
    b = (t + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
    t = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + ((f & g) ^ (~f & h)) + K[i + 7]! + w7) | 0;
    e = (e + t) | 0;
    a = (t + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
    t = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[i + 8]! + w8) | 0;
    d = (d + t) | 0;
    h = (t + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    t = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + ((d & e) ^ (~d & f)) + K[i + 9]! + w9) | 0;
    c = (c + t) | 0;
    g = (t + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) ^ (h & b) ^ (a & b))) | 0;
    t = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + ((c & d) ^ (~c & e)) + K[i + 10]! + w10) | 0;
    b = (b + t) | 0;
    f = (t + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) ^ (g & a) ^ (h & a))) | 0;
    t = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + ((b & c) ^ (~b & d)) + K[i + 11]! + w11) | 0;
    a = (a + t) | 0;
    e = (t + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & h) ^ (g & h))) | 0;
    t = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + ((a & b) ^ (~a & c)) + K[i + 12]! + w12) | 0;
    h = (h + t) | 0;
    d = (t + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
    t = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + ((h & a) ^ (~h & b)) + K[i + 13]! + w13) | 0;
    g = (g + t) | 0;
    c = (t + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
    t = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + ((g & h) ^ (~g & a)) + K[i + 14]! + w14) | 0;
    f = (f + t) | 0;
    b = (t + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
    t = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + ((f & g) ^ (~f & h)) + K[i + 15]! + w15) | 0;
    e = (e + t) | 0;
    a = (t + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/**
 * Copies a hash state. A plain loop: TypedArray.prototype.set costs more than copying
 * eight words, and this runs three times per token.
 */
function copyState(from: Int32Array, to: Int32Array): void {
  for (let i = 0; i < 8; i++) to[i] = from[i]!;
}

/** Packs `blocks` 64-byte blocks of `bytes` into big-endian words. */
function pack(bytes: Uint8Array, words: Int32Array, blocks: number): void {
  for (let i = 0, j = 0; i < blocks * 16; i++, j += 4) {
    words[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
}

let tailBytes = new Uint8Array(256);
let tailWords = new Int32Array(64);
const hashState = new Int32Array(8);

/**
 * Pads a message in place: its last `length` bytes sit in `tailBytes[0, length)` after
 * `absorbed` bytes (a multiple of 64) already hashed. Returns the number of 64-byte
 * blocks to compress.
 */
function pad(absorbed: number, length: number): number {
  const blocks = Math.ceil((length + 9) / 64);
  const padded = blocks * 64;
  tailBytes[length] = 0x80;
  tailBytes.fill(0, length + 1, padded - 8);
  const bits = (absorbed + length) * 8;
  const high = Math.floor(bits / 0x1_0000_0000);
  for (let i = 0; i < 4; i++) {
    tailBytes[padded - 8 + i] = (high >>> (24 - 8 * i)) & 255;
    tailBytes[padded - 4 + i] = (bits >>> (24 - 8 * i)) & 255;
  }
  return blocks;
}

/**
 * Finishes a hash: `state` has absorbed `absorbed` bytes (a multiple of 64); the last
 * `length` bytes of the message sit in `tailBytes[0, length)`. Pads them, compresses and
 * leaves the digest in `hashState`.
 */
function finish(state: Int32Array, absorbed: number, length: number): void {
  const blocks = pad(absorbed, length);
  pack(tailBytes, tailWords, blocks);
  copyState(state, hashState);
  for (let block = 0; block < blocks; block++) compress(hashState, tailWords, block * 16);
}

/** Room for `length` message bytes plus padding in the tail scratch buffers. */
function reserve(length: number): void {
  if (length + 72 <= tailBytes.length) return;
  tailBytes = new Uint8Array((length + 72) * 2);
  tailWords = new Int32Array(tailBytes.length / 4);
}

/** The outer hash's only block: inner digest, then fixed padding for a 96-byte message. */
const outerWords = new Int32Array(16);
outerWords[8] = 0x80000000 | 0;
outerWords[15] = (64 + 32) * 8;
const macBytes = new Uint8Array(32);

interface KeyedMac {
  inner: Int32Array;
  outer: Int32Array;
}

/** HMAC of a message whose inner hash is finished in `hashState`; result in `macBytes`. */
function outerHash(mac: KeyedMac): Uint8Array {
  for (let i = 0; i < 8; i++) outerWords[i] = hashState[i]!;
  copyState(mac.outer, hashState);
  compress(hashState, outerWords, 0);
  for (let i = 0; i < 8; i++) {
    const word = hashState[i]!;
    macBytes[i * 4] = word >>> 24;
    macBytes[i * 4 + 1] = (word >>> 16) & 255;
    macBytes[i * 4 + 2] = (word >>> 8) & 255;
    macBytes[i * 4 + 3] = word & 255;
  }
  return macBytes;
}

/** HMAC-SHA256 of `bytes` (any length) with precomputed key states. */
function hmacBytes(mac: KeyedMac, bytes: Uint8Array): Uint8Array {
  const full = Math.floor(bytes.length / 64);
  const state = mac.inner.slice();
  if (full > 0) {
    const words = new Int32Array(full * 16);
    pack(bytes, words, full);
    for (let block = 0; block < full; block++) compress(state, words, block * 16);
  }
  const rest = bytes.length - full * 64;
  reserve(rest);
  tailBytes.set(bytes.subarray(full * 64));
  finish(state, 64 + full * 64, rest);
  return outerHash(mac);
}

const encoder = new TextEncoder();

function sha256(bytes: Uint8Array): Uint8Array {
  const full = Math.floor(bytes.length / 64);
  const state = INITIAL.slice();
  const words = new Int32Array(full * 16);
  pack(bytes, words, full);
  for (let block = 0; block < full; block++) compress(state, words, block * 16);
  reserve(bytes.length - full * 64);
  tailBytes.set(bytes.subarray(full * 64));
  finish(state, full * 64, bytes.length - full * 64);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = (hashState[i >> 2]! >>> (24 - 8 * (i & 3))) & 255;
  return out;
}

function keyed(secret: string): KeyedMac {
  let key = encoder.encode(secret);
  if (key.length > 64) key = sha256(key);
  const pad = new Uint8Array(64);
  const words = new Int32Array(16);
  const inner = INITIAL.slice();
  const outer = INITIAL.slice();
  for (let i = 0; i < 64; i++) pad[i] = (key[i] ?? 0) ^ 0x36;
  pack(pad, words, 1);
  compress(inner, words, 0);
  for (let i = 0; i < 64; i++) pad[i] = (key[i] ?? 0) ^ 0x5c;
  pack(pad, words, 1);
  compress(outer, words, 0);
  return { inner, outer };
}

/** HMAC-SHA256 keyed once: the ipad/opad blocks are hashed ahead of time. */
export function hmacSha256Sync(secret: string): (message: Uint8Array) => Uint8Array {
  const mac = keyed(secret);
  return (message) => hmacBytes(mac, message).slice();
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Two base64 characters per 12 bits: halves the string concatenations. */
const PAIRS: string[] = Array.from({ length: 4096 }, (_, n) => ALPHABET[n >>> 6]! + ALPHABET[n & 63]!);

/** Unpadded base64url, as src/lib/crypto.ts encodes. */
export function base64Url(bytes: Uint8Array, length = bytes.length): string {
  let out = '';
  let i = 0;
  for (; i + 2 < length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += PAIRS[n >>> 12]! + PAIRS[n & 4095]!;
  }
  const rest = length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!;
  }
  return out;
}

const bodyState = new Int32Array(8);
const blockWords = new Int32Array(16);

/**
 * HMAC-SHA256 of the ASCII bytes `bytes[0, length)` (a token body) without allocating.
 * The result is in the shared `macBytes`.
 */
function hmacAscii(mac: KeyedMac, bytes: Uint8Array, length: number): Uint8Array {
  copyState(mac.inner, bodyState);
  const full = length >>> 6;
  for (let block = 0; block < full; block++) {
    for (let i = 0, j = block * 64; i < 16; i++, j += 4) {
      blockWords[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
    }
    compress(bodyState, blockWords, 0);
  }
  const rest = length - full * 64;
  reserve(rest);
  for (let i = 0; i < rest; i++) tailBytes[i] = bytes[full * 64 + i]!;
  finish(bodyState, 64 + full * 64, rest);
  return outerHash(mac);
}

const BASE64_CODES = Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0));

/** Writes the unpadded base64url ASCII codes of `bytes[0, length)` at out[at]; returns the end. */
function base64Codes(bytes: Uint8Array, length: number, out: Uint8Array, at: number): number {
  let o = at;
  let i = 0;
  for (; i + 2 < length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = BASE64_CODES[n >>> 18]!;
    out[o++] = BASE64_CODES[(n >>> 12) & 63]!;
    out[o++] = BASE64_CODES[(n >>> 6) & 63]!;
    out[o++] = BASE64_CODES[n & 63]!;
  }
  const rest = length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = BASE64_CODES[n >>> 18]!;
    out[o++] = BASE64_CODES[(n >>> 12) & 63]!;
    if (rest === 2) out[o++] = BASE64_CODES[(n >>> 6) & 63]!;
  }
  return o;
}

let utf8Scratch = new Uint8Array(512);

/**
 * UTF-8 of `text` in a scratch buffer, valid until the next call. Claims are ASCII unless
 * an id is not, and copying char codes is much cheaper than a TextEncoder call.
 */
function utf8(text: string): { bytes: Uint8Array; length: number } {
  if (text.length > utf8Scratch.length) utf8Scratch = new Uint8Array(text.length * 2);
  const bytes = utf8Scratch;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 127) {
      const encoded = encoder.encode(text);
      return { bytes: encoded, length: encoded.length };
    }
    bytes[i] = code;
  }
  return { bytes, length: text.length };
}

let tokenCodes = new Uint8Array(1024);
/** ASCII → string in one native call, cheaper than building it a character pair at a time. */
const asciiDecoder = new TextDecoder();

/**
 * `base64url(JSON) + "." + base64url(HMAC(body))`, exactly as signToken builds it, working
 * in byte buffers: the JSON's bytes, the body's ASCII codes (hashed as they are) and the
 * token, decoded to a string once.
 */
function signJson(mac: KeyedMac, json: string): string {
  const { bytes, length } = utf8(json);
  const bodyLength = Math.ceil((length * 4) / 3);
  if (bodyLength + 48 > tokenCodes.length) tokenCodes = new Uint8Array((bodyLength + 48) * 2);
  const codes = tokenCodes;
  base64Codes(bytes, length, codes, 0);
  hmacAscii(mac, codes, bodyLength);
  codes[bodyLength] = 0x2e; // '.'
  const end = base64Codes(macBytes, 32, codes, bodyLength + 1);
  return asciiDecoder.decode(codes.subarray(0, end));
}

interface LinkSubject {
  id: string;
  tokenVersion: number;
}

/** The query that follows a feedback token, as src/links.ts appends it. */
export const VOTE_QUERY = { up: '&vote=up', down: '&vote=down' } as const;

/** One subscriber's link tokens; a link is `bases[kind] + token` (+ VOTE_QUERY for feedback). */
export interface SubscriberTokens {
  unsubscribe: string;
  preferences: string;
  view: string;
  feed: string;
  /** 👍 and 👎 share one token per (subscriber, paper): only the `vote` parameter differs. */
  feedback(paperId: string): string;
}

export interface SyncLinks {
  /** Each link's URL up to its token: `https://…/unsubscribe?token=`. */
  bases: { unsubscribe: string; preferences: string; feedback: string; view: string; feed: string };
  tokens(subscriber: LinkSubject, deliveryId: string): SubscriberTokens;
  unsubscribe(subscriber: LinkSubject): string;
  preferences(subscriber: LinkSubject): string;
  feedback(subscriber: LinkSubject, paperId: string, vote: 'up' | 'down'): string;
  view(subscriber: LinkSubject, deliveryId: string): string;
  feed(subscriber: LinkSubject): string;
}

/** The end of one paper's feedback token body, for subscribers of one head layout. */
interface FeedbackTail {
  /** base64url of the head's leftover bytes + JSON(paper id) + "}". */
  text: string;
  /**
   * The inner hash's last block(s) as words with only the tail's bytes, its padding and
   * the message length set; the subscriber's remaining head bytes are OR-ed in per token.
   */
  words: Int32Array;
  blocks: number;
}

const TAIL_CACHE = 20_000;
/** Per-subscriber words of the head bytes that precede a tail in its last block(s). */
let lastBlocks = new Int32Array(32);

/**
 * Feedback tokens of one subscriber. The claims JSON is `head + JSON(paperId) + "}"`
 * where head = `{"p":"feedback","s":…,"v":…,"x":`, the same for every paper. base64
 * works in 3-byte groups, so the first ⌊|head|/3⌋·3 bytes encode to a fixed string
 * `headText`; the `|head| mod 3` leftover bytes are always the last bytes of `"x":` (the
 * head ends with it). The inner hash of headText's full 64-byte blocks is computed once
 * per subscriber; what follows them (the rest of headText, then the paper's part) depends
 * only on the paper and on the lengths involved, identical for every subscriber whose ids
 * have the same length, so each paper's final block is prepared once per such layout and
 * a token costs two compressions and a few string concatenations.
 */
class FeedbackSigner {
  private readonly headText: string;
  private readonly midstate: Int32Array;
  /** headText's bytes after the absorbed blocks, as big-endian words (zero padded). */
  private readonly headWords: Int32Array;
  private readonly tails: Map<string, FeedbackTail>;
  private readonly leftover: Uint8Array;
  private readonly headRest: number;
  private readonly absorbed: number;

  constructor(
    private readonly mac: KeyedMac,
    head: string,
    tailCaches: Map<string, Map<string, FeedbackTail>>,
  ) {
    const { bytes, length: headLength } = utf8(head);
    const whole = headLength - (headLength % 3);
    this.leftover = bytes.slice(whole, headLength);
    const codes = new Uint8Array(Math.ceil((whole * 4) / 3) + 64);
    const length = base64Codes(bytes, whole, codes, 0);
    this.headText = asciiDecoder.decode(codes.subarray(0, length));
    const full = length >>> 6;
    this.midstate = mac.inner.slice();
    for (let block = 0; block < full; block++) {
      pack(codes.subarray(block * 64), blockWords, 1);
      compress(this.midstate, blockWords, 0);
    }
    this.absorbed = 64 + full * 64;
    this.headRest = length - full * 64;
    this.headWords = new Int32Array(16);
    pack(codes.subarray(full * 64), this.headWords, 1);
    for (let i = this.headRest; i < 64; i++) {
      // Only headRest bytes of the packed block belong to the head: clear the rest.
      this.headWords[i >> 2]! &= ~(0xff << (24 - 8 * (i & 3)));
    }
    const layout = `${this.leftover.length}:${this.headRest}:${this.absorbed}`;
    let tails = tailCaches.get(layout);
    if (!tails) {
      tails = new Map();
      tailCaches.set(layout, tails);
    }
    this.tails = tails;
  }

  private tail(paperId: string): FeedbackTail {
    let tail = this.tails.get(paperId);
    if (!tail) {
      const paper = encoder.encode(`${JSON.stringify(paperId)}}`);
      const bytes = new Uint8Array(this.leftover.length + paper.length);
      bytes.set(this.leftover);
      bytes.set(paper, this.leftover.length);
      const text = base64Url(bytes);
      // Bytes [0, headRest) stay zero for the subscriber's head; then the tail and padding.
      const length = this.headRest + text.length;
      reserve(length);
      tailBytes.fill(0, 0, this.headRest);
      for (let i = 0; i < text.length; i++) tailBytes[this.headRest + i] = text.charCodeAt(i);
      const blocks = pad(this.absorbed, length);
      const words = new Int32Array(blocks * 16);
      pack(tailBytes, words, blocks);
      tail = { text, words, blocks };
      if (this.tails.size >= TAIL_CACHE) this.tails.clear();
      this.tails.set(paperId, tail);
    }
    return tail;
  }

  token(paperId: string): string {
    const tail = this.tail(paperId);
    const words = tail.words;
    if (words.length > lastBlocks.length) lastBlocks = new Int32Array(words.length);
    for (let i = 0; i < 16; i++) lastBlocks[i] = this.headWords[i]! | words[i]!;
    for (let i = 16; i < words.length; i++) lastBlocks[i] = words[i]!;
    copyState(this.midstate, hashState);
    for (let block = 0; block < tail.blocks; block++) compress(hashState, lastBlocks, block * 16);
    return `${this.headText}${tail.text}.${base64Url(outerHash(this.mac), 32)}`;
  }
}

const builders = new WeakMap<object, SyncLinks>();

/** The links of src/links.ts, computed synchronously; cached per config object. */
export function syncLinks(config: Pick<Config, 'TOKEN_SECRET' | 'PUBLIC_URL'>): SyncLinks {
  const cached = builders.get(config);
  if (cached) return cached;
  const mac = keyed(config.TOKEN_SECRET);
  // Same resolution as links.ts (new URL(path, PUBLIC_URL/)); tokens are base64url and
  // '.', which URLSearchParams leaves as they are.
  const base = (path: string) => `${new URL(path, `${config.PUBLIC_URL}/`).toString()}?token=`;
  const bases = {
    unsubscribe: base('/unsubscribe'),
    preferences: base('/preferences'),
    feedback: base('/feedback'),
    view: base('/digest'),
    feed: base('/feed'),
  };
  const tailCaches = new Map<string, Map<string, FeedbackTail>>();
  // The claims JSON exactly as JSON.stringify({p, s, v, x?}) writes it.
  const subjectJson = (s: LinkSubject) => `"s":${JSON.stringify(s.id)},"v":${JSON.stringify(s.tokenVersion)}`;
  let last: { id: string; tokenVersion: number; signer: FeedbackSigner } | null = null;
  const feedbackSigner = (s: LinkSubject, sv = subjectJson(s)) => {
    if (last?.id !== s.id || last.tokenVersion !== s.tokenVersion) {
      const head = `{"p":"feedback",${sv},"x":`;
      last = { id: s.id, tokenVersion: s.tokenVersion, signer: new FeedbackSigner(mac, head, tailCaches) };
    }
    return last.signer;
  };
  const tokens = (s: LinkSubject, deliveryId: string): SubscriberTokens => {
    const sv = subjectJson(s);
    const signer = feedbackSigner(s, sv);
    return {
      unsubscribe: signJson(mac, `{"p":"unsubscribe",${sv}}`),
      preferences: signJson(mac, `{"p":"preferences",${sv}}`),
      view: signJson(mac, `{"p":"view",${sv},"x":${JSON.stringify(deliveryId)}}`),
      feed: signJson(mac, `{"p":"feed",${sv}}`),
      feedback: (paperId) => signer.token(paperId),
    };
  };
  const sign = (claims: TokenClaims) => signJson(mac, JSON.stringify(claims));
  const links: SyncLinks = {
    bases,
    tokens,
    unsubscribe: (s) => bases.unsubscribe + sign({ p: 'unsubscribe', s: s.id, v: s.tokenVersion }),
    preferences: (s) => bases.preferences + sign({ p: 'preferences', s: s.id, v: s.tokenVersion }),
    feedback: (s, paperId, vote) => bases.feedback + feedbackSigner(s).token(paperId) + VOTE_QUERY[vote],
    view: (s, deliveryId) => bases.view + sign({ p: 'view', s: s.id, v: s.tokenVersion, x: deliveryId }),
    feed: (s) => bases.feed + sign({ p: 'feed', s: s.id, v: s.tokenVersion }),
  };
  builders.set(config, links);
  return links;
}
