#!/usr/bin/env node
// The package's install script: builds the native addon from source only where no
// prebuilt binary in native/prebuilds/ fits this platform (as node-gyp-build chooses it
// at load time), or when asked to (`npm install --build-from-source`, or
// npm_config_build_from_source=mmap-wasi), and always in a git checkout. The build is
// npm's node-gyp in native/.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const nativeDir = join(root, "native");
const require = createRequire(import.meta.url);

const fromSource = process.env.npm_config_build_from_source ?? "";
const forced = fromSource === "true" || fromSource.split(",").includes("mmap-wasi");
// A git checkout always builds, as npm install always did there: node-gyp-build would
// otherwise keep a native/build left from older sources.
const checkout = existsSync(join(root, ".git"));

if (checkout) {
  console.log("mmap-wasi: a git checkout: building the addon from source");
} else if (!forced) {
  try {
    const found = require("node-gyp-build").path(nativeDir);
    console.log(`mmap-wasi: using ${found.slice(root.length + 1)}; no build needed`);
    process.exit(0);
  } catch (error) {
    console.log(`mmap-wasi: no prebuilt addon fits (${String(error.message).split("\n")[0]}); building from source`);
  }
} else {
  console.log("mmap-wasi: building the addon from source, as asked (npm_config_build_from_source)");
}

// npm runs install scripts with its own node-gyp: npm_config_node_gyp names its script,
// and its folder is on PATH.
const nodeGyp = process.env.npm_config_node_gyp;
const [command, args] = nodeGyp
  ? [process.execPath, [nodeGyp, "rebuild", "-C", nativeDir]]
  : ["node-gyp", ["rebuild", "-C", nativeDir]];
const result = spawnSync(command, args, { stdio: "inherit", shell: !nodeGyp && process.platform === "win32" });
if (result.error) {
  console.error(`mmap-wasi: could not run node-gyp: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
