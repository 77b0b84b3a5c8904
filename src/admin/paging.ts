import { invalidArgument } from "../lib/errors";

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
// Offset paging reads and skips every row before the page; keyset paging (`_page_token`) does not.
export const MAX_OFFSET = 100_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type Page = { limit: number; offset: number; after: string | null };

/** True when `id` has the shape of the UUIDs this service issues. */
export function isResourceId(id: string): boolean {
  return UUID.test(id);
}

function wholeNumber(query: Record<string, string>, name: string, min: number, max: number, fallback: number): number {
  const raw = query[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw invalidArgument(name, `${name} must be a whole number from ${min} to ${max}; received ${JSON.stringify(raw.slice(0, 40))}.`);
  }
  return Number(raw);
}

/**
 * Reads `_limit`, `_offset` and `_page_token`. A page token is the base64url of the last id on the
 * previous page. With one, the page continues after that id, and `_offset` must be absent or 0.
 */
export function readPage(query: Record<string, string>): Page {
  // Other query parameters, the Host Activation API's _filter, _order_by and _fields among them, are ignored.
  const limit = wholeNumber(query, "_limit", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
  const offset = wholeNumber(query, "_offset", 0, MAX_OFFSET, 0);

  const token = query._page_token;
  if (token === undefined || token === "") return { limit, offset, after: null };

  const after = decodePageToken(token);
  if (after === null) throw invalidArgument("_page_token", "_page_token is not a page token returned by this API; omit it to start from the first page.");
  if (offset !== 0) throw invalidArgument("_offset", "_offset cannot be combined with _page_token; send one or the other.");
  return { limit, offset: 0, after };
}

export function encodePageToken(lastId: string): string {
  return btoa(lastId).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodePageToken(token: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(token)) return null;
  try {
    const id = atob(token.replaceAll("-", "+").replaceAll("_", "/"));
    return isResourceId(id) ? id : null;
  } catch {
    return null;
  }
}

/**
 * Builds the response's `page` from a query that fetched `limit + 1` rows. The extra row only shows
 * that another page exists. `size` (a total count) is left out so that no page has to count the table.
 */
export function pageInfo<Row extends { id: string }>(rows: Row[], page: Page): { items: Row[]; page: Record<string, unknown> } {
  const items = rows.slice(0, page.limit);
  const more = rows.length > page.limit;
  const last = items.at(-1);
  const info: Record<string, unknown> = {};
  if (more && last !== undefined) {
    info.page_token = encodePageToken(last.id);
    if (page.after === null) info.offset = page.offset + items.length;
  }
  return { items, page: info };
}
