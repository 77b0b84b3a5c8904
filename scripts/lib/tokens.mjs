// Token strings, ids and hashes in the formats the Worker uses (src/lib/token-string.ts, src/lib/ids.ts,
// src/admin/paging.ts), for the benchmark and the reliability suite. They are written again for Node
// because the Worker's modules do not load outside a bundler.
import { createHash, randomBytes } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const CRC32_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (IEEE 802.3) of an ASCII string, unsigned. */
function crc32(ascii) {
  let crc = 0xffffffff;
  for (let i = 0; i < ascii.length; i++) crc = CRC32_TABLE[(crc ^ ascii.charCodeAt(i)) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Encodes a non-negative integer below 62^width as `width` base62 digits, most significant first. */
function encodeBase62(value, width) {
  let out = "";
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** Returns `length` uniformly random base62 characters. */
export function randomBase62(length) {
  let out = "";
  while (out.length < length) {
    // Bytes of 248 or more are dropped so that each of the 62 symbols is equally likely.
    for (const byte of randomBytes(length * 2)) if (byte < 248 && out.length < length) out += BASE62[byte % 62];
  }
  return out;
}

export const sha256Hex = (text) => createHash("sha256").update(text).digest("hex");

/**
 * Returns a new token string `jt_<16>_<32><6-character checksum>` with its token id and the SHA-256 of
 * its secret. The string is a secret: callers keep it in memory and never print it.
 */
export function newToken() {
  const tokenId = `jt_${randomBase62(16)}`;
  const secret = randomBase62(32);
  const body = `${tokenId}_${secret}`;
  return { token: body + encodeBase62(crc32(body), 6), tokenId, secretHash: sha256Hex(secret) };
}

/** Returns a UUIDv7-shaped id whose first 48 bits are `ms` and whose last 48 bits are `serial`. */
export function orderedId(ms, serial) {
  const time = ms.toString(16).padStart(12, "0");
  return `${time.slice(0, 8)}-${time.slice(8)}-7000-8000-${serial.toString(16).padStart(12, "0")}`;
}

/** The `_page_token` that continues a listing after `id` (base64url without padding). */
export const pageTokenAfter = (id) => Buffer.from(id).toString("base64url");

export const sqlString = (text) => `'${String(text).replaceAll("'", "''")}'`;
