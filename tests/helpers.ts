// Shared test helpers: temporary files on a real disk, page-cache eviction, and readers
// of /proc/self/smaps and /proc/self/maps.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { fileURLToPath } from "node:url";
import { getSystemErrorMap } from "node:util";
import { MmapError, runGuest, type GuestModule, type RunGuestOptions } from "../build/lib/index.js";
import { native, FileAdvice } from "../build/lib/native.js";

/** The built library, for scripts that tests run in a child process. */
export const libraryUrl = new URL("../build/lib/index.js", import.meta.url).href;

export const isLinux = process.platform === "linux";

/**
 * describe() for a suite that needs Linux (its /proc files or system calls). Elsewhere the
 * suite is skipped, and its title says why.
 */
export function describeOnLinux(title: string, why: string, suite: (this: Mocha.Suite) => void): void {
  if (isLinux) describe(title, suite);
  else describe.skip(`${title} (skipped: needs Linux for ${why})`, suite);
}

/**
 * The two ways a guest's open reaches a host file: on Linux 5.6+ one openat2 that the
 * kernel keeps inside the grant, and the walk by hand that other paths, older kernels
 * and other systems take. Tests of the sandbox run both.
 */
export const openWays = [
  { way: "openat2 where the kernel has it", byHand: false },
  { way: "every path resolved by hand (as without openat2)", byHand: true },
] as const;

/** The addon's status for "no such call here", whatever the platform numbers it. */
const ENOSYS = [...getSystemErrorMap()].find(([, [name]]) => name === "ENOSYS")![0];

/** Runs `body` with native.openBeneath answering ENOSYS when `byHand`, as a kernel without openat2 would. */
export async function openingWay<T>(byHand: boolean, body: () => T | Promise<T>): Promise<T> {
  const openBeneath = native.openBeneath;
  if (byHand) native.openBeneath = () => ENOSYS;
  try {
    return await body();
  } finally {
    native.openBeneath = openBeneath;
  }
}

/**
 * Ends a test that needs something this machine lacks: skipped, with the reason printed,
 * or failed under CI, whose .ci/run installs everything the tests need.
 */
export function missingPrerequisite(test: Mocha.Context, reason: string): never {
  if (process.env.CI) assert.fail(reason);
  console.log(`      (skipped: ${reason})`);
  return test.skip();
}

/**
 * Runs a guest under runGuest() in this process with its standard output and error in
 * files (a guest writes through real descriptors); returns its exit code and both texts.
 */
export async function runGuestCapturing(wasm: GuestModule, options: Omit<RunGuestOptions, "stdout" | "stderr">): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const temp = tempDir("guest-output");
  const [outFile, errFile] = [temp.file("stdout"), temp.file("stderr")];
  const [stdout, stderr] = [fs.openSync(outFile, "w"), fs.openSync(errFile, "w")];
  try {
    const { exitCode } = await runGuest(wasm, { ...options, stdout, stderr });
    return { exitCode, stdout: fs.readFileSync(outFile, "utf8"), stderr: fs.readFileSync(errFile, "utf8") };
  } finally {
    fs.closeSync(stdout);
    fs.closeSync(stderr);
    temp.remove();
  }
}

/**
 * A C or Rust guest, `build/<parts…>`, that examples/build-native-guests.sh builds. Without
 * that script's toolchain the test is skipped, except in CI, which installs it.
 */
export function nativeGuest(test: Mocha.Context, ...parts: string[]): string {
  const file = fileURLToPath(new URL(`../build/${parts.join("/")}`, import.meta.url));
  if (fs.existsSync(file)) return file;
  return missingPrerequisite(test, `${file} was not built: run npm run build:native-guests, which needs clang with wasi-libc and rustc for wasm32-wasi (CONTRIBUTING.md)`);
}

/** A fresh folder for one test file; removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mmap-wasi-${prefix}-`));
  return {
    dir,
    file: (name) => path.join(dir, name),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The suite's temporary folder: a fresh tempDir for each test (`"each"`) or one for all
 * of the suite's tests (`"all"`), made before and removed after them. The returned object
 * always stands for the current one.
 */
export function suiteTempDir(prefix: string, scope: "each" | "all" = "each"): { readonly dir: string; file(name: string): string } {
  let current: ReturnType<typeof tempDir> | undefined;
  (scope === "each" ? beforeEach : before)(() => { current = tempDir(prefix); });
  (scope === "each" ? afterEach : after)(() => current?.remove());
  return {
    get dir() { return current!.dir; },
    file: (name) => current!.file(name),
  };
}

/** Writes `size` random bytes to `file` in 8 MiB steps. */
export function writeRandomFile(file: string, size: number): void {
  const fd = fs.openSync(file, "w");
  try {
    const block = Buffer.alloc(Math.min(size, 8 << 20));
    for (let written = 0; written < size;) {
      const length = Math.min(block.length, size - written);
      randomFillSync(block, 0, length);
      fs.writeSync(fd, block, 0, length, written);
      written += length;
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Drops the file from the page cache: fsync, then posix_fadvise(DONTNEED). */
export function evict(file: string): void {
  const fd = fs.openSync(file, "r+");
  try {
    fs.fsyncSync(fd);
    const status = native.adviseFile(fd, 0, 0, FileAdvice.DontNeed);
    if (status !== 0) throw new Error(`posix_fadvise failed: ${status}`);
  } finally {
    fs.closeSync(fd);
  }
}

export interface SmapsEntry {
  range: string;
  path: string;
  fields: Record<string, number>; // in kB
}

/** The /proc/PID/smaps entries (this process's by default) that map `file`. */
export function smapsOf(file: string, pid: number | "self" = "self"): SmapsEntry[] {
  const real = fs.realpathSync(file);
  const entries: SmapsEntry[] = [];
  let current: SmapsEntry | undefined;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const header = /^([0-9a-f]+-[0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      current = { range: header[1]!, path: header[2]!, fields: {} };
      if (current.path === real) entries.push(current);
      continue;
    }
    const field = /^(\w+):\s+(\d+) kB$/.exec(line);
    if (field && current) current.fields[field[1]!] = Number(field[2]);
  }
  return entries;
}

/** Sum of one smaps field (kB) over every mapping of `file`. */
export function smapsTotal(file: string, field: string, pid: number | "self" = "self"): number {
  return smapsOf(file, pid).reduce((sum, entry) => sum + (entry.fields[field] ?? 0), 0);
}

export function mapsLineCount(): number {
  return fs.readFileSync("/proc/self/maps", "utf8").trimEnd().split("\n").length;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** Runs `run`, which must throw an MmapError with `code`; returns that error. */
export function expectCode(run: () => unknown, code: string): MmapError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof MmapError, `expected MmapError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

/** Runs an ES module `script` in a child Node with --expose-gc (at most a minute). */
export function runModuleScript(script: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
}
