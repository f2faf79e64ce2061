#!/usr/bin/env node
// Builds the addon's prebuilt binaries, which node-gyp-build picks at load time:
//   native/prebuilds/linux-x64/mmap-wasi.napi.glibc.node    prebuildify --napi (binding.gyp)
//   native/prebuilds/linux-arm64/mmap-wasi.napi.glibc.node  the same, cross-compiled with
//                                                           Debian's g++-aarch64-linux-gnu
//   native/prebuilds/win32-x64/mmap-wasi.napi.node          mingw-w64, linked against a
//                                                           delay-import library for
//                                                           node.exe (any host's name)
// The addon speaks Node-API only, so one binary per platform serves every Node major,
// Bun and Deno. Each binary's undefined symbols are checked for V8 (`_ZN2v8`).
//
// Run through npm (`npm run prebuilds [-- linux-x64 linux-arm64 win32-x64]`; not named
// `prebuild`, which npm would run before every `npm run build`) so node-gyp
// uses npm's `nodedir` and downloads nothing. A target whose compiler is missing fails
// with the Debian package to install; all requested targets are tried before exiting 1.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const nativeDir = join(root, "native");
const prebuildsDir = join(nativeDir, "prebuilds");
const require = createRequire(join(root, "package.json"));
const NAME = "mmap-wasi";

const targets = {
  "linux-x64": buildLinuxX64,
  "linux-arm64": buildLinuxArm64,
  "win32-x64": buildWin32X64,
};

function log(message) {
  console.log(`prebuild: ${message}`);
}

function run(command, args, options = {}) {
  log(`${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { stdio: "inherit", ...options });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} exited with ${result.status ?? result.signal}`);
}

class MissingTool extends Error {}

function need(command, debianPackage) {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  if (found.status !== 0) throw new MissingTool(`${command} not found: apt-get install ${debianPackage}`);
}

/** Node's headers for node-gyp: npm's nodedir (set when run through npm), else Node's own. */
function nodeIncludeDir() {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, "include", "node"),
    join(dirname(dirname(process.execPath)), "include", "node"),
    "/usr/include/node",
  ].filter(Boolean);
  const found = candidates.find((dir) => existsSync(join(dir, "node_api.h")) && existsSync(join(dir, "uv.h")));
  if (!found) throw new Error(`Node's headers (node_api.h, uv.h) not found in ${candidates.join(", ")}`);
  return found;
}

function prebuildify(cwd, extraArgs, env = {}) {
  if (!process.env.npm_config_nodedir) {
    log("warning: npm_config_nodedir is not set (run through `npm run prebuild`); node-gyp may try to download headers");
  }
  const bin = join(root, "node_modules", "prebuildify", "bin.js");
  // prebuildify names a Node-API build "<name>.<libc>.node"; the name "mmap-wasi.napi"
  // adds the napi tag that node-gyp-build reads as "any runtime, any ABI".
  run(process.execPath, [bin, "--napi", "--strip", "--tag-libc", "--name", `${NAME}.napi`, "--cwd", cwd, "--out", nativeDir, ...extraArgs], {
    cwd: root,
    env: { ...process.env, ...env },
  });
}

/**
 * native/'s binding.gyp and sources copied to a scratch folder, where prebuildify runs
 * node-gyp: node-gyp rebuild deletes its build folder first, and prebuildify moves the
 * binary out of it, so building in native/ would take the local build away.
 */
function scratchCopy(name) {
  const dir = join(root, ".tmp", `prebuild-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(nativeDir)) {
    if (/\.(cc|h|gyp)$/.test(file)) copyFileSync(join(nativeDir, file), join(dir, file));
  }
  return dir;
}

function buildLinuxX64() {
  const dir = scratchCopy("linux-x64");
  prebuildify(dir, []);
  rmSync(dir, { recursive: true, force: true });
  return join(prebuildsDir, "linux-x64", `${NAME}.napi.glibc.node`);
}

function buildLinuxArm64() {
  need("aarch64-linux-gnu-g++", "g++-aarch64-linux-gnu");
  const dir = scratchCopy("linux-arm64");
  prebuildify(dir, ["--arch", "arm64", "--platform", "linux", "--libc", "glibc", "--strip-bin", "aarch64-linux-gnu-strip"], {
    CC: "aarch64-linux-gnu-gcc",
    CXX: "aarch64-linux-gnu-g++",
    LINK: "aarch64-linux-gnu-g++",
    AR: "aarch64-linux-gnu-ar",
    STRIP: "aarch64-linux-gnu-strip",
  });
  rmSync(dir, { recursive: true, force: true });
  return join(prebuildsDir, "linux-arm64", `${NAME}.napi.glibc.node`);
}

function buildWin32X64() {
  const cxx = process.env.MINGW_CXX || "x86_64-w64-mingw32-g++-posix";
  need(cxx, "g++-mingw-w64-x86-64");
  need("x86_64-w64-mingw32-dlltool", "binutils-mingw-w64-x86-64");
  need("x86_64-w64-mingw32-nm", "binutils-mingw-w64-x86-64");
  const headers = dirname(require.resolve("node-api-headers/package.json"));
  const addonApi = resolve(root, require("node-addon-api").include_dir);
  const work = join(root, ".tmp", "prebuild-win32-x64");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  // What node-gyp defines for an addon on Windows, plus binding.gyp's settings. Node-API's
  // declarations come from node-api-headers; libuv's (uv_get_osfhandle) from Node's headers.
  const flags = [
    "-std=c++17", "-O2", "-Wall", "-Wextra",
    "-isystem", join(headers, "include"), "-isystem", nodeIncludeDir(), "-isystem", addonApi,
    "-DNAPI_VERSION=8", "-DNODE_ADDON_API_DISABLE_CPP_EXCEPTIONS", "-DWIN32_LEAN_AND_MEAN",
    "-DBUILDING_NODE_EXTENSION", "-DUSING_UV_SHARED=1", "-DUSING_V8_SHARED=1",
  ];
  const objects = [];
  for (const source of windowsSources()) {
    const object = join(work, source.replace(/\.cc$/, ".o"));
    run(cxx, [...flags, "-c", join(nativeDir, source), "-o", object]);
    objects.push(object);
  }
  const hook = join(work, "delay_load_hook.o");
  run(cxx, [...flags, "-c", join(nativeDir, "mingw", "delay_load_hook.cc"), "-o", hook]);

  // node.exe exports Node-API and libuv. The import library lists every napi_* function of
  // node-api-headers' .def files and the uv_* functions these objects use.
  const symbols = new Set();
  for (const def of ["js_native_api.def", "node_api.def"]) {
    for (const line of readFileSync(join(headers, "def", def), "utf8").split("\n")) {
      if (/^napi_|^node_api_/.test(line.trim())) symbols.add(line.trim());
    }
  }
  const undefinedSymbols = spawnSync("x86_64-w64-mingw32-nm", ["--undefined-only", "--format=just-symbols", ...objects], { encoding: "utf8" });
  if (undefinedSymbols.status !== 0) throw new Error(`nm failed: ${undefinedSymbols.stderr}`);
  for (const symbol of undefinedSymbols.stdout.split("\n")) {
    // Declared dllimport (USING_UV_SHARED), so referenced as __imp_uv_*.
    const match = /^(?:__imp_)?(uv_\w+)$/.exec(symbol.trim());
    if (match) symbols.add(match[1]);
  }
  const defFile = join(work, "node.def");
  writeFileSync(defFile, `LIBRARY node.exe\nEXPORTS\n${[...symbols].sort().join("\n")}\n`);
  // A delay-import library: node.exe's functions are bound at their first call, by
  // mingw-w64's helper, which asks native/mingw/delay_load_hook.cc for the module: the
  // running executable, whatever its name (without it, a host not named node.exe fails
  // to load the addon: "Module not found").
  const importLibrary = join(work, "libnode-delay.a");
  run("x86_64-w64-mingw32-dlltool", ["--input-def", defFile, "--output-delaylib", importLibrary, "--dllname", "node.exe"]);

  // Static libgcc, libstdc++ and winpthread: the .node file needs no mingw DLL beside it.
  const output = join(prebuildsDir, "win32-x64", `${NAME}.napi.node`);
  mkdirSync(dirname(output), { recursive: true });
  run(cxx, ["-shared", "-s", "-static", "-o", output, ...objects, hook, importLibrary, "-lpsapi"]);
  rmSync(work, { recursive: true, force: true });
  return output;
}

/** binding.gyp's sources for Windows: the common ones and those of its OS == 'win' condition. */
function windowsSources() {
  const target = JSON.parse(readFileSync(join(nativeDir, "binding.gyp"), "utf8")).targets[0];
  const conditional = (target.conditions ?? [])
    .filter(([condition]) => /^OS\s*==\s*'win'$/.test(condition.trim()))
    .flatMap(([, settings]) => settings.sources ?? []);
  return [...target.sources, ...conditional];
}

/**
 * V8 C++ symbols a built addon imports. ELF: its undefined dynamic symbols (nm -D). PE:
 * the names in the file, since node.exe's functions are delay-imported and objdump does
 * not list delay imports; every imported name is in the file as a string.
 */
function v8Symbols(file) {
  const bytes = readFileSync(file);
  if (bytes.subarray(0, 2).toString("latin1") === "MZ") {
    const names = bytes.toString("latin1").match(/[\x21-\x7e]{4,}/g) ?? [];
    if (!names.some((name) => name.startsWith("napi_create_"))) throw new Error(`${file} names no napi_ function`);
    return names.filter((name) => name.includes("_ZN2v8") || /@v8@@/.test(name));
  }
  const result = spawnSync("nm", ["-D", "--undefined-only", file], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`cannot list the symbols of ${file}: ${result.stderr || result.error}`);
  return result.stdout.split("\n").filter((line) => line.includes("_ZN2v8"));
}

// --missing (the prepack script): builds only the targets whose binary is not there yet
// or is older than a native source (a stale one would ship code that no longer matches
// the JavaScript), and leaves out, with a warning, a target whose compiler this machine lacks, except in
// CI and for `npm publish`, where every binary must be in the tarball.
const options = process.argv.slice(2).filter((arg) => arg.startsWith("--"));
const names = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const onlyMissing = options.includes("--missing");
const strict = !onlyMissing || Boolean(process.env.CI) || process.env.npm_command === "publish";
/** When the newest file the addon is built from (native/ and native/mingw/) was last changed. */
function newestNativeSource() {
  const sources = [nativeDir, join(nativeDir, "mingw")].flatMap((dir) =>
    readdirSync(dir).filter((name) => /\.(cc|h|gyp)$/.test(name)).map((name) => join(dir, name)));
  return Math.max(...sources.map((file) => statSync(file).mtimeMs));
}

const outputs = {
  "linux-x64": join(prebuildsDir, "linux-x64", `${NAME}.napi.glibc.node`),
  "linux-arm64": join(prebuildsDir, "linux-arm64", `${NAME}.napi.glibc.node`),
  "win32-x64": join(prebuildsDir, "win32-x64", `${NAME}.napi.node`),
};
const requested = names.length > 0 ? names : Object.keys(targets);
const failed = [];
for (const name of requested) {
  const build = targets[name];
  if (!build) {
    console.error(`prebuild: unknown target ${name} (known: ${Object.keys(targets).join(", ")})`);
    failed.push(name);
    continue;
  }
  if (onlyMissing && existsSync(outputs[name]) && statSync(outputs[name]).mtimeMs >= newestNativeSource()) {
    log(`have ${name}: ${outputs[name].slice(root.length + 1)}`);
    continue;
  }
  const started = Date.now();
  try {
    const file = build();
    if (file !== outputs[name] || !existsSync(file)) throw new Error(`${outputs[name]} was not made`);
    const v8 = v8Symbols(file);
    if (v8.length > 0) throw new Error(`${file} uses V8's C++ API:\n  ${v8.join("\n  ")}`);
    log(`ok   ${name}: ${file.slice(root.length + 1)} (no V8 symbols, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    if (!strict && error instanceof MissingTool) {
      console.warn(`prebuild: warning: ${name} left out of the package: ${error.message}`);
      continue;
    }
    console.error(`prebuild: FAIL ${name}: ${error.message}`);
    failed.push(name);
  }
}
if (failed.length > 0) {
  console.error(`prebuild: ${failed.length} of ${requested.length} target(s) failed: ${failed.join(", ")}`);
  process.exit(1);
}
