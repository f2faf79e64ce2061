#!/usr/bin/env node
// Runs the tests on every runtime of the CI matrix, with the prebuilt addons
// (PREBUILDS_ONLY=1: node-gyp-build ignores native/build and loads native/prebuilds/…),
// and prints a summary table. The runtimes come from npm: `npm ci --force` in
// .ci/runtimes (or MMAP_WASI_RUNTIMES=<its node_modules>). Needs `npm run prebuilds` and
// the pretest build (build/lib, build/*.wasm, the guests).
//
//   node20, node22, node26,   mocha: the API, effects, guest ABI, guest, CLI, truncation,
//   bun, deno                 limits, sandbox, addon-argument and durability suites, and
//                             guest mappings (55), POSIX mmap for C guests (56) and the
//                             SQLite guest (65; not on Node 20)
//   linux-arm64                 Node 24 for arm64 under qemu-aarch64: tests/smoke
//   win32-x64                   Node 22 for Windows under Wine: tests/smoke, from node.exe
//                               and from a copy with another name
//
// Usage: node scripts/test-runtimes.mjs [entry…]   (default: all; exits 1 if any fails)
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const runtimes = process.env.MMAP_WASI_RUNTIMES || join(root, ".ci", "runtimes", "node_modules");
const mochaRunner = "scripts/mocha-in-process.mjs";
const mochaConfig = ".ci/mocharc.runtimes.json";
const smoke = "tests/smoke/runtime-smoke.mjs";
const MINUTE = 60_000;

const suites = [
  "tests/20.api.test.ts",
  "tests/30.effects.test.ts",
  "tests/50.guest-abi.test.ts",
  "tests/55.guest-mappings.test.ts",
  "tests/56.posix-mman.test.ts",
  "tests/60.run-guest.test.ts",
  "tests/65.sqlite-guest.test.ts",
  "tests/70.cli-pagecache.test.ts",
  "tests/80.truncation.test.ts",
  "tests/81.limits.test.ts",
  "tests/82.sandbox.test.ts",
  "tests/83.addon-arguments.test.ts",
  "tests/84.durability.test.ts",
];
// Suites the mocha entries leave out, and why (they run in the full npm test on Node 24).
const leftOut = [
  ["tests/00.core.test.ts", "the core's build and tables: WebAssembly only, nothing runtime-specific, and it runs asc twice"],
  ["tests/15.prebuilds.test.ts", "reads the binaries' symbols with nm: the same on every runtime"],
  ["tests/40.package.test.ts", "npm pack and npm install: npm's job, not the runtime's"],
  ["tests/85.model.test.ts", "property-based runs of the API against a model: the same JavaScript on every engine; Node 24 only, to keep the matrix within budget"],
  ["tests/86.guest-model.test.ts", "property-based runs of the guest ABI against a model: Node 24 only, to keep the matrix within budget"],
];

const wine = ["wine64", "/usr/lib/wine/wine64"].find((candidate) => which(candidate));
const winePrefix = process.env.WINEPREFIX || join(root, ".tmp", "wineprefix");

const entries = [
  mochaEntry("node20", [join(runtimes, "node20", "bin", "node"), "--import", "tsx"], {
    suites: [["tests/65.sqlite-guest.test.ts", "better-sqlite3 13, the test's native SQLite, is built for a newer Node-API than Node 20 has and crashes it on load"]],
    tests: [],
  }),
  mochaEntry("node22", [join(runtimes, "node22", "bin", "node"), "--import", "tsx"]),
  mochaEntry("node26", [join(runtimes, "node26", "bin", "node"), "--import", "tsx"]),
  // Bun runs TypeScript itself.
  mochaEntry("bun", [join(runtimes, "bun", "bin", "bun.exe")], {
    suites: [],
    tests: [
      ["a SIGBUS sent by a process, not a fault, reaches the handler", "KNOWN BUG under Bun 1.4: with the addon loaded, a SIGBUS sent by kill() ends the process instead of reaching process.on(\"SIGBUS\") (without the addon Bun delivers it)"],
      ["read and map through it; badf when not held, after fd_renumber and fd_close|mmap-wasi run: the same$", "KNOWN BUG in Bun 1.4's node:wasi, without this library too: after fd_renumber(from, to), fd_close(to) returns badf (8) and fd_close(from) succeeds (Node gives 0, then 8), so the descriptor was never moved; the test guest stops at that fd_close (exit 2), after every open_fd step before it gave the expected answer"],
    ],
  }),
  // Deno runs TypeScript itself; --sloppy-imports resolves the tests' "./helpers.js" to .ts.
  mochaEntry("deno", [join(runtimes, "@deno", "linux-x64-glibc", "deno"), "run", "-A", "--sloppy-imports"], {
    // Known failures under Deno 2.9, left out so the rest runs; each reason is printed.
    suites: ["80.truncation", "81.limits", "82.sandbox", "84.durability"].map((suite) => [
      `tests/${suite}.test.ts`,
      "most of its failures under Deno 2.9 are the test harness's: children started as `node --input-type=module -e` (Deno does not take Node's options) and the addon's raw descriptors closed with fs in the openBeneath tests (Deno's fs refuses descriptors it did not open); a SIGBUS sent by kill() to a process.on listener is not triaged",
    ]),
    tests: [
      ["killed with SIGKILL leaves the bytes|dropped without close\\(\\) are unmapped|runs to completion under runGuest, with no ExperimentalWarning|leaks no kernel area and does not crash; a probe memory|a page lost there is the new guest's", "their child process is `node --input-type=module -e`, which Deno's translation of Node's options does not run"],
      ["until SIGINT, then exits 0|SIGTERM also unlocks", "KNOWN BUG under Deno: `mmap-wasi lock` ends by the signal (status null) instead of unlocking and exiting 0"],
    ],
  }),
  {
    name: "linux-arm64",
    what: "tests/smoke (qemu-aarch64, prebuild linux-arm64)",
    binary: join(runtimes, "node24-arm64", "bin", "node"),
    needs: [["qemu-aarch64", "apt-get install qemu-user"], ["/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1", "apt-get install g++-aarch64-linux-gnu (its libc)"]],
    timeout: 10 * MINUTE,
    version: (binary) => capture(["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", binary, "--version"]),
    run: (binary) => runInherit(["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", binary, smoke], 10 * MINUTE),
  },
  {
    name: "win32-x64",
    what: "tests/smoke (Wine, prebuild win32-x64; node.exe and a renamed copy)",
    binary: join(runtimes, "node22-win-x64", "bin", "node.exe"),
    needs: [[wine ?? "wine64", "apt-get install wine64"]],
    timeout: 10 * MINUTE,
    version: (binary) => {
      prepareWine();
      return wineNode(binary, ["--version"], 2 * MINUTE).output.trim();
    },
    run: (binary) => {
      const { status, output } = wineNode(binary, [windowsPath(join(root, smoke))], 10 * MINUTE);
      process.stdout.write(output);
      if (status !== 0) return status;
      // Again from a copy of node.exe with another name, as Electron, Bun or Deno would
      // load the addon: its Node-API imports must bind to whichever executable runs.
      const host = join(root, ".tmp", "wine-host", "other-host.exe");
      mkdirSync(dirname(host), { recursive: true });
      copyFileSync(binary, host);
      const renamed = wineNode(host, [windowsPath(join(root, smoke))], 10 * MINUTE);
      process.stdout.write(renamed.output);
      rmSync(dirname(host), { recursive: true, force: true });
      return renamed.status;
    },
  },
];

/**
 * The mocha suites on one runtime. `leave.suites` and `leave.tests` (title patterns, for
 * mocha's --grep --invert) are left out on this runtime, each with a reason printed.
 */
function mochaEntry(name, command, leave = { suites: [], tests: [] }) {
  const left = new Set(leave.suites.map(([suite]) => suite));
  const own = suites.filter((suite) => !left.has(suite));
  const grep = leave.tests.length > 0 ? ["--grep", leave.tests.map(([pattern]) => `(?:${pattern})`).join("|"), "--invert"] : [];
  const short = (list) => list.map((suite) => suite.replace(/^tests\/(\d+)\.[\w-]+\.test\.ts$/, "$1")).join(" ");
  return {
    name,
    what: `mocha ${short(own)}${leave.suites.length + leave.tests.length > 0 ? ` (${leave.suites.length} suites, ${leave.tests.length} title patterns left out)` : ""}`,
    binary: command[0],
    needs: [],
    version: (binary) => capture([binary, "--version"]),
    run: () => {
      for (const [suite, reason] of leave.suites) console.log(`test-runtimes: ${name} leaves out ${suite}: ${reason}`);
      for (const [pattern, reason] of leave.tests) console.log(`test-runtimes: ${name} leaves out the tests /${pattern}/: ${reason}`);
      return runInherit([...command, mochaRunner, "--config", mochaConfig, ...grep, ...own], 15 * MINUTE);
    },
  };
}

function which(command) {
  if (command.includes("/")) return existsSync(command);
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function environment() {
  return { ...process.env, PREBUILDS_ONLY: "1", NO_COLOR: "1" };
}

function capture(argv) {
  const result = spawnSync(argv[0], argv.slice(1), { cwd: root, env: environment(), encoding: "utf8", timeout: 2 * MINUTE });
  return `${result.stdout ?? ""}`.trim().split("\n")[0] || `(no version: ${result.error?.message ?? result.stderr})`;
}

function runInherit(argv, timeout) {
  console.log(`$ ${argv.join(" ")}`);
  const result = spawnSync(argv[0], argv.slice(1), { cwd: root, env: environment(), stdio: "inherit", timeout, killSignal: "SIGKILL" });
  if (result.error) console.log(`test-runtimes: ${result.error.message}`);
  return result.status ?? `killed (${result.signal}${result.error?.code === "ETIMEDOUT" ? ", timed out" : ""})`;
}

function windowsPath(unixPath) {
  return `Z:${unixPath.replaceAll("/", "\\")}`;
}

function wineEnvironment() {
  return { ...environment(), WINEPREFIX: winePrefix, WINEDEBUG: "-all", WINEDLLOVERRIDES: "mscoree,mshtml=" };
}

/** A Wine prefix that reports Windows 10: Node 22 does not start on Wine's default. */
function prepareWine() {
  if (existsSync(join(winePrefix, "system.reg"))) return;
  mkdirSync(winePrefix, { recursive: true });
  console.log(`test-runtimes: creating the Wine prefix ${winePrefix} (Windows 10)`);
  for (const args of [["wineboot", "--init"], ["winecfg", "-v", "win10"]]) {
    const result = spawnSync(wine, args, { env: wineEnvironment(), stdio: "ignore", timeout: 5 * MINUTE });
    if (result.status !== 0) throw new Error(`${wine} ${args.join(" ")} failed (${result.status ?? result.signal})`);
  }
}

/** Runs node.exe under Wine. Its stdout goes to a file: on a pipe console.log fails with EBADF. */
function wineNode(binary, args, timeout) {
  const out = join(root, ".tmp", `wine-node-${process.pid}.txt`);
  mkdirSync(dirname(out), { recursive: true });
  console.log(`$ ${wine} ${binary} ${args.join(" ")} >${out} 2>&1`);
  const result = spawnSync("sh", ["-c", 'exec "$@" >"$0" 2>&1', out, wine, binary, ...args], {
    cwd: root,
    env: wineEnvironment(),
    timeout,
    killSignal: "SIGKILL",
  });
  const output = existsSync(out) ? readFileSync(out, "utf8").replaceAll("\r\n", "\n") : "";
  rmSync(out, { force: true });
  return { status: result.status ?? `killed (${result.signal})`, output };
}

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !entries.some((entry) => entry.name === name));
if (unknown.length > 0) {
  console.error(`test-runtimes: unknown entries ${unknown.join(", ")} (known: ${entries.map((entry) => entry.name).join(", ")})`);
  process.exit(2);
}

console.log("test-runtimes: the mocha entries leave out:");
for (const [suite, reason] of leftOut) console.log(`  ${suite}: ${reason}`);

const rows = [];
for (const entry of entries.filter((entry) => requested.length === 0 || requested.includes(entry.name))) {
  const started = Date.now();
  console.log(`\n=== ${entry.name}: ${entry.what}`);
  let version = "";
  let result;
  const missing = [[entry.binary, `npm ci --force in .ci/runtimes`], ...entry.needs].filter(([thing]) => !which(thing));
  if (missing.length > 0) {
    result = `FAIL: missing ${missing.map(([thing, fix]) => `${thing} (${fix})`).join(", ")}`;
  } else {
    try {
      version = entry.version(entry.binary);
      console.log(`test-runtimes: ${entry.name} is ${version}`);
      const status = entry.run(entry.binary);
      result = status === 0 ? "pass" : `FAIL (exit ${status})`;
    } catch (error) {
      result = `FAIL: ${error.message}`;
    }
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`=== ${entry.name}: ${result} in ${seconds} s`);
  rows.push([entry.name, version, entry.what, result, `${seconds} s`]);
}

const header = ["runtime", "version", "what ran", "result", "time"];
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
const line = (cells) => cells.map((cell, column) => cell.padEnd(widths[column])).join(" | ");
console.log(`\ntest-runtimes: summary\n${line(header)}\n${widths.map((width) => "-".repeat(width)).join("-|-")}`);
for (const row of rows) console.log(line(row));
process.exitCode = rows.every((row) => row[3] === "pass") ? 0 : 1;
