// The join's storage work, as hand-written SQL run in one D1 batch. D1 runs a batch as one
// transaction in one round trip, and SQLite serialises writers. So the use check, the count and the
// host record below commit together or not at all, and two joins never both see the last free use.

/**
 * Inserts the host record only if the token exists, the secret matches, and the token is not revoked,
 * not expired at ?7 and under its use limit. A retry with a host key that already joined hits the
 * unique (join_token_id, host_key) index and inserts nothing.
 * ?1 host id, ?2 token_id, ?3 host_key, ?4 ophid, ?5 host_serial, ?6 src_ip, ?7 now (ms), ?8 secret hash.
 */
export const INSERT_HOST = `
INSERT INTO hosts (id, join_token_id, account_id, host_key, ophid, host_serial, src_ip, created_at)
SELECT ?1, t.id, t.account_id, ?3, ?4, ?5, ?6, ?7
FROM join_tokens t
WHERE t.token_id = ?2
  AND t.secret_hash = ?8
  AND t.revoked_at IS NULL
  AND (t.expires_at IS NULL OR t.expires_at > ?7)
  AND (t.use_limit IS NULL OR t.use_counter < t.use_limit)
ON CONFLICT DO NOTHING`;

/** Counts the use only if the statement above inserted host ?1. ?2 now (ms). */
export const COUNT_USE = `
UPDATE join_tokens
SET use_counter = use_counter + 1, last_used_at = ?2
WHERE id = (SELECT join_token_id FROM hosts WHERE id = ?1)`;

/**
 * Reads the outcome: the token's state and the host that this join created (?3) or that an earlier
 * join with the same host key (?4) created. ?1 token_id, ?2 secret hash.
 */
export const READ_OUTCOME = `
SELECT t.id, t.account_id, t.name, t.token_id, t.secret_hash = ?2 AS secret_ok,
       t.revoked_at, t.expires_at, t.use_limit, t.use_counter,
       h.id AS host_id, h.ophid, h.host_serial, h.src_ip, h.created_at AS host_created_at
FROM join_tokens t
LEFT JOIN hosts h ON h.join_token_id = t.id AND (h.id = ?3 OR h.host_key = ?4)
WHERE t.token_id = ?1`;

/** Adds coalesced tripwire attempts. ?1 token_id, ?2 attempts, ?3 last attempt (ms), ?4 last source IP. */
export const RECORD_REJECTED_ATTEMPTS = `
UPDATE join_tokens
SET rejected_attempts = rejected_attempts + ?2,
    last_rejected_ip = CASE WHEN last_rejected_at IS NULL OR last_rejected_at <= ?3 THEN ?4 ELSE last_rejected_ip END,
    last_rejected_at = MAX(COALESCE(last_rejected_at, 0), ?3)
WHERE token_id = ?1`;
