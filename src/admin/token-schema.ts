import * as z from "zod";
import { text } from "../lib/body";
import { parseRfc3339 } from "../lib/time";

// Field limits. They bound storage per token and are far above what the admin UI needs.
export const NAME_MAX = 256;
export const DESCRIPTION_MAX = 1024;
export const TAGS_MAX = 64;
export const TAG_KEY_MAX = 128;
export const TAG_VALUE_MAX = 256;
export const USE_LIMIT_MAX = 1_000_000_000;

const expiresAt = z
  .string({ error: "must be an RFC 3339 date-time string or null" })
  .max(64, { error: "must be an RFC 3339 date-time string or null" })
  .transform((value, ctx) => {
    const parsed = parseRfc3339(value);
    if (typeof parsed === "string") {
      ctx.addIssue({ code: "custom", message: parsed });
      return z.NEVER;
    }
    return parsed;
  });

const tagValue = z.union([text({ max: TAG_VALUE_MAX }), z.number().finite(), z.boolean()], {
  error: `must be a string of at most ${TAG_VALUE_MAX} characters, a number or a boolean`,
});

const tags = z
  .record(text({ min: 1, max: TAG_KEY_MAX }), tagValue, { error: "must be a JSON object of tag names to values" })
  .refine((value) => Object.keys(value).length <= TAGS_MAX, { error: `must have at most ${TAGS_MAX} tags` });

const useLimit = z
  .number({ error: `must be a whole number from 1 to ${USE_LIMIT_MAX}, or null for unlimited` })
  .int({ error: `must be a whole number from 1 to ${USE_LIMIT_MAX}, or null for unlimited` })
  .min(1, { error: `must be a whole number from 1 to ${USE_LIMIT_MAX}, or null for unlimited` })
  .max(USE_LIMIT_MAX, { error: `must be a whole number from 1 to ${USE_LIMIT_MAX}, or null for unlimited` });

// Read-only fields of the Host Activation join token object. Clients that send a whole object back
// (Terraform, Ansible) include them, so they are accepted when well-typed and never applied.
const readOnly = {
  id: z.string().nullable().optional(),
  token_id: z.string().nullable().optional(),
  status: z.string().nullable().optional(),
  use_counter: z.union([z.number(), z.string()]).nullable().optional(),
  last_used_at: z.string().nullable().optional(),
  deleted_at: z.string().nullable().optional(),
  created_at: z.string().nullable().optional(),
  updated_at: z.string().nullable().optional(),
  rejected_attempts: z.union([z.number(), z.string()]).nullable().optional(),
  last_rejected_at: z.string().nullable().optional(),
  last_rejected_ip: z.string().nullable().optional(),
};

export const createTokenSchema = z.strictObject({
  name: text({ min: 1, max: NAME_MAX }),
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

export const revokeManySchema = z.strictObject({
  ids: z
    .array(z.string({ error: "must be a string token id" }).max(64, { error: "must be a token id of at most 64 characters" }), {
      error: `must be an array of 1 to ${MAX_IDS_PER_BULK_REVOKE} token ids`,
    })
    .min(1, { error: `must be an array of 1 to ${MAX_IDS_PER_BULK_REVOKE} token ids` })
    .max(MAX_IDS_PER_BULK_REVOKE, { error: `must be an array of 1 to ${MAX_IDS_PER_BULK_REVOKE} token ids` }),
});
