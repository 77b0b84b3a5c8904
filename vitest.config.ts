import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./drizzle");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // Test-only bindings: the migrations for test/setup.ts, and no tripwire delay, so flushes run
          // as soon as a test waits for the request's waitUntil work.
          bindings: { TEST_MIGRATIONS: migrations, TRIPWIRE_FLUSH_MS: "0" },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/setup.ts"],
      // Service logs are printed for failing tests only.
      silent: "passed-only" as const,
    },
  };
});
