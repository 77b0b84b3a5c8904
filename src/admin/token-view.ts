import type { JoinTokenRow } from "../db/schema";
import { toRfc3339 } from "../lib/time";

/** ACTIVE, EXPIRED or REVOKED: values of the Host Activation status enum, derived at read time. */
export type TokenStatus = "ACTIVE" | "EXPIRED" | "REVOKED";

/**
 * Derives the status at `now`. A token is expired from the instant `expires_at` is reached, and once
 * `use_counter` has reached `use_limit` (the reference enum has no separate value for that).
 */
export function tokenStatus(row: JoinTokenRow, now: number): TokenStatus {
  if (row.revokedAt !== null) return "REVOKED";
  if (row.expiresAt !== null && row.expiresAt <= now) return "EXPIRED";
  if (row.useLimit !== null && row.useCounter >= row.useLimit) return "EXPIRED";
  return "ACTIVE";
}

/** Renders a join token record for the API. Never includes the secret or its hash. */
export function tokenView(row: JoinTokenRow, now: number) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    status: tokenStatus(row, now),
    token_id: row.tokenId,
    use_counter: row.useCounter,
    use_limit: row.useLimit,
    last_used_at: toRfc3339(row.lastUsedAt),
    expires_at: toRfc3339(row.expiresAt),
    deleted_at: toRfc3339(row.revokedAt),
    tags: JSON.parse(row.tags) as Record<string, unknown>,
    created_at: toRfc3339(row.createdAt),
    updated_at: toRfc3339(row.updatedAt),
    rejected_attempts: row.rejectedAttempts,
    last_rejected_at: toRfc3339(row.lastRejectedAt),
    last_rejected_ip: row.lastRejectedIp,
  };
}
