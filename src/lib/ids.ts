const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Returns `length` characters drawn uniformly from [0-9A-Za-z] by the Web Crypto CSPRNG. */
export function randomBase62(length: number): string {
  let out = "";
  // Rejection sampling: bytes of 248 or more are dropped so that each of the 62 symbols is equally likely.
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
    for (const byte of bytes) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** Encodes a non-negative integer below 62^width as exactly `width` base62 digits. */
export function encodeBase62(value: number, width: number): string {
  let out = "";
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

let lastTimestamp = -1;
let lastId: Uint8Array = new Uint8Array(16);

/**
 * Returns a UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort by
 * creation time. Within one isolate the ids are strictly increasing: an id made in the same
 * millisecond as the previous one (or after the clock stepped back) is the previous id plus one,
 * the monotonic counter method of RFC 9562 section 6.2.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  let bytes: Uint8Array;
  if (nowMs <= lastTimestamp) {
    bytes = lastId.slice();
    incrementRandomPart(bytes);
  } else {
    bytes = crypto.getRandomValues(new Uint8Array(16));
    let ms = nowMs;
    for (let i = 5; i >= 0; i--) {
      bytes[i] = ms % 256;
      ms = Math.floor(ms / 256);
    }
    bytes[6] = (bytes[6]! & 0x0f) | 0x70;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    lastTimestamp = nowMs;
  }
  lastId = bytes;

  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Adds one to the 62 random bits after the variant. They start random, so carrying out of them
// (which would need about 2^61 ids in one millisecond) does not happen in practice.
function incrementRandomPart(bytes: Uint8Array): void {
  for (let i = 15; i >= 9; i--) {
    bytes[i] = (bytes[i]! + 1) & 0xff;
    if (bytes[i] !== 0) return;
  }
  bytes[8] = 0x80 | ((bytes[8]! + 1) & 0x3f);
}

/** Returns the SHA-256 digest of a UTF-8 string as lowercase hex. */
export async function sha256Hex(input: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(input));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
