import type { HostRecord } from "../lib/host-view";
import { uuidv7 } from "../lib/ids";
import { COUNT_USE, INSERT_HOST, READ_OUTCOME } from "./statements";

export interface JoinAttempt {
  tokenId: string;
  secretHash: string;
  /** "ophid:<ophid>" or "key:<Idempotency-Key>", or null when the join names no host identity. */
  hostKey: string | null;
  ophid: string | null;
  hostSerial: string;
  srcIp: string | null;
}


export type JoinOutcome =
  | { kind: "joined"; host: HostRecord }
  | { kind: "replayed"; host: HostRecord }
  | { kind: "invalid" }
  | { kind: "revoked"; revokedAt: number }
  | { kind: "expired" }
  | { kind: "use_limit_reached" }
  | { kind: "conflict" };

interface OutcomeRow {
  id: string;
  account_id: string;
  name: string;
  token_id: string;
  secret_ok: number;
  revoked_at: number | null;
  expires_at: number | null;
  use_limit: number | null;
  use_counter: number;
  host_id: string | null;
  ophid: string | null;
  host_serial: string | null;
  src_ip: string | null;
  host_created_at: number | null;
}

/**
 * Runs a join in exactly one D1 round trip (one batch, one transaction) and classifies the result.
 * Throws whatever D1 throws; the caller maps that to 503, and nothing was written.
 */
export async function runJoin(db: D1Database, attempt: JoinAttempt): Promise<JoinOutcome> {
  // One instant for the whole join, taken just before the batch: the host's created_at, the token's
  // last_used_at and the instant expiry is checked at. The host id carries it too, so concurrent joins
  // list in the order of their created_at (ids made in the same millisecond are ordered by the isolate).
  const now = Date.now();
  const hostId = uuidv7(now);
  const [, , read] = await db.batch([
    db
      .prepare(INSERT_HOST)
      .bind(hostId, attempt.tokenId, attempt.hostKey, attempt.ophid, attempt.hostSerial, attempt.srcIp, now, attempt.secretHash),
    db.prepare(COUNT_USE).bind(hostId, now),
    db.prepare(READ_OUTCOME).bind(attempt.tokenId, attempt.secretHash, hostId, attempt.hostKey),
  ]);

  const row = read?.results[0] as OutcomeRow | undefined;
  if (row === undefined || row.secret_ok !== 1) return { kind: "invalid" };
  if (row.host_id === hostId) return { kind: "joined", host: toHost(row) };
  if (row.revoked_at !== null) return { kind: "revoked", revokedAt: row.revoked_at };
  if (row.expires_at !== null && row.expires_at <= now) return { kind: "expired" };
  if (row.host_id !== null) return { kind: "replayed", host: toHost(row) };
  if (row.use_limit !== null && row.use_counter >= row.use_limit) return { kind: "use_limit_reached" };
  return { kind: "conflict" };
}

function toHost(row: OutcomeRow): HostRecord {
  return {
    id: row.host_id!,
    ophid: row.ophid,
    hostSerial: row.host_serial!,
    srcIp: row.src_ip,
    createdAt: row.host_created_at!,
    accountId: row.account_id,
    token: { id: row.id, name: row.name, tokenId: row.token_id },
  };
}
