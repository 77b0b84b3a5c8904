import { Hono } from "hono";
import { adminRoutes } from "./admin";
import type { AppEnv } from "./app-env";
import { joinRoutes } from "./join/route";
import { ApiError, errorResponse, storageUnavailable } from "./lib/errors";
import { describeError, isStorageError, log } from "./lib/log";
import { uiRoutes } from "./ui";

// Infoblox clients use both base paths for the same API.
export const BASE_PATHS = ["/host-activation/v1", "/atlas-host-activation/v1"] as const;

const api = new Hono<AppEnv>();
api.route("/", joinRoutes);
api.route("/", adminRoutes);

export const app = new Hono<AppEnv>();

app.use(async (c, next) => {
  c.set("requestId", c.req.header("cf-ray") ?? crypto.randomUUID());
  await next();
});

for (const base of BASE_PATHS) app.route(base, api);
app.route("/", uiRoutes);

app.notFound((c) =>
  errorResponse(c, new ApiError(404, "NOT_FOUND", `No route for ${c.req.method} ${new URL(c.req.url).pathname}; the API is under ${BASE_PATHS.join(" and ")}, and the admin page is at /admin.`, "path")),
);

app.onError((error, c) => {
  if (error instanceof ApiError) return errorResponse(c, error);
  // The cause goes to the log; the client gets the request id to quote.
  const fields = { request_id: c.get("requestId"), path: new URL(c.req.url).pathname, error: describeError(error) };
  if (isStorageError(error)) {
    log.error("storage_failed", fields);
    return errorResponse(c, storageUnavailable());
  }
  log.error("unhandled_error", fields);
  return errorResponse(c, new ApiError(500, "INTERNAL", "The request failed on our side; quote the request_id if you report it."));
});

export default app;
