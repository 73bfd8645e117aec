// Ports on 127.0.0.1: find a free one, or insist that a chosen one is free.

import { createServer } from "node:net";

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function getFreePort() {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePromise(port));
    });
  });
}

/** Resolves when `port` on 127.0.0.1 can be bound (nobody listens there); rejects with a clear message when it is in use. */
export function assertPortFree(port) {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", (err) =>
      reject(err.code === "EADDRINUSE" ? new Error(`port ${port} on 127.0.0.1 is already in use (another \`npm start\` or wrangler dev?)`) : err),
    );
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolvePromise()));
  });
}
