import { crc32 } from "./crc32";
import { encodeBase62, randomBase62 } from "./ids";

// A join token string reads `jt_<token id: 16>_<secret: 32><checksum: 6>`, all base62, 58 characters.
// The token id (~95 random bits) is public and names the record; the secret (~190 random bits)
// is stored only as its SHA-256. The checksum is the CRC-32 of everything before it, so a typo
// or a truncated paste is rejected before any storage is read.

export const TOKEN_PREFIX = "jt_";
const TOKEN_ID_CHARS = 16;
const SECRET_CHARS = 32;
const CHECKSUM_CHARS = 6;
export const TOKEN_STRING_LENGTH = TOKEN_PREFIX.length + TOKEN_ID_CHARS + 1 + SECRET_CHARS + CHECKSUM_CHARS;
const TOKEN_PATTERN = /^jt_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/;

export interface TokenParts {
  /** `jt_` and the 16-character id: the part shown to admins as `token_id`. */
  tokenId: string;
  secret: string;
}

function checksumOf(body: string): string {
  return encodeBase62(crc32(body), CHECKSUM_CHARS);
}

/** Generates a new token string and its parts. */
export function generateTokenString(): TokenParts & { token: string } {
  const tokenId = TOKEN_PREFIX + randomBase62(TOKEN_ID_CHARS);
  const secret = randomBase62(SECRET_CHARS);
  const body = `${tokenId}_${secret}`;
  return { token: body + checksumOf(body), tokenId, secret };
}

/** Splits a token string into its parts, or returns null when its shape or checksum is wrong. Touches no storage. */
export function parseTokenString(token: string): TokenParts | null {
  if (token.length !== TOKEN_STRING_LENGTH || !TOKEN_PATTERN.test(token)) return null;

  const body = token.slice(0, -CHECKSUM_CHARS);
  if (checksumOf(body) !== token.slice(-CHECKSUM_CHARS)) return null;

  const tokenId = body.slice(0, TOKEN_PREFIX.length + TOKEN_ID_CHARS);
  return { tokenId, secret: body.slice(tokenId.length + 1) };
}
