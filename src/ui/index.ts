import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { APP_SCRIPT } from "./app-script";
import { PAGE_HTML } from "./page";

// The page loads only its own script, styles and API, nothing from another origin, and no page may frame it.
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/** Routes of the admins' web page: GET /admin, its script GET /admin/app.js, and GET / redirecting to the page. */
export const uiRoutes = new Hono<AppEnv>();

uiRoutes.get("/", (c) => c.redirect("/admin", 302));

uiRoutes.get("/admin", (c) =>
  c.body(PAGE_HTML, 200, { ...SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" }),
);

// no-cache makes the browser fetch the script again on every page load, so the script never lags behind the page.
uiRoutes.get("/admin/app.js", (c) =>
  c.body(APP_SCRIPT, 200, { ...SECURITY_HEADERS, "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache" }),
);
