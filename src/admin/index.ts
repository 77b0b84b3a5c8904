import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../app-env";
import { ApiError } from "../lib/errors";
import { requireApiKey } from "./auth";
import { tokenRoutes } from "./token-routes";

/** Maximum admin request body, in bytes: a token with every field at its limit fits in about 40 KiB. */
export const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;

export const adminRoutes = new Hono<AppEnv>();

// Registered per path, not with "*", so that the join route mounted beside these stays unauthenticated.
// Hono's "/jointoken/*" also matches "/jointoken" itself, so listing both would look the key up twice.
for (const path of ["/jointoken/*", "/jointokens"]) {
  adminRoutes.use(
    path,
    requireApiKey,
    bodyLimit({
      maxSize: ADMIN_BODY_LIMIT_BYTES,
      onError: () => {
        throw new ApiError(413, "PAYLOAD_TOO_LARGE", `The request body exceeds ${ADMIN_BODY_LIMIT_BYTES} bytes.`, "body");
      },
    }),
  );
}
adminRoutes.route("/", tokenRoutes);
