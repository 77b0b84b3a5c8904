import * as z from "zod";
import { describeValue, text } from "../lib/body";
import { parseRfc3339 } from "../lib/time";

// Field limits. They bound storage per token and are far above what the admin UI needs.
export const NAME_MAX = 256;
export const DESCRIPTION_MAX = 1024;
export const TAGS_MAX = 64;
export const TAG_KEY_MAX = 128;
export const TAG_VALUE_MAX = 256;
export const USE_LIMIT_MAX = 1_000_000_000;

const expiresAt = z
  .string({ error: (issue) => `must be an RFC 3339 date-time string such as 2027-01-31T12:00:00.000Z, or null; received ${describeValue(issue.input)}` })
  .max(64, { error: "must be an RFC 3339 date-time of at most 64 characters, such as 2027-01-31T12:00:00.000Z" })
  .transform((value, ctx) => {
    const parsed = parseRfc3339(value);
    if (typeof parsed === "string") {
      ctx.addIssue({ code: "custom", message: parsed });
      return z.NEVER;
    }
    return parsed;
  });

const tagValue = z.union([text({ max: TAG_VALUE_MAX }), z.number().finite(), z.boolean()], {
  error: (issue) => `must be a string of at most ${TAG_VALUE_MAX} characters, a number or a boolean; received ${describeValue(issue.input)}`,
});

// `__proto__` is rejected because z.record builds its output by assignment, which would drop that key silently.
const tagName = text({ min: 1, max: TAG_KEY_MAX }).refine((name) => name !== "__proto__", { error: "cannot be __proto__" });

/**
 * Checks the tag names of the parsed JSON object. Reports a bad name against `tags` itself: as a path
 * segment, an empty or control-character name would make an unreadable field such as `tags.`.
 */
function checkTagNames(value: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  for (const name of Object.keys(value)) {
    const result = tagName.safeParse(name);
    if (!result.success) {
      const reason = result.error.issues[0]?.message ?? "is invalid";
      ctx.addIssue({ code: "custom", message: `contains the tag name ${JSON.stringify(name.slice(0, 40))}, which ${reason}` });
    }
  }
  return value;
}

const tags = z.preprocess(
  checkTagNames,
  z
    .record(z.string(), tagValue, { error: (issue) => `must be a JSON object of tag names to values; received ${describeValue(issue.input)}` })
    .refine((value) => Object.keys(value).length <= TAGS_MAX, {
      error: (issue) => `must have at most ${TAGS_MAX} tags; received ${Object.keys(issue.input as object).length}`,
    }),
);

const useLimit = z
  .number({ error: `must be a whole number from 1 to ${USE_LIMIT_MAX}, or null for unlimited` })
  .int({ error: `must be a whole number from 1 to ${USE_LIMIT_MAX}, or null for unlimited` })
  .min(1, { error: `must be a whole number from 1 to ${USE_LIMIT_MAX}, or null for unlimited` })
  .max(USE_LIMIT_MAX, { error: `must be a whole number from 1 to ${USE_LIMIT_MAX}, or null for unlimited` });

// Read-only fields of the Host Activation join token object. Clients that send a whole object back
// (Terraform, Ansible) include them, so they are accepted when well-typed and never applied.
const readOnlyText = () =>
  z
    .string({ error: (issue) => `is read-only and ignored, but when sent must be a string or null; received ${describeValue(issue.input)}` })
    .nullable()
    .optional();
const readOnlyCount = () =>
  z
    .union([z.number(), z.string()], {
      error: (issue) => `is read-only and ignored, but when sent must be a number, a string or null; received ${describeValue(issue.input)}`,
    })
    .nullable()
    .optional();
const readOnly = {
  id: readOnlyText(),
  token_id: readOnlyText(),
  status: readOnlyText(),
  use_counter: readOnlyCount(),
  last_used_at: readOnlyText(),
  deleted_at: readOnlyText(),
  created_at: readOnlyText(),
  updated_at: readOnlyText(),
  rejected_attempts: readOnlyCount(),
  last_rejected_at: readOnlyText(),
  last_rejected_ip: readOnlyText(),
};

export const createTokenSchema = z.strictObject({
  name: text({ min: 1, max: NAME_MAX }).refine((value) => value.trim() !== "", {
    error: "must contain a character other than white space",
  }),
  description: text({ max: DESCRIPTION_MAX, multiline: true }).nullable().optional(),
  expires_at: expiresAt.nullable().optional(),
  tags: tags.nullable().optional(),
  use_limit: useLimit.nullable().optional(),
  ...readOnly,
});

export const updateTokenSchema = z.strictObject({
  // Accepted so that a client can send the object back unchanged; a different name is rejected by the route.
  name: text({ min: 1, max: NAME_MAX }).optional(),
  description: text({ max: DESCRIPTION_MAX, multiline: true }).nullable().optional(),
  expires_at: expiresAt.nullable().optional(),
  tags: tags.nullable().optional(),
  use_limit: useLimit.nullable().optional(),
  ...readOnly,
});

export const MAX_IDS_PER_BULK_REVOKE = 100;
const idsExpected = `an array of 1 to ${MAX_IDS_PER_BULK_REVOKE} token ids`;

export const revokeManySchema = z.strictObject({
  ids: z
    .array(
      z
        .string({ error: (issue) => `must be a token id string, the \`id\` of a join token; received ${describeValue(issue.input)}` })
        .max(64, { error: "must be a token id of at most 64 characters, the `id` of a join token" }),
      { error: (issue) => (issue.input === undefined ? `is required; send ${idsExpected}` : `must be ${idsExpected}; received ${describeValue(issue.input)}`) },
    )
    .min(1, { error: `must be ${idsExpected}; received an empty array` })
    .max(MAX_IDS_PER_BULK_REVOKE, {
      error: (issue) => `must be ${idsExpected}; received ${Array.isArray(issue.input) ? issue.input.length : "more"}, so send them in several requests`,
    }),
});
