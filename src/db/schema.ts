import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// All instants are integer milliseconds since the Unix epoch (UTC). The API renders them as
// RFC 3339 strings; storing integers keeps comparisons exact and index-friendly.

export const accounts = sqliteTable("accounts", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    // SHA-256 of the whole key, hex. The key itself is shown once, when it is created.
    keyHash: text("key_hash").notNull(),
    name: text("name").notNull(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (table) => [uniqueIndex("api_keys_key_hash_unique").on(table.keyHash)],
);

export const joinTokens = sqliteTable(
  "join_tokens",
  {
    // UUIDv7, so that ordering by id is ordering by creation time.
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    // The public first part of the token string; the join looks tokens up by it.
    tokenId: text("token_id").notNull(),
    // SHA-256 of the secret part of the token string, hex.
    secretHash: text("secret_hash").notNull(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    // JSON object, as sent by the client.
    tags: text("tags").notNull().default("{}"),
    expiresAt: integer("expires_at"),
    // NULL means unlimited.
    useLimit: integer("use_limit"),
    useCounter: integer("use_counter").notNull().default(0),
    lastUsedAt: integer("last_used_at"),
    // Set once by a revoke and never cleared: revocation is permanent.
    revokedAt: integer("revoked_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    // Tripwire: joins attempted with this token after it was revoked or expired.
    rejectedAttempts: integer("rejected_attempts").notNull().default(0),
    lastRejectedAt: integer("last_rejected_at"),
    lastRejectedIp: text("last_rejected_ip"),
  },
  (table) => [
    uniqueIndex("join_tokens_token_id_unique").on(table.tokenId),
    // A name is unique among an account's tokens that are not revoked, so a revoked name can be reused.
    uniqueIndex("join_tokens_account_name_live_unique")
      .on(table.accountId, table.name)
      .where(sql`${table.revokedAt} IS NULL`),
    // Keyset paging of an account's tokens in id order.
    index("join_tokens_account_id_idx").on(table.accountId, table.id),
  ],
);

export const hosts = sqliteTable(
  "hosts",
  {
    // UUIDv7: newest first is id descending.
    id: text("id").primaryKey(),
    joinTokenId: text("join_token_id")
      .notNull()
      .references(() => joinTokens.id),
    accountId: text("account_id").notNull(),
    // The host identity a retried join is matched on: "ophid:<ophid>" or "key:<Idempotency-Key>".
    // NULL when the join carried neither, so every such join counts as a new host.
    hostKey: text("host_key"),
    ophid: text("ophid"),
    hostSerial: text("host_serial").notNull(),
    srcIp: text("src_ip"),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [
    uniqueIndex("hosts_token_host_key_unique").on(table.joinTokenId, table.hostKey),
    index("hosts_token_id_idx").on(table.joinTokenId, table.id),
  ],
);

export type JoinTokenRow = typeof joinTokens.$inferSelect;
export type HostRow = typeof hosts.$inferSelect;
