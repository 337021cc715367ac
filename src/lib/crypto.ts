/**
 * Small WebCrypto helpers shared by tokens, admin auth, consent records and idempotency
 * keys. Constant-time comparison matters wherever a secret is checked: a plain `===`
 * leaks how many leading characters matched. Every digest signs four links, so signing
 * does no more work than the MAC needs: an imported key is used without awaiting it again,
 * a short message is written into one reused buffer rather than a new array per MAC, and
 * base64url is one btoa pass.
 */
const encoder = new TextEncoder();

/** Bytes passed to String.fromCharCode at once (below any engine's argument limit). */
const CHAR_CODES_AT_ONCE = 8192;

export function base64UrlEncode(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  // One string of the bytes, not one per byte, and one pass per replaced character.
  let binary = '';
  for (let from = 0; from < view.length; from += CHAR_CODES_AT_ONCE) {
    const part = view.subarray(from, from + CHAR_CODES_AT_ONCE);
    binary += String.fromCharCode.apply(null, part as unknown as number[]);
  }
  const base64 = btoa(binary);
  let end = base64.length;
  while (end > 0 && base64.charCodeAt(end - 1) === 0x3d) end--; // '='
  return base64.slice(0, end).replaceAll('+', '-').replaceAll('/', '_');
}

export function base64UrlDecode(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  try {
    return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * Whether two strings (MACs, tokens) are equal, in time that does not depend on where they
 * differ: the runtime's `crypto.subtle.timingSafeEqual` (a Workers extension to WebCrypto),
 * not a loop of our own. Lengths are not secret here (a MAC's is fixed), and that function
 * refuses inputs of different lengths.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  return left.byteLength === right.byteLength && crypto.subtle.timingSafeEqual(left, right);
}

const toHex = (bytes: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(bytes)].map((byte) => byte.toString(16).padStart(2, '0')).join('');

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

const keyCache = new Map<string, Promise<CryptoKey>>();
/** Keys whose import has finished, used without awaiting their promise again. */
const readyKeys = new Map<string, CryptoKey>();

export function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    keyCache.set(secret, key);
    key.then(
      (ready) => readyKeys.set(secret, ready),
      () => {},
    );
  }
  return key;
}

const asBytes = (signature: ArrayBuffer) => new Uint8Array(signature);

/**
 * Where a short message (a token, an id) is written to be signed with a ready key:
 * WebCrypto copies its input before sign() returns, so the next MAC may reuse it, and a
 * fresh array per MAC cost about as much as the MAC. A key still being imported reads
 * the message later: that one gets its own copy.
 */
const scratch = new Uint8Array(256);

/** The message's UTF-8 in `scratch`, or null when it does not fit. */
function scratchBytes(message: string): Uint8Array | null {
  const { read, written } = encoder.encodeInto(message, scratch);
  return read === message.length ? scratch.subarray(0, written) : null;
}

export function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  const key = readyKeys.get(secret);
  if (key)
    return crypto.subtle.sign('HMAC', key, scratchBytes(message) ?? encoder.encode(message)).then(asBytes);
  const data = encoder.encode(message);
  return hmacKey(secret)
    .then((imported) => crypto.subtle.sign('HMAC', imported, data))
    .then(asBytes);
}

export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  return toHex(await hmacSha256(secret, message));
}
