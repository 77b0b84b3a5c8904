import { DrizzleQueryError } from "drizzle-orm";

// One JSON line per event, so that Workers Logs can index the fields. Callers pass ids and codes,
// never a token string, a secret, an API key or a whole database row.

type Fields = Record<string, string | number | boolean | null | undefined>;

function write(level: "info" | "warn" | "error", event: string, fields: Fields): void {
  const line = JSON.stringify({ level, event, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export const log = {
  info: (event: string, fields: Fields = {}) => write("info", event, fields),
  warn: (event: string, fields: Fields = {}) => write("warn", event, fields),
  error: (event: string, fields: Fields = {}) => write("error", event, fields),
};

/**
 * Returns an error's name and message for a log line, at most 300 characters. For an error that wraps
 * another (Drizzle's DrizzleQueryError puts the SQL and its parameters in its own message), it
 * returns the cause's message instead, so that no row values reach the log.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 300);
  const cause = error.cause instanceof Error ? error.cause : null;
  const message = cause !== null ? `${error.name} caused by ${cause.name}: ${cause.message}` : `${error.name}: ${error.message}`;
  return message.slice(0, 300);
}

/** True for failures of the storage layer: D1's own errors and Drizzle's wrappers of them. */
export function isStorageError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof DrizzleQueryError) return true;
  return /\bD1_|SQLITE_/.test(error.message);
}
