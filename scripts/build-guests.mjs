#!/usr/bin/env node
// Builds the AssemblyScript guests with the repository's asc:
//   examples/assemblyscript/*.ts -> build/examples/assemblyscript/<name>.wasm
//   tests/guests/*.ts            -> build/guests/<name>.wasm (when the folder exists)
// Files whose name starts with "_" are shared modules that guests import, not guests.
//
// Every guest gets the same options: those of @assemblyscript/wasi-shim's asconfig
// (`process` and `console` over WASI, `abort` to stderr and proc_exit, the top level run
// by an exported `_start`), optimized with -O3. Assertions stay in, so a test guest's
// `assert` still fails. One exception: a guest that exports its own `_start` keeps it,
// and its top level runs as the wasm start function instead.
//
// The shim's options are copied into a temporary config rather than named with
// `--config`, because a config cannot take back the `exportStart` it extends, and
// because without `--config` asc would read the repository's asconfig.json (the core's).
//
// Exits 1 if any guest fails to compile, after trying all of them.
// Usage: node scripts/build-guests.mjs
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
// The script behind node_modules/.bin/asc, run with this node so it also works where .bin
// holds a .cmd wrapper (Windows).
const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
const wasiShimConfig = join(root, "node_modules", "@assemblyscript", "wasi-shim", "asconfig.json");

const groups = [
  { sources: join(root, "examples", "assemblyscript"), output: join(root, "build", "examples", "assemblyscript"), required: true },
  { sources: join(root, "tests", "guests"), output: join(root, "build", "guests"), required: false },
];

function die(message) {
  console.error(`build-guests: ${message}`);
  process.exit(1);
}

for (const [file, what] of [[asc, "assemblyscript"], [wasiShimConfig, "@assemblyscript/wasi-shim"]]) {
  if (!existsSync(file)) die(`${relative(root, file)} is missing: run npm install (it needs the devDependency ${what})`);
}

/** The shim's options, split: asc resolves a config's `lib` against the config's folder
 *  and then joins it to its base directory, which only works for a config named by a
 *  relative path. So `lib` goes on the command line, relative to the root (the base). */
function wasiShimOptions() {
  const { lib, ...options } = JSON.parse(readFileSync(wasiShimConfig, "utf8")).options;
  const libs = lib == null ? [] : Array.isArray(lib) ? lib : [lib];
  const libArgs = libs.flatMap((dir) => ["--lib", relative(root, resolve(dirname(wasiShimConfig), dir))]);
  return { options, libArgs };
}

/** True if the source exports a function named _start itself. */
function exportsOwnStart(source) {
  const text = readFileSync(source, "utf8");
  return /\bexport\s+function\s+_start\s*\(/.test(text) || /\bas\s+_start\b/.test(text);
}

const configDir = mkdtempSync(join(tmpdir(), "mmap-wasi-guests-"));
process.on("exit", () => rmSync(configDir, { recursive: true, force: true }));
const { options: shim, libArgs } = wasiShimOptions();
const { exportStart: _omitted, ...ownStart } = shim;
const configs = {
  command: join(configDir, "command.asconfig.json"),
  ownStart: join(configDir, "own-start.asconfig.json"),
};
writeFileSync(configs.command, JSON.stringify({ options: shim }, null, 2));
writeFileSync(configs.ownStart, JSON.stringify({ options: ownStart }, null, 2));

// Each asc run takes a few seconds: run as many at once as there are CPUs.
const jobs = [];
for (const group of groups) {
  if (!existsSync(group.sources)) {
    if (group.required) die(`${relative(root, group.sources)} is missing`);
    continue;
  }
  const entries = readdirSync(group.sources)
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts") && !name.startsWith("_"))
    .sort();
  mkdirSync(group.output, { recursive: true });
  for (const name of entries) {
    jobs.push({ source: join(group.sources, name), outFile: join(group.output, `${basename(name, ".ts")}.wasm`) });
  }
}

/** Compiles one guest; its compiler output is printed in one piece once it is done. */
function compile({ source, outFile }) {
  const args = [
    asc, relative(root, source),
    "--config", exportsOwnStart(source) ? configs.ownStart : configs.command,
    ...libArgs,
    "--optimizeLevel", "3", "--shrinkLevel", "0",
    "--outFile", relative(root, outFile),
  ];
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    const output = [];
    child.stdout.on("data", (chunk) => output.push(chunk));
    child.stderr.on("data", (chunk) => output.push(chunk));
    child.on("error", (error) => done({ source, outFile, ok: false, why: error.message, output }));
    child.on("close", (code, signal) => done({ source, outFile, ok: code === 0, why: signal ?? `exit code ${code}`, output }));
  });
}

const failed = [];
let next = 0;
async function worker() {
  while (next < jobs.length) {
    const result = await compile(jobs[next++]);
    if (result.output.length > 0) process.stderr.write(Buffer.concat(result.output));
    if (result.ok) {
      console.log(`build-guests: ${relative(root, result.source)} -> ${relative(root, result.outFile)}`);
    } else {
      failed.push(relative(root, result.source));
      console.error(`build-guests: FAILED ${relative(root, result.source)} (${result.why})`);
    }
  }
}
await Promise.all(Array.from({ length: Math.max(1, Math.min(availableParallelism(), jobs.length)) }, worker));

if (failed.length > 0) die(`${failed.length} of ${jobs.length} guest(s) failed to compile: ${failed.sort().join(", ")}`);
console.log(`build-guests: ${jobs.length} guest(s) built`);
