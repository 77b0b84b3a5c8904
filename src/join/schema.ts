import * as z from "zod";
import { describeValue, text } from "../lib/body";

export const joinRequestSchema = z.strictObject({
  // Only the type is checked here. The route rejects every other string that is not a live token as
  // TOKEN_INVALID (401), whatever its length or characters. The body limit bounds its size.
  join_token: z.string({
    error: (issue) =>
      issue.input === undefined
        ? "is required; send the token string that was returned when the join token was created"
        : `must be the token string that was returned when the join token was created; received ${describeValue(issue.input)}`,
  }),
  host_serial: text({ min: 1, max: 256 }),
  ophid: text({ min: 1, max: 256 }).optional(),
});

const IDEMPOTENCY_KEY_MAX = 256;

// The Idempotency-Key header, validated as an object so that errors name the header. Visible ASCII
// and space only: header bytes outside ASCII have no agreed encoding, so a retry from another client
// library could send the same key as different text.
export const idempotencyKeySchema = z.object({
  "Idempotency-Key": z
    .string()
    .min(1, { error: `must be 1 to ${IDEMPOTENCY_KEY_MAX} characters; received an empty header` })
    .max(IDEMPOTENCY_KEY_MAX, { error: (issue) => `must be 1 to ${IDEMPOTENCY_KEY_MAX} characters; received ${describeValue(issue.input)}` })
    .regex(/^[\x20-\x7e]*$/, {
      error: "must contain only visible ASCII characters and spaces; send a UUID or another ASCII key that is the same on every retry",
    }),
});
