// Builds the saksi app into plain static files: node build.mjs [OUT] (default ../booth/witness/app).
// Deterministic: the same sources and lock file give the same bytes (no time stamps; the version
// is a hash of the files themselves), so the committed build can be checked by rebuilding it.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, "..", "booth", "witness", "app"));
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = { bundle: true, minify: true, format: "esm", target: ["es2020", "chrome90", "safari15", "firefox90"],
  platform: "browser", legalComments: "eof", charset: "utf8", logLevel: "warning", write: false };

const app = await build({ ...common, entryPoints: [join(here, "src", "app.js")], define: { __VERSION__: JSON.stringify(pkg.version) } });
writeFileSync(join(out, "app.js"), app.outputFiles[0].contents);
for (const name of readdirSync(join(here, "static")).sort()) copyFileSync(join(here, "static", name), join(out, name));
copyFileSync(join(here, "node_modules", "zxing-wasm", "dist", "reader", "zxing_reader.wasm"), join(out, "zxing_reader.wasm"));

// The service worker precaches every other file; its cache name is the hash of their bytes.
const files = readdirSync(out).sort().filter((n) => statSync(join(out, n)).isFile());
const hash = createHash("sha256");
for (const name of files) hash.update(name + "\0").update(readFileSync(join(out, name)));
const version = hash.digest("hex").slice(0, 12);
const sw = await build({ ...common, format: "iife", entryPoints: [join(here, "src", "sw.js")],
  define: { "self.__SAKSI_VERSION__": JSON.stringify(version), "self.__SAKSI_FILES__": JSON.stringify(files) } });
writeFileSync(join(out, "sw.js"), sw.outputFiles[0].contents);
writeFileSync(join(out, "VERSION"), `${pkg.version} ${version}\n`);
let total = 0;
for (const name of readdirSync(out)) total += statSync(join(out, name)).size;
console.log(`saksi app ${pkg.version} (${version}) -> ${out}: ${readdirSync(out).length} files, ${total} bytes`);
