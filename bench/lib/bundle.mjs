// Bundle size and startup time of the shipped Worker (the root wrangler.toml).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { runWrangler } from "./servers.mjs";

const KIB = 1024;

/** Builds the Worker as `wrangler deploy --dry-run --minify` does and returns its JavaScript's size, raw and gzipped. */
export function measureBundle(outdir) {
  runWrangler(["deploy", "--dry-run", "--minify", "--outdir", outdir, "--config", "wrangler.toml"]);
  const files = readdirSync(outdir).filter((file) => file.endsWith(".js") || file.endsWith(".mjs"));
  const code = Buffer.concat(files.map((file) => readFileSync(path.join(outdir, file))));
  return {
    files,
    rawKiB: round(code.length / KIB),
    // zlib's default level (6): wrangler 4.164 also calls gzipSync without a level for its own "gzip" figure.
    gzipKiB: round(gzipSync(code).length / KIB),
  };
}

/**
 * Runs `wrangler check startup` on the minified build. Wrangler 4.164 profiles the startup locally in
 * workerd and prints the profile's active CPU time, which is what is returned here.
 */
export function measureStartup(outfile) {
  const output = runWrangler(["check", "startup", "--config", "wrangler.toml", "--args=--minify", "--outfile", outfile]);
  const active = /Active:\s*([\d.]+)\s*ms/.exec(output);
  const window = /Profile window:\s*([\d.]+)\s*ms/.exec(output);
  if (active === null) throw new Error(`wrangler check startup printed no "Active:" line:\n${output.slice(-800)}`);
  return { activeMs: Number(active[1]), profileWindowMs: window === null ? null : Number(window[1]) };
}

const round = (value) => Math.round(value * 100) / 100;
