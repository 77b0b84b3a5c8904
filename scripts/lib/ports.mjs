import { createServer } from "node:net";

/**
 * Returns a TCP port that was free on 127.0.0.1 a moment ago. Another process can take it before
 * the caller binds it, so callers that start a server check that the server they reach is theirs.
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
