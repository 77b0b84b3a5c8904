// Imports a TypeScript module from Node. Node 22 strips types itself (unflagged since 22.18), but
// only in files whose relative imports name their .ts extension. Any other module is first bundled
// into a temporary file with esbuild, which wrangler installs.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** Resolves with { module, loader }: the module's exports and which of the two ways loaded it. */
export async function loadTs(file) {
  try {
    return { module: await import(pathToFileURL(file).href), loader: "Node type stripping" };
  } catch (nativeError) {
    const { build } = await import("esbuild").catch(() => {
      throw nativeError;
    });
    const dir = await mkdtemp(join(tmpdir(), "reliability-ts-"));
    try {
      const outfile = join(dir, "module.mjs");
      await build({ entryPoints: [file], bundle: true, format: "esm", platform: "node", outfile, logLevel: "silent" });
      return { module: await import(pathToFileURL(outfile).href), loader: "esbuild bundle" };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
