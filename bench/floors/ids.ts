// Helpers shared by the floor workers.

const encoder = new TextEncoder();

/** Returns the SHA-256 of a UTF-8 string as lowercase hex, as the Worker stores secrets and API keys. */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text))));
}

/** Returns `bytes` random bytes as hex. */
export function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Returns a UUIDv7 like the Worker's, so that new rows land at the end of the primary key index as its rows do. */
export function uuidv7(nowMs: number): string {
  // A v4 UUID without dashes has its version digit at index 12 and its variant digit at index 16.
  const hex = nowMs.toString(16).padStart(12, "0") + crypto.randomUUID().replaceAll("-", "").slice(12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
