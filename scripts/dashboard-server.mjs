// The local dashboard server `npm start` runs next to the API: a tiny static server (Node
// only, no dependency) for dashboard/dist on 127.0.0.1, with the API's base URL injected as
// /config.js. Not the API Worker's assets router: that would cost every API request ~0.7 ms
// of CPU locally. In production Cloudflare Pages serves the same folder.

import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { configJs, DASHBOARD_DIST } from "./dashboard-build.mjs";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Serves `root` on 127.0.0.1:`port`. `/config.js` says where the API is; every other path is
 * a file of `root` (no listing, nothing outside it), or index.html for paths without an
 * extension (the app routes by hash, so that is only a courtesy).
 *
 * @param {{port: number, apiBase: string, root?: string}} options
 * @returns {Promise<{url: string, port: number, close: () => Promise<void>}>}
 */
export function startDashboardServer({ port, apiBase, root = DASHBOARD_DIST }) {
  root = resolve(root);
  const api = new URL(apiBase);
  const wsOrigin = `${api.protocol === "https:" ? "wss:" : "ws:"}//${api.host}`;
  const security = {
    // The API's origin (HTTP and its live-feed WebSockets) is the only place the page talks to.
    "Content-Security-Policy": `default-src 'self'; connect-src 'self' ${api.origin} ${wsOrigin}; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'`,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
  };
  const server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain" }).end("method not allowed\n");
      return;
    }
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    } catch {
      res.writeHead(400, { "Content-Type": "text/plain" }).end("bad request\n");
      return;
    }
    if (pathname === "/config.js") {
      res.writeHead(200, { ...security, "Content-Type": TYPES[".js"], "Cache-Control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : configJs(apiBase));
      return;
    }
    let file = normalize(join(root, pathname === "/" ? "index.html" : pathname));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403, { "Content-Type": "text/plain" }).end("forbidden\n");
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) {
      if (extname(pathname) !== "") {
        res.writeHead(404, { ...security, "Content-Type": "text/plain" }).end("not found\n");
        return;
      }
      file = join(root, "index.html");
    }
    const immutable = file.startsWith(join(root, "assets") + sep);
    res.writeHead(200, {
      ...security,
      "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
      "Content-Length": statSync(file).size,
      "Cache-Control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", (err) =>
      reject(err.code === "EADDRINUSE" ? new Error(`port ${port} on 127.0.0.1 is already in use (the dashboard's port: DASHBOARD_PORT)`) : err),
    );
    server.listen(port, "127.0.0.1", () => {
      const actual = server.address().port;
      resolvePromise({
        url: `http://127.0.0.1:${actual}`,
        port: actual,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}
