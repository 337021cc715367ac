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
import { escapeHtml } from './html';

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

/** Message schedule scratch, shared: compress is synchronous and not re-entrant. */
const SCHEDULE = new Int32Array(64);

/**
 * One SHA-256 compression of the 16 big-endian words at `words[offset]` into `state`.
 * Taking words rather than bytes keeps byte packing out of the hot loop.
 */
function compress(state: Int32Array, words: Int32Array, offset: number): void {
  // Bundlers turn module-level `const` into `var`, which V8 must re-load on every access
  // in the loops below; local constants measured 1.4× faster.
  const W = SCHEDULE;
  const K = ROUND_CONSTANTS;
  for (let i = 0; i < 16; i++) W[i] = words[offset + i]!;
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
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + ((s0 + maj) | 0)) | 0;
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
 * Finishes a hash: `state` has absorbed `absorbed` bytes (a multiple of 64); the last
 * `length` bytes of the message sit in `tailBytes[0, length)`. Pads them, compresses and
 * leaves the digest in `hashState`.
 */
function finish(state: Int32Array, absorbed: number, length: number): void {
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
  pack(tailBytes, tailWords, blocks);
  hashState.set(state);
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
  hashState.set(mac.outer);
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

/** ASCII bytes of a base64url string (the token body is what gets MACed). */
function asciiBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

const bodyState = new Int32Array(8);
const blockWords = new Int32Array(16);

/**
 * HMAC-SHA256 of an ASCII string (a token body) straight from its char codes, without
 * allocating: four of these per email. The result is in the shared `macBytes`.
 */
function hmacAscii(mac: KeyedMac, text: string): Uint8Array {
  bodyState.set(mac.inner);
  const full = text.length >>> 6;
  for (let block = 0; block < full; block++) {
    for (let i = 0, j = block * 64; i < 16; i++, j += 4) {
      blockWords[i] =
        (text.charCodeAt(j) << 24) |
        (text.charCodeAt(j + 1) << 16) |
        (text.charCodeAt(j + 2) << 8) |
        text.charCodeAt(j + 3);
    }
    compress(bodyState, blockWords, 0);
  }
  const rest = text.length - full * 64;
  reserve(rest);
  for (let i = 0; i < rest; i++) tailBytes[i] = text.charCodeAt(full * 64 + i);
  finish(bodyState, 64 + full * 64, rest);
  return outerHash(mac);
}

let jsonBytes = new Uint8Array(512);

/** base64url of the UTF-8 of `json`; claims are ASCII unless an id is not. */
function base64Json(json: string): string {
  if (json.length > jsonBytes.length) jsonBytes = new Uint8Array(json.length * 2);
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i);
    if (code > 127) return base64Url(encoder.encode(json));
    jsonBytes[i] = code;
  }
  return base64Url(jsonBytes, json.length);
}

/** `base64url(JSON) + "." + base64url(HMAC(body))`, exactly as signToken builds it. */
function signJson(mac: KeyedMac, json: string): string {
  const body = base64Json(json);
  return `${body}.${base64Url(hmacAscii(mac, body), 32)}`;
}

interface LinkSubject {
  id: string;
  tokenVersion: number;
}

/** A URL both as text and as HTML-escaped attribute value (what React would emit). */
export interface LinkPair {
  text: string;
  html: string;
}

/** One subscriber's links, signed once; the per-paper 👍/👎 links on demand. */
export interface SubscriberLinks {
  unsubscribe: LinkPair;
  preferences: LinkPair;
  view: LinkPair;
  feed: LinkPair;
  /** 👍 and 👎 share one token per (subscriber, paper): only the `vote` parameter differs. */
  feedback(paperId: string): { up: LinkPair; down: LinkPair };
}

export interface SyncLinks {
  unsubscribe(subscriber: LinkSubject): string;
  preferences(subscriber: LinkSubject): string;
  feedback(subscriber: LinkSubject, paperId: string, vote: 'up' | 'down'): string;
  view(subscriber: LinkSubject, deliveryId: string): string;
  feed(subscriber: LinkSubject): string;
  forSubscriber(subscriber: LinkSubject, deliveryId: string): SubscriberLinks;
}

/** The feedback claims' JSON ends `…,"x":` + JSON(paper id) + `}`; see FeedbackSigner. */
interface FeedbackTail {
  /** base64url of the leftover head bytes + the paper part, as text and bytes. */
  text: string;
  bytes: Uint8Array;
}

const TAIL_CACHE = 20_000;

/**
 * Feedback tokens of one subscriber. The claims JSON is `head + JSON(paperId) + "}"`
 * where head = `{"p":"feedback","s":…,"v":…,"x":`, the same for every paper. base64
 * works in 3-byte groups, so the first ⌊|head|/3⌋·3 bytes encode to a fixed string
 * `headText`; the `|head| mod 3` leftover bytes are always the last bytes of `"x":`
 * (the head ends with it), so the rest of the body depends only on (leftover count,
 * paper id) and is cached per paper. The inner hash of the head's full 64-byte blocks is
 * computed once here.
 */
class FeedbackSigner {
  private readonly headText: string;
  private readonly midstate: Int32Array;
  private readonly absorbed: number;
  /** Body bytes after the absorbed blocks that belong to headText. */
  private readonly headRest: Uint8Array;
  private readonly tails: Map<string, FeedbackTail>;
  private readonly leftover: Uint8Array;

  constructor(
    private readonly mac: KeyedMac,
    subscriber: LinkSubject,
    tailCache: Map<string, FeedbackTail>[],
  ) {
    const head = encoder.encode(
      `{"p":"feedback","s":${JSON.stringify(subscriber.id)},"v":${JSON.stringify(subscriber.tokenVersion)},"x":`,
    );
    const whole = head.length - (head.length % 3);
    this.leftover = head.slice(whole);
    this.tails = tailCache[this.leftover.length]!;
    this.headText = base64Url(head, whole);
    const full = Math.floor(this.headText.length / 64);
    const bytes = asciiBytes(this.headText);
    const words = new Int32Array(Math.max(full, 1) * 16);
    pack(bytes, words, full);
    this.midstate = mac.inner.slice();
    for (let block = 0; block < full; block++) compress(this.midstate, words, block * 16);
    this.absorbed = 64 + full * 64;
    this.headRest = bytes.slice(full * 64);
  }

  private tail(paperId: string): FeedbackTail {
    let tail = this.tails.get(paperId);
    if (!tail) {
      const paper = encoder.encode(`${JSON.stringify(paperId)}}`);
      const bytes = new Uint8Array(this.leftover.length + paper.length);
      bytes.set(this.leftover);
      bytes.set(paper, this.leftover.length);
      const text = base64Url(bytes);
      tail = { text, bytes: asciiBytes(text) };
      if (this.tails.size >= TAIL_CACHE) this.tails.clear();
      this.tails.set(paperId, tail);
    }
    return tail;
  }

  token(paperId: string): string {
    const tail = this.tail(paperId);
    const length = this.headRest.length + tail.bytes.length;
    reserve(length);
    tailBytes.set(this.headRest);
    tailBytes.set(tail.bytes, this.headRest.length);
    finish(this.midstate, this.absorbed, length);
    return `${this.headText}${tail.text}.${base64Url(outerHash(this.mac), 32)}`;
  }
}

const builders = new WeakMap<object, SyncLinks>();

/** The links of src/links.ts, computed synchronously; cached per config object. */
export function syncLinks(config: Pick<Config, 'TOKEN_SECRET' | 'PUBLIC_URL'>): SyncLinks {
  const cached = builders.get(config);
  if (cached) return cached;
  const mac = keyed(config.TOKEN_SECRET);
  const sign = (claims: TokenClaims) => signJson(mac, JSON.stringify(claims));
  // Same resolution as links.ts (new URL(path, PUBLIC_URL/)); tokens are base64url and
  // '.', which URLSearchParams leaves as they are, and never need HTML escaping, so only
  // the fixed parts are escaped, once.
  const base = (path: string) => {
    const text = `${new URL(path, `${config.PUBLIC_URL}/`).toString()}?token=`;
    return { text, html: escapeHtml(text) };
  };
  const paths = {
    unsubscribe: base('/unsubscribe'),
    preferences: base('/preferences'),
    feedback: base('/feedback'),
    view: base('/digest'),
    feed: base('/feed'),
  };
  const pair = (path: LinkPair, token: string, query = '', queryHtml = query): LinkPair => ({
    text: path.text + token + query,
    html: path.html + token + queryHtml,
  });
  const tailCache = [new Map(), new Map(), new Map()];
  let last: { id: string; tokenVersion: number; signer: FeedbackSigner } | null = null;
  const feedbackSigner = (s: LinkSubject) => {
    if (last?.id !== s.id || last.tokenVersion !== s.tokenVersion) {
      last = { id: s.id, tokenVersion: s.tokenVersion, signer: new FeedbackSigner(mac, s, tailCache) };
    }
    return last.signer;
  };
  const links: SyncLinks = {
    unsubscribe: (s) => paths.unsubscribe.text + sign({ p: 'unsubscribe', s: s.id, v: s.tokenVersion }),
    preferences: (s) => paths.preferences.text + sign({ p: 'preferences', s: s.id, v: s.tokenVersion }),
    feedback: (s, paperId, vote) => `${paths.feedback.text}${feedbackSigner(s).token(paperId)}&vote=${vote}`,
    view: (s, deliveryId) => paths.view.text + sign({ p: 'view', s: s.id, v: s.tokenVersion, x: deliveryId }),
    feed: (s) => paths.feed.text + sign({ p: 'feed', s: s.id, v: s.tokenVersion }),
    forSubscriber: (s, deliveryId) => {
      const signer = feedbackSigner(s);
      return {
        unsubscribe: pair(paths.unsubscribe, sign({ p: 'unsubscribe', s: s.id, v: s.tokenVersion })),
        preferences: pair(paths.preferences, sign({ p: 'preferences', s: s.id, v: s.tokenVersion })),
        view: pair(paths.view, sign({ p: 'view', s: s.id, v: s.tokenVersion, x: deliveryId })),
        feed: pair(paths.feed, sign({ p: 'feed', s: s.id, v: s.tokenVersion })),
        feedback: (paperId) => {
          const token = signer.token(paperId);
          return {
            up: pair(paths.feedback, token, '&vote=up', '&amp;vote=up'),
            down: pair(paths.feedback, token, '&vote=down', '&amp;vote=down'),
          };
        },
      };
    },
  };
  builders.set(config, links);
  return links;
}
