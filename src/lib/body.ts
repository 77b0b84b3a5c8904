import type { Context } from "hono";
import * as z from "zod";
import { ApiError, invalidArgument } from "./errors";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Reads a JSON request body and validates it against `schema`. Rejects, as an ApiError naming the
 * field: a content type other than application/json (415), bytes that are not UTF-8, text that is
 * not JSON, and a value that the schema rejects (400). The body size limit is applied earlier, by
 * the bodyLimit middleware on each route group.
 */
export async function readJsonBody<Schema extends z.ZodType>(c: Context, schema: Schema): Promise<z.output<Schema>> {
  const contentType = c.req.header("content-type") ?? "";
  const [mediaType = "", ...params] = contentType.split(";").map((part) => part.trim().toLowerCase());
  const charset = params.find((param) => param.startsWith("charset="))?.slice("charset=".length);
  if (mediaType !== "application/json" || (charset !== undefined && charset !== "utf-8" && charset !== '"utf-8"')) {
    throw new ApiError(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      `Content-Type must be application/json (UTF-8); received ${contentType === "" ? "none" : JSON.stringify(contentType.slice(0, 100))}.`,
      "Content-Type",
    );
  }

  let text: string;
  try {
    text = utf8.decode(await c.req.arrayBuffer());
  } catch {
    throw invalidArgument("body", "The request body is not valid UTF-8.");
  }
  if (text.trim() === "") throw invalidArgument("body", "The request body is empty; send a JSON object.");

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof SyntaxError ? ` (${error.message.slice(0, 120)})` : "";
    throw invalidArgument("body", `The request body is not valid JSON${detail}.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidArgument("body", "The request body must be a JSON object.");
  }

  return parseWith(schema, value);
}

/** Validates `value`, turning the first zod issue into a 400 that names the field. */
export function parseWith<Schema extends z.ZodType>(schema: Schema, value: unknown): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;

  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    const field = [...issue.path, key].join(".");
    throw invalidArgument(field, `${field} is not a known field; remove it.`);
  }
  const field = issue.path.length > 0 ? issue.path.join(".") : "body";
  throw invalidArgument(field, `${field} ${issue.message}.`);
}

// C0 controls and DEL, plus the C1 controls; tab, newline and carriage return are allowed only where named.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const CONTROL_OR_WHITESPACE_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A string of `min` to `max` UTF-16 code units, well-formed Unicode, without control characters. */
export function text(options: { min?: number; max: number; multiline?: boolean }) {
  const { min = 0, max, multiline = false } = options;
  const control = multiline ? CONTROL : CONTROL_OR_WHITESPACE_CONTROL;
  const range = min > 0 ? `${min} to ${max}` : `at most ${max}`;
  return z
    .string({ error: (issue) => (issue.input === undefined ? "is required" : `must be a string of ${range} characters`) })
    .min(min, { error: `must be a string of ${range} characters` })
    .max(max, { error: `must be a string of ${range} characters` })
    .refine((value) => value.isWellFormed(), { error: "contains an unpaired UTF-16 surrogate" })
    .refine((value) => !control.test(value), {
      error: multiline ? "contains a control character other than tab or newline" : "contains a control character",
    });
}
