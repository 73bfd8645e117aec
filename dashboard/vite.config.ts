// The dashboard: a static single-page app (Preact, uPlot), built to dashboard/dist and served
// by Cloudflare Pages (`wrangler pages deploy dashboard/dist`) or, locally, by `npm start`'s
// static server (scripts/dashboard-server.mjs). See dashboard/README.md.
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  // JSX compiled by Vite's own transformer (Oxc) for Preact: no plugin needed.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
  },
  logLevel: "warn",
});
