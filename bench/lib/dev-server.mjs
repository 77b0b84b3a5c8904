// Child process that serves one Worker through wrangler's startWorker API: `wrangler dev --local`
// without the DevTools inspector connection (see servers.mjs). Prints one line `ready <url>`.
//   node bench/lib/dev-server.mjs <wrangler config> <port> <persist directory>
import { unstable_startWorker } from "wrangler";

const [config, port, persistTo] = process.argv.slice(2);

const worker = await unstable_startWorker({
  config,
  dev: {
    server: { hostname: "127.0.0.1", port: Number(port) },
    inspector: false,
    persist: persistTo,
    remote: false,
    watch: false,
    logLevel: "warn",
  },
});
await worker.ready;
console.log(`ready ${(await worker.url).href}`);

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, () => {
    worker.dispose().finally(() => process.exit(0));
  });
}
