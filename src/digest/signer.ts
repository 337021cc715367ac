/**
 * Synchronous signed-link builder for the digest fast path. A digest carries 4 + 1 per
 * paper signed links; through WebCrypto each HMAC is an async call costing tens of
 * microseconds in workerd, more than assembling the whole email. This computes the same
 * HMAC-SHA256 in plain JavaScript from precomputed inner/outer key states (two or three
 * compression rounds per token) and builds exactly the URLs src/links.ts builds — same
 * claims, same order, same encoding; a test compares them for many subscribers, so
 * links.ts stays the definition and this only a faster way to compute it.
 */
import type { Config } from '../env';
import type { TokenClaims } from '../tokens';

const K = new Int32Array([
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

const W = new Int32Array(64);

/** One SHA-256 compression of the 64-byte block at `offset` into `state`. */
function compress(state: Int32Array, block: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    W[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + s1 + ch + K[i]! + W[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (s0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
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

const encoder = new TextEncoder();
const scratchState = new Int32Array(8);

/**
 * Hashes data[0, length) continuing from `initial` (which already absorbed `prefixBytes`,
 * a multiple of 64), writing the digest at out[outOffset]. `data` must have room for the
 * padding (length + 72 bytes); it is used as the padding buffer, so no allocation happens.
 */
function hashInto(
  initial: Int32Array,
  data: Uint8Array,
  length: number,
  prefixBytes: number,
  out: Uint8Array,
  outOffset: number,
): void {
  scratchState.set(initial);
  const paddedLength = Math.ceil((length + 9) / 64) * 64;
  data[length] = 0x80;
  for (let i = length + 1; i < paddedLength - 8; i++) data[i] = 0;
  const bits = (prefixBytes + length) * 8;
  const high = Math.floor(bits / 0x1_0000_0000);
  data[paddedLength - 8] = high >>> 24;
  data[paddedLength - 7] = (high >>> 16) & 255;
  data[paddedLength - 6] = (high >>> 8) & 255;
  data[paddedLength - 5] = high & 255;
  data[paddedLength - 4] = bits >>> 24;
  data[paddedLength - 3] = (bits >>> 16) & 255;
  data[paddedLength - 2] = (bits >>> 8) & 255;
  data[paddedLength - 1] = bits & 255;
  for (let offset = 0; offset < paddedLength; offset += 64) compress(scratchState, data, offset);
  for (let i = 0; i < 8; i++) {
    const word = scratchState[i]!;
    out[outOffset + i * 4] = word >>> 24;
    out[outOffset + i * 4 + 1] = (word >>> 16) & 255;
    out[outOffset + i * 4 + 2] = (word >>> 8) & 255;
    out[outOffset + i * 4 + 3] = word & 255;
  }
}

function sha256(bytes: Uint8Array): Uint8Array {
  const data = new Uint8Array(bytes.length + 72);
  data.set(bytes);
  const out = new Uint8Array(32);
  hashInto(INITIAL, data, bytes.length, 0, out, 0);
  return out;
}

interface KeyedMac {
  inner: Int32Array;
  outer: Int32Array;
  /** Inner state after the first 64 body bytes, by those bytes (a few subscribers at a time). */
  midstates: Map<string, Int32Array>;
}

const MIDSTATE_CACHE = 64;

function keyed(secret: string): KeyedMac {
  let key = encoder.encode(secret);
  if (key.length > 64) key = sha256(key);
  const inner = INITIAL.slice();
  const outer = INITIAL.slice();
  const pad = new Uint8Array(64);
  for (let i = 0; i < 64; i++) pad[i] = (key[i] ?? 0) ^ 0x36;
  compress(inner, pad, 0);
  for (let i = 0; i < 64; i++) pad[i] = (key[i] ?? 0) ^ 0x5c;
  compress(outer, pad, 0);
  return { inner, outer, midstates: new Map() };
}

const outerBuffer = new Uint8Array(32 + 72);
const digest = new Uint8Array(32);

/** HMAC-SHA256 keyed once: the ipad/opad blocks are hashed ahead of time. */
export function hmacSha256Sync(secret: string): (message: Uint8Array) => Uint8Array {
  const { inner, outer } = keyed(secret);
  return (message) => {
    const data = new Uint8Array(message.length + 72);
    data.set(message);
    hashInto(inner, data, message.length, 64, outerBuffer, 0);
    const out = new Uint8Array(32);
    hashInto(outer, outerBuffer, 32, 64, out, 0);
    return out;
  };
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

let jsonBuffer = new Uint8Array(1024);
let bodyBuffer = new Uint8Array(1500);

/** `base64url(JSON) + "." + base64url(HMAC(body))`, exactly as signToken builds it. */
function signJson(mac: KeyedMac, json: string): string {
  // JSON of our claims is ASCII unless an id is not; then fall back to TextEncoder.
  let bytes: Uint8Array = jsonBuffer;
  let length = json.length;
  let ascii = true;
  if (length > jsonBuffer.length) jsonBuffer = bytes = new Uint8Array(length * 2);
  for (let i = 0; i < length; i++) {
    const code = json.charCodeAt(i);
    if (code > 127) {
      ascii = false;
      break;
    }
    bytes[i] = code;
  }
  if (!ascii) {
    bytes = encoder.encode(json);
    length = bytes.length;
  }
  const body = base64Url(bytes, length);
  if (body.length + 72 > bodyBuffer.length) bodyBuffer = new Uint8Array((body.length + 72) * 2);
  if (body.length > 64) {
    // One subscriber's tokens share their first 64 body bytes (purpose and subscriber id):
    // hash that block once and continue from the saved state for every paper.
    const head = body.slice(0, 64);
    let state = mac.midstates.get(head);
    if (!state) {
      state = mac.inner.slice();
      for (let i = 0; i < 64; i++) bodyBuffer[i] = head.charCodeAt(i);
      compress(state, bodyBuffer, 0);
      if (mac.midstates.size >= MIDSTATE_CACHE) mac.midstates.clear();
      mac.midstates.set(head, state);
    }
    const rest = body.length - 64;
    for (let i = 0; i < rest; i++) bodyBuffer[i] = body.charCodeAt(64 + i);
    hashInto(state, bodyBuffer, rest, 128, outerBuffer, 0);
  } else {
    for (let i = 0; i < body.length; i++) bodyBuffer[i] = body.charCodeAt(i);
    hashInto(mac.inner, bodyBuffer, body.length, 64, outerBuffer, 0);
  }
  hashInto(mac.outer, outerBuffer, 32, 64, digest, 0);
  return `${body}.${base64Url(digest)}`;
}

interface LinkSubject {
  id: string;
  tokenVersion: number;
}

export interface SyncLinks {
  unsubscribe(subscriber: LinkSubject): string;
  preferences(subscriber: LinkSubject): string;
  feedback(subscriber: LinkSubject, paperId: string, vote: 'up' | 'down'): string;
  view(subscriber: LinkSubject, deliveryId: string): string;
  feed(subscriber: LinkSubject): string;
}

const builders = new WeakMap<object, SyncLinks>();

/** The links of src/links.ts, computed synchronously; cached per config object. */
export function syncLinks(config: Pick<Config, 'TOKEN_SECRET' | 'PUBLIC_URL'>): SyncLinks {
  const cached = builders.get(config);
  if (cached) return cached;
  const mac = keyed(config.TOKEN_SECRET);
  const sign = (claims: TokenClaims) => signJson(mac, JSON.stringify(claims));
  // Same resolution as links.ts (new URL(path, PUBLIC_URL/)); tokens are base64url and
  // '.', which URLSearchParams leaves as they are.
  const base = (path: string) => new URL(path, `${config.PUBLIC_URL}/`).toString();
  const paths = {
    unsubscribe: base('/unsubscribe'),
    preferences: base('/preferences'),
    feedback: base('/feedback'),
    view: base('/digest'),
    feed: base('/feed'),
  };
  const links: SyncLinks = {
    unsubscribe: (s) =>
      `${paths.unsubscribe}?token=${sign({ p: 'unsubscribe', s: s.id, v: s.tokenVersion })}`,
    preferences: (s) =>
      `${paths.preferences}?token=${sign({ p: 'preferences', s: s.id, v: s.tokenVersion })}`,
    feedback: (s, paperId, vote) =>
      `${paths.feedback}?token=${sign({ p: 'feedback', s: s.id, v: s.tokenVersion, x: paperId })}&vote=${vote}`,
    view: (s, deliveryId) =>
      `${paths.view}?token=${sign({ p: 'view', s: s.id, v: s.tokenVersion, x: deliveryId })}`,
    feed: (s) => `${paths.feed}?token=${sign({ p: 'feed', s: s.id, v: s.tokenVersion })}`,
  };
  builders.set(config, links);
  return links;
}
