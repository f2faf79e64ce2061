// Helpers shared by the bench cases: statistics, deterministic data and offsets, the page
// cache (hot / cold), the interleaved measurement loop, and child processes.
import { spawn } from "node:child_process";
import { createCipheriv } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));
/**
 * The package measured: this checkout, or the package root in MMAP_WASI_BENCH_PACKAGE
 * (a folder with build/lib, build/*.wasm and native/build/Release/mmap_wasi.node), to
 * measure a proposed change side by side without replacing this checkout's build.
 */
export const PACKAGE = process.env.MMAP_WASI_BENCH_PACKAGE ? path.resolve(process.env.MMAP_WASI_BENCH_PACKAGE) : REPO;
export const BUILD_LIB = path.join(PACKAGE, "build/lib");
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** Imports a module of the built package (build/lib), e.g. lib("index.js"). */
export function lib(name) {
  return import(path.join(BUILD_LIB, name));
}

export function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A seeded PRNG (mulberry32): the same offsets for every variant and every run. */
export function rng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` random offsets in [0, fileSize - readSize], multiples of `align`, from `seed`.
 * Returned as a Float64Array (for JS) and written as little-endian u64 to `file` (for C).
 */
export function randomOffsets({ seed, count, fileSize, readSize, align = 4096, file }) {
  const random = rng(seed);
  const slots = Math.floor((fileSize - readSize) / align) + 1;
  const offsets = new Float64Array(count);
  const raw = new BigUint64Array(count);
  for (let i = 0; i < count; i++) {
    offsets[i] = Math.floor(random() * slots) * align;
    raw[i] = BigInt(offsets[i]);
  }
  if (file) fs.writeFileSync(file, new Uint8Array(raw.buffer));
  return offsets;
}

/**
 * A file of `size` deterministic pseudo-random bytes (AES-128-CTR keystream of `seed`)
 * in `dir`, made once per run and shared by the cases that ask for the same size.
 */
export function randomFile(dir, size, seed = 1) {
  const file = path.join(dir, `random-${size}-${seed}.bin`);
  try {
    if (fs.statSync(file).size === size) return file;
  } catch {
    // Not made yet.
  }
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(8 * MiB);
  const fd = fs.openSync(`${file}.part`, "w");
  try {
    for (let written = 0; written < size;) {
      const n = Math.min(zeros.length, size - written);
      const bytes = cipher.update(zeros.subarray(0, n));
      fs.writeSync(fd, bytes, 0, bytes.length, written);
      written += n;
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(`${file}.part`, file);
  return file;
}

/** Reads the whole file once, so that it is in the page cache ("hot"). */
export function makeHot(file) {
  const buffer = Buffer.allocUnsafe(8 * MiB);
  const fd = fs.openSync(file, "r");
  try {
    while (fs.readSync(fd, buffer, 0, buffer.length, null) > 0);
  } finally {
    fs.closeSync(fd);
  }
}

/** Evicts the file from the page cache ("cold"): fsync, then posix_fadvise(DONTNEED). */
export async function makeCold(file) {
  const { native, FileAdvice } = await lib("native.js");
  const fd = fs.openSync(file, "r");
  try {
    fs.fsyncSync(fd);
    const status = native.adviseFile(fd, 0, 0, FileAdvice.DontNeed);
    if (status < 0) throw new Error(`posix_fadvise(DONTNEED) failed: ${status}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Fraction of the file's pages in the page cache (mincore through mmap-wasi). */
export async function residentFraction(file) {
  const { MemoryMappedFile } = await lib("index.js");
  const mapped = MemoryMappedFile.openRo(file);
  try {
    const { residentPages, totalPages } = mapped.residency();
    return residentPages / totalPages;
  } finally {
    mapped.close();
  }
}

/**
 * Huge-page (PMD) mappings of file pages made so far, system-wide (thp_file_mapped in
 * /proc/vmstat): the difference around a sample counts the 2 MiB entries it got.
 */
export function thpFileMapped() {
  return Number(/^thp_file_mapped (\d+)$/m.exec(fs.readFileSync("/proc/vmstat", "latin1"))?.[1] ?? NaN);
}

/**
 * A full garbage collection, so that the garbage one variant left behind is not collected
 * in the next variant's time. Needs node --expose-gc, which bench/run.mjs makes sure of.
 */
export function collectGarbage() {
  if (typeof globalThis.gc !== "function") throw new Error("bench: run node with --expose-gc (npm run bench does)");
  globalThis.gc();
}

/**
 * Measures variants interleaved: one untimed warm-up round (unless warmup is false), then
 * `reps` rounds of A, B, C, ... with a full garbage collection before each sample. Each
 * variant's `sample()` returns one sample (it may be async). Returns the variants in the
 * case result shape.
 */
export async function interleave(reps, variants, { warmup = true, log } = {}) {
  const samples = variants.map(() => []);
  for (let round = warmup ? -1 : 0; round < reps; round++) {
    for (const [index, variant] of variants.entries()) {
      collectGarbage();
      const value = await variant.sample(round);
      if (round >= 0) samples[index].push(value);
    }
    if (log && round >= 0) {
      log(`round ${round + 1}/${reps}: ${variants.map((v, i) => `${v.name} ${fmt(samples[i].at(-1))}`).join(", ")}`);
    }
  }
  return variants.map((variant, index) => ({
    name: variant.name,
    unit: variant.unit,
    higherIsBetter: variant.higherIsBetter ?? true,
    samples: samples[index],
  }));
}

/** Median of the named variant in a result list. */
export function medianOf(variants, name) {
  const variant = variants.find((v) => v.name === name);
  if (!variant) throw new Error(`no variant ${name}`);
  return median(variant.samples);
}

/** A ratio entry: value, what it compares, the goal as text, and whether it is met. */
export function ratio(value, description, goal, met) {
  return { value, description, goal, met };
}

export function fmt(value) {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(2)} G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(3)} M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)} k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** Runs a program to completion; resolves with its stdout, rejects with its stderr. */
export function runProgram(file, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (data) => (stdout += data));
    child.stderr.on("data", (data) => (stderr += data));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${path.basename(file)} ${args.join(" ")} exited ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}

/**
 * Runs a guest in its own node process under node:wasi (runGuest), with `dir` granted
 * read-only as /data. Resolves with the guest's standard output, peakRssKiB (VmHWM of that
 * process at the end) and rssBeforeKiB (VmRSS just before the guest started).
 */
export async function runGuestProcess(wasm, args, dir) {
  const child = path.join(REPO, "bench/lib/guest-child.mjs");
  const stdout = await runProgram(process.execPath, [child, wasm, dir, ...args]);
  const lines = stdout.split("\n");
  const rss = lines.findLast((line) => line.startsWith("RSS "));
  if (!rss) throw new Error(`guest ${args.join(" ")} printed no RSS line: ${stdout}`);
  return { stdout: lines.slice(0, lines.lastIndexOf(rss)).join("\n"), ...JSON.parse(rss.slice(4)) };
}

/**
 * Runs a guest of build/bench as runGuestProcess does. Resolves with the guest's RESULT
 * object, plus peakRssKiB and rssBeforeKiB.
 */
export async function runGuestChild(wasm, args, dir) {
  const { stdout, ...rss } = await runGuestProcess(wasm, args, dir);
  const result = stdout.split("\n").find((line) => line.startsWith("RESULT "));
  if (!result) throw new Error(`guest ${args.join(" ")} printed no result: ${stdout}`);
  return { ...JSON.parse(result.slice(7)), ...rss };
}

