// The benchmark's data set, written as one SQL file for `wrangler d1 execute --file`. Tokens that the
// benchmark joins with are generated here, so that their strings are known. Bulk tokens, which are only
// listed or revoked, are generated inside SQLite by a recursive CTE, so 100,000 rows take seconds.
import { randomUUID } from "node:crypto";
import { newToken, orderedId, randomBase62, sha256Hex, sqlString } from "../../scripts/lib/tokens.mjs";

// Rows per INSERT statement: about 40 KB of SQL, well under D1's 100 KB statement limit.
const ROWS_PER_INSERT = 200;

// The secret hash of generated tokens: no known secret has this SHA-256, so none of them can be joined.
const UNJOINABLE_HASH = "0".repeat(64);

const DAY_MS = 86_400_000;

function newAccount(name) {
  const key = `jtk_${randomBase62(40)}`;
  return { id: randomUUID(), name, key, keyHash: sha256Hex(key) };
}

function accountSql(accounts, now) {
  return [
    `INSERT INTO accounts (id, name, created_at) VALUES ${accounts.map((a) => `(${sqlString(a.id)}, ${sqlString(a.name)}, ${now})`).join(", ")};`,
    `INSERT INTO api_keys (id, account_id, key_hash, name, created_at) VALUES ${accounts
      .map((a) => `(${sqlString(randomUUID())}, ${sqlString(a.id)}, ${sqlString(a.keyHash)}, 'bench', ${now})`)
      .join(", ")};`,
  ];
}

function tokenRowsSql(rows) {
  const statements = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const values = rows
      .slice(start, start + ROWS_PER_INSERT)
      .map((r) => `(${[r.id, r.accountId, r.tokenId, r.secretHash, r.name].map(sqlString).join(", ")}, ${r.createdAt}, ${r.createdAt})`);
    statements.push(`INSERT INTO join_tokens (id, account_id, token_id, secret_hash, name, created_at, updated_at) VALUES ${values.join(", ")};`);
  }
  return statements;
}

/**
 * Returns one INSERT that SQLite expands into `count` tokens of `accountId`. Row n gets the id
 * orderedId(firstMs + n, n) and the token id `jt_<tag><n as 15 digits>`, which no generated token has.
 */
function generatedTokensSql(accountId, count, firstMs, tag) {
  const time = `printf('%012x', ${firstMs} + n)`;
  return `INSERT INTO join_tokens (id, account_id, token_id, secret_hash, name, created_at, updated_at)
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ${count - 1})
SELECT substr(${time}, 1, 8) || '-' || substr(${time}, 9, 4) || '-7000-8000-' || printf('%012x', n),
       ${sqlString(accountId)}, 'jt_${tag}' || printf('%015d', n), '${UNJOINABLE_HASH}', 'bench-' || n,
       ${firstMs} + n, ${firstMs} + n
FROM seq;`;
}

/**
 * Builds the data set:
 * - `joinAccounts` accounts of `tokensPerAccount` joinable tokens each (the first one is the 1,000-token
 *   listing), with unlimited use and no expiry;
 * - one account of `largeTokens` generated tokens (the 100,000-token listing);
 * - one account of `revokeTokens` generated tokens for the revoke run, listed by id;
 * - one empty account for the create run.
 * Returns the SQL and everything the runs need. Token strings and API keys are secrets: never print them.
 */
export function buildFixture({ joinAccounts, tokensPerAccount, largeTokens, revokeTokens, now = Date.now() }) {
  const joinFirstMs = now - 30 * DAY_MS;
  const largeFirstMs = now - 20 * DAY_MS;
  const revokeFirstMs = now - 10 * DAY_MS;

  const joins = Array.from({ length: joinAccounts }, (_, a) => ({ ...newAccount(`bench join ${a}`), tokens: [] }));
  const rows = [];
  joins.forEach((account, a) => {
    for (let t = 0; t < tokensPerAccount; t++) {
      const n = a * tokensPerAccount + t;
      const { token, tokenId, secretHash } = newToken();
      const id = orderedId(joinFirstMs + n, n);
      account.tokens.push({ id, token });
      rows.push({ id, accountId: account.id, tokenId, secretHash, name: `bench-${t}`, createdAt: joinFirstMs + n });
    }
  });

  const large = { ...newAccount("bench large"), idAt: (n) => orderedId(largeFirstMs + n, n), count: largeTokens };
  const revoke = { ...newAccount("bench revoke"), idAt: (n) => orderedId(revokeFirstMs + n, n), count: revokeTokens };
  const create = newAccount("bench create");

  const sql = [
    ...accountSql([...joins, large, revoke, create], now),
    ...tokenRowsSql(rows),
    generatedTokensSql(large.id, largeTokens, largeFirstMs, "L"),
    generatedTokensSql(revoke.id, revokeTokens, revokeFirstMs, "R"),
  ].join("\n");

  return { sql, joins, large, revoke, create, tokenCount: rows.length + largeTokens + revokeTokens };
}
