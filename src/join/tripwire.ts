import { describeError, log } from "../lib/log";
import { RECORD_REJECTED_ATTEMPTS } from "./statements";

// Attempts to join with a revoked or expired token are buffered in this isolate and written to D1
// once per flush window, in one batch, after the responses have gone out. So a flood costs each
// token at most one D1 write per window per isolate (12 a minute at the default 5 s window).
// NOTE: the count is a lower bound. Attempts buffered in an isolate that is evicted before its
// flush runs, or whose flush fails, are lost; nothing is ever counted twice.

interface Pending {
  attempts: number;
  lastAt: number;
  lastIp: string | null;
}

const pending = new Map<string, Pending>();
let flushScheduled = false;

/** Buffers one rejected attempt for `tokenId` and schedules a flush through `waitUntil` if none is due. */
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

  if (flushScheduled) return;
  flushScheduled = true;
  ctx.waitUntil(flushAfter(db, flushAfterMs));
}

async function flushAfter(db: D1Database, delayMs: number): Promise<void> {
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));

  const batch = [...pending.entries()];
  pending.clear();
  flushScheduled = false;
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
