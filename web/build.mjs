// Builds the pages into dist/: dist/{participant,facilitator,ops,mytraining,devmail,classes,passes}.html
// and dist/assets/*.js|*.css. Everything the pages need is bundled here;
// nothing is fetched from a CDN at run time. The pages reference their
// assets as /assets/NAME (the orchestrator serves them from dist/assets).

import { build } from "esbuild";
import { cp, mkdir, readdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(root, "src");
const dist = path.join(root, "dist");
const pages = ["participant", "facilitator", "ops", "mytraining", "devmail", "admin", "insights", "classes",
  "passes", "signin"];

await rm(dist, { recursive: true, force: true });
await mkdir(path.join(dist, "assets"), { recursive: true });

await build({
  entryPoints: Object.fromEntries(pages.map((p) => [p, path.join(src, `${p}.js`)])),
  outdir: path.join(dist, "assets"),
  bundle: true,
  format: "esm",
  splitting: false,
  target: ["chrome110", "firefox115", "safari16"],
  minify: true,
  sourcemap: "linked",
  legalComments: "linked",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
});

await build({
  entryPoints: { onlive: path.join(src, "styles.css") },
  outdir: path.join(dist, "assets"),
  bundle: true,
  minify: true,
  logLevel: "warning",
});

for (const file of await readdir(path.join(src, "pages"))) {
  if (file.endsWith(".html")) await cp(path.join(src, "pages", file), path.join(dist, file));
}
console.log(`built ${pages.map((p) => `dist/${p}.html`).join(", ")} and dist/assets/`);
