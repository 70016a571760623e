// Vite builds the UI straight into the Go package that embeds it
// (core/internal/web/dist), so `go build` after `make web` ships it.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { defineConfig, type Plugin } from "vite";

const outDir = resolve(import.meta.dirname, "../core/internal/web/dist");

// Vite empties outDir before each build, which would delete the committed
// dist/.gitkeep that lets `go:embed all:dist` compile before any npm run.
function keepGitkeep(): Plugin {
  return {
    name: "atrium-keep-gitkeep",
    apply: "build",
    closeBundle() {
      writeFileSync(resolve(outDir, ".gitkeep"), "");
    },
  };
}

export default defineConfig({
  plugins: [keepGitkeep()],
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir,
    emptyOutDir: true,
    // noVNC uses top-level await (its WebCodecs probe).
    target: "es2022",
    // Every browser that runs ES2022 supports modulepreload: the polyfill
    // would be dead weight.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev` against a local core: ATRIUM_URL=http://127.0.0.1:8080
    proxy: {
      "/api": { target: process.env.ATRIUM_URL ?? "http://127.0.0.1:8080", ws: true },
    },
  },
});
