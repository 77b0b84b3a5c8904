import type { Context } from "hono";
import * as z from "zod";
import { ApiError, invalidArgument } from "./errors";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

// Charset labels that name UTF-8 (the WHATWG Encoding Standard's labels for it, lowercased).
const UTF8_LABELS = new Set(["utf-8", "utf8", "unicode-1-1-utf-8"]);

/**
 * Reads a JSON request body and validates it against `schema`. Rejects, as an ApiError naming the
 * field: a content type other than application/json, or with a charset other than UTF-8 (415), bytes
 * that are not UTF-8, text that is not JSON, JSON that is not an object, and a value that the schema
 * rejects (400). The body size limit is applied earlier, by the bodyLimit middleware on each route.
 */
export async function readJsonBody<Schema extends z.ZodType>(c: Context, schema: Schema): Promise<z.output<Schema>> {
  checkContentType(c.req.header("content-type") ?? "");

  let text: string;
  try {
    text = utf8.decode(await c.req.arrayBuffer());
  } catch {
    throw invalidArgument("body", "The request body is not valid UTF-8; encode the JSON text as UTF-8.");
  }
  if (text.trim() === "") throw invalidArgument("body", "The request body is empty; send a JSON object.");

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof SyntaxError ? ` (${error.message.slice(0, 120)})` : "";
    throw invalidArgument("body", `The request body is not valid JSON${detail}; send one JSON object.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidArgument("body", `The request body must be a JSON object; received ${describeValue(value)}.`);
  }

  return parseWith(schema, value);
}

function checkContentType(contentType: string): void {
  const [mediaType = "", ...params] = contentType.split(";").map((part) => part.trim().toLowerCase());
  const charset = params.find((param) => param.startsWith("charset="))?.slice("charset=".length).replace(/^"(.*)"$/, "$1");
  if (mediaType === "application/json" && (charset === undefined || UTF8_LABELS.has(charset))) return;

  const received = contentType === "" ? "none" : JSON.stringify(contentType.slice(0, 100));
  throw new ApiError(
    415,
    "UNSUPPORTED_MEDIA_TYPE",
    `Content-Type must be application/json, with no charset or charset=utf-8; received ${received}.`,
    "Content-Type",
  );
}

/** Validates `value`, turning the first zod issue into a 400 that names the field. */
export function parseWith<Schema extends z.ZodType>(schema: Schema, value: unknown): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;

  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    const field = [...issue.path, key].join(".");
    const known = issue.path.length === 0 && schema instanceof z.ZodObject ? ` Known fields: ${Object.keys(schema.shape).join(", ")}.` : "";
    throw invalidArgument(field, `${quoteField(field)} is not a known field; remove it.${known}`);
  }
  const field = issue.path.length > 0 ? issue.path.join(".") : "body";
  throw invalidArgument(field, `${quoteField(field)} ${issue.message}.`);
}

/** Formats a field name for a message, quoted when it is empty or has characters outside [A-Za-z0-9_.-]. */
function quoteField(field: string): string {
  return /^[\w.-]+$/.test(field) ? field : JSON.stringify(field.slice(0, 100));
}

/** Names the JSON type of a value for an error message, with the length of a string. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `a string of ${value.length} ${value.length === 1 ? "character" : "characters"}`;
  if (typeof value === "object") return "an object";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return "a boolean";
  return typeof value;
}

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;

/** Finds the first UTF-16 surrogate without its pair, or returns -1. */
function unpairedSurrogateAt(value: string): number {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return i;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return i;
    }
  }
  return -1;
}

/**
 * Finds the first character that the text may not contain, or returns -1: the C0 controls, DEL and
 * the C1 controls (Unicode category Cc), except that multi-line text may contain tab, line feed and
 * carriage return. Single-line text also may not contain U+2028 and U+2029, the Unicode line breaks.
 */
function forbiddenCharacterAt(value: string, multiline: boolean): number {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) {
      if (multiline && (code === 0x09 || code === 0x0a || code === 0x0d)) continue;
      return i;
    }
    if (!multiline && (code === 0x2028 || code === 0x2029)) return i;
  }
  return -1;
}

/**
 * Builds the schema of a text field: a string of `min` to `max` UTF-16 code units, well-formed
 * Unicode, without control characters. Multi-line text may contain tab, line feed and carriage return.
 */
export function text(options: { min?: number; max: number; multiline?: boolean }) {
  const { min = 0, max, multiline = false } = options;
  const expected = `a string of ${min > 0 ? `${min} to ${max}` : `at most ${max}`} characters`;
  return z
    .string({ error: (issue) => (issue.input === undefined ? `is required; send ${expected}` : `must be ${expected}; received ${describeValue(issue.input)}`) })
    .min(min, { error: (issue) => `must be ${expected}; received ${describeValue(issue.input)}` })
    .max(max, { error: (issue) => `must be ${expected}; received ${describeValue(issue.input)}` })
    .superRefine((value, ctx) => {
      const surrogate = unpairedSurrogateAt(value);
      if (surrogate !== -1) {
        ctx.addIssue({
          code: "custom",
          message: `contains an unpaired UTF-16 surrogate (${hex(value.charCodeAt(surrogate))}) at index ${surrogate}; send well-formed Unicode, with a character above U+FFFF escaped as a surrogate pair`,
        });
        return;
      }
      const forbidden = forbiddenCharacterAt(value, multiline);
      if (forbidden === -1) return;
      const code = value.charCodeAt(forbidden);
      const kind = code === 0x2028 || code === 0x2029 ? "line break" : "control character";
      const allowed = multiline ? " (tab, line feed and carriage return are allowed)" : "";
      ctx.addIssue({ code: "custom", message: `contains the ${kind} ${hex(code)} at index ${forbidden}; remove it${allowed}` });
    });
}
