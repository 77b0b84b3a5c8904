import * as z from "zod";
import { text } from "../lib/body";

export const joinRequestSchema = z.strictObject({
  // The token's exact length is checked by the format check, which also rejects typos; this only bounds the work.
  join_token: text({ min: 1, max: 256 }),
  host_serial: text({ min: 1, max: 256 }),
  ophid: text({ min: 1, max: 256 }).optional(),
});

// The Idempotency-Key header, validated as an object so that errors name the header.
export const idempotencyKeySchema = z.object({ "Idempotency-Key": text({ min: 1, max: 256 }) });
