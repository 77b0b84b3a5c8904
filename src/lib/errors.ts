import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Stable error codes. Clients branch on these; the message is for people. */
export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "PAYLOAD_TOO_LARGE"
  | "UNAUTHENTICATED"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "ALREADY_EXISTS"
  | "TOKEN_INVALID"
  | "TOKEN_REVOKED"
  | "TOKEN_EXPIRED"
  | "TOKEN_USE_LIMIT_REACHED"
  | "RATE_LIMITED"
  | "STORAGE_UNAVAILABLE"
  | "INTERNAL";

/** An error that becomes a JSON response: `{"error": {code, message, field?, request_id}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    /** The request field at fault, as a dotted path (`tags.env`, `ids.3`); absent when no single field is. */
    readonly field?: string,
    /** Seconds, sent as `Retry-After` with 429 and 503. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const invalidArgument = (field: string, message: string) =>
  new ApiError(400, "INVALID_ARGUMENT", message, field);

export const notFound = (message: string, field?: string) => new ApiError(404, "NOT_FOUND", message, field);

export const storageUnavailable = () =>
  new ApiError(503, "STORAGE_UNAVAILABLE", "The token store is unavailable. Retry after the number of seconds in Retry-After.", undefined, 2);

/** Builds the one error response shape the whole API uses. */
export function errorResponse(c: Context, error: ApiError): Response {
  if (error.retryAfter !== undefined) c.header("Retry-After", String(error.retryAfter));
  const body: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.field !== undefined) body.field = error.field;
  body.request_id = c.get("requestId");
  return c.json({ error: body }, error.status);
}
