import { describeError, log } from "../lib/log";
import { RECORD_REJECTED_ATTEMPTS } from "./statements";

// Attempts to join with a revoked or expired token are buffered in this isolate and written to D1
// once per flush window, in one batch, after the responses have gone out. So a flood costs each
// isolate at most one D1 batch per window (12 a minute at the default 5 s window).
// NOTE: the count is a lower bound. Attempts buffered in an isolate that is evicted before its
// flush runs, or whose flush fails, are lost; nothing is ever counted twice.
// NOTE: a batch contains one statement per token. D1 limits queries per Worker invocation (1000 on
// Workers Paid, 50 on Free, per developers.cloudflare.com/d1/platform/limits). Whether each
// statement of a batch counts toward that limit is not verified here.

interface Pending {
  attempts: number;
  lastAt: number;
  lastIp: string | null;
}

/** The open flush window: attempts buffered since the last flush are written once `dueAt` (epoch ms) passes. */
interface FlushWindow {
  dueAt: number;
}

const pending = new Map<string, Pending>();
let openWindow: FlushWindow | null = null;

/**
 * Buffers one rejected attempt for `tokenId` and adds a flush of the open window to this request's
 * `waitUntil`. Every request that buffers an attempt waits for the window, and the first to wake
 * writes the batch, so a request context that the runtime drops before its flush runs never leaves
 * attempts unflushed while later attempts keep arriving.
 */
export function recordRejectedAttempt(
  ctx: { waitUntil(promise: Promise<unknown>): void },
  db: D1Database,
  flushAfterMs: number,
  tokenId: string,
  at: number,
  ip: string | null,
): void {
  const entry = pending.get(tokenId);
  if (entry === undefined) {
    pending.set(tokenId, { attempts: 1, lastAt: at, lastIp: ip });
  } else {
    entry.attempts += 1;
    if (at >= entry.lastAt) {
      entry.lastAt = at;
      entry.lastIp = ip;
    }
  }

  openWindow ??= { dueAt: at + flushAfterMs };
  ctx.waitUntil(flushWhenDue(db, openWindow));
}

async function flushWhenDue(db: D1Database, window: FlushWindow): Promise<void> {
  // Waits at least one timer turn even for a zero window, so that the D1 write never runs in the
  // request's own path and attempts from concurrent requests share one batch.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, window.dueAt - Date.now())));
  // Another request's flush of this window already ran.
  if (openWindow !== window) return;

  openWindow = null;
  const batch = [...pending.entries()];
  pending.clear();
  if (batch.length === 0) return;

  try {
    await db.batch(
      batch.map(([tokenId, entry]) =>
        db.prepare(RECORD_REJECTED_ATTEMPTS).bind(tokenId, entry.attempts, entry.lastAt, entry.lastIp),
      ),
    );
  } catch (error) {
    const attempts = batch.reduce((sum, [, entry]) => sum + entry.attempts, 0);
    log.error("tripwire_flush_failed", { tokens: batch.length, attempts, error: describeError(error) });
  }
}
