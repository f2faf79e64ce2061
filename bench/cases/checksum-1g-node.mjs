// Checksum of a hot 1 GiB file from Node: over file.chunks(1 MiB) views (zero-copy)
// against the same checksum over 1 MiB views made directly from the mapping's ArrayBuffer
// (no per-chunk checks), and, as information, fs.readSync into a 1 MiB buffer. Each
// sample opens, checksums and closes.
import * as fs from "node:fs";
import { reference } from "../lib/build.mjs";
import { GiB, MiB, interleave, lib, makeHot, median, randomFile, runProgram } from "../lib/common.mjs";

export const name = "checksum-1g-node";
export const title = "checksum of a hot 1 GiB file from Node, 1 MiB at a time";
export const goal = "file.chunks(1 MiB) time ≤ 1.05× the time over raw views of the mapping";

const FILE_SIZE = GiB;
const CHUNK = MiB;

/**
 * The 32-bit sum of the file's little-endian 32-bit words (then its tail bytes): the
 * cheapest checksum that reads every byte, so that the reading shows and not the summing.
 */
function checksum(bytes, state) {
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  let sum = state[0];
  for (let i = 0; i < words.length; i++) sum = (sum + words[i]) | 0;
  for (let i = words.length << 2; i < bytes.length; i++) sum = (sum + bytes[i]) | 0;
  state[0] = sum;
}

/** No checksum: one byte of each 4 KiB page, so that only getting at the bytes counts. */
function touchPages(bytes, state) {
  let sum = state[0];
  for (let i = 0; i < bytes.length; i += 4096) sum = (sum + bytes[i]) | 0;
  state[0] = sum;
}

export async function run({ reps, dir, log }) {
  const { MemoryMappedFile } = await lib("index.js");
  const file = randomFile(dir, FILE_SIZE);
  makeHot(file);
  const buffer = new Uint8Array(CHUNK);
  const sums = new Map();
  const gbps = (kind, body, digest) => () => {
    const state = [0];
    const start = process.hrtime.bigint();
    body(state, digest);
    const ns = Number(process.hrtime.bigint() - start);
    if (!sums.has(kind)) sums.set(kind, new Set());
    sums.get(kind).add(state[0]);
    return FILE_SIZE / ns;
  };
  const overChunks = (state, digest) => {
    const mapped = MemoryMappedFile.openRo(file);
    try {
      for (const chunk of mapped.chunks(CHUNK)) digest(chunk, state);
    } finally {
      mapped.close();
    }
  };
  // The same mapping, opened and closed the same way, but the chunks are views made
  // straight from its ArrayBuffer: what file.chunks costs beyond the views themselves.
  const overRawViews = (state, digest) => {
    const mapped = MemoryMappedFile.openRo(file);
    try {
      const buffer = mapped.view(0).buffer; // one segment: the file is below 4 GiB
      for (let offset = 0; offset < FILE_SIZE; offset += CHUNK) {
        digest(new Uint8Array(buffer, offset, Math.min(CHUNK, FILE_SIZE - offset)), state);
      }
    } finally {
      mapped.close();
    }
  };
  const overReads = (state, digest) => {
    const fd = fs.openSync(file, "r");
    try {
      for (let n; (n = fs.readSync(fd, buffer, 0, CHUNK, null)) > 0;) digest(n === CHUNK ? buffer : buffer.subarray(0, n), state);
    } finally {
      fs.closeSync(fd);
    }
  };
  const nativeGBps = async (mode) => {
    const result = JSON.parse(await runProgram(reference(), [mode, file, String(CHUNK)]));
    if (!sums.has("C")) sums.set("C", new Set());
    sums.get("C").add(result.sum | 0);
    return result.bytes / result.ns;
  };
  const variants = [
    { name: "mmap-wasi file.chunks(1 MiB)", sample: gbps("sum", overChunks, checksum) },
    { name: "raw 1 MiB views of the mapping", sample: gbps("sum", overRawViews, checksum) },
    // References, not held to the goal: fs.readSync, and the loops without the checksum.
    { name: "fs.readSync 1 MiB", sample: gbps("sum", overReads, checksum) },
    { name: "file.chunks, 1 byte per page, no checksum", sample: gbps("touch", overChunks, touchPages) },
    { name: "raw views, 1 byte per page, no checksum", sample: gbps("touch", overRawViews, touchPages) },
    { name: "fs.readSync, 1 byte per page, no checksum", sample: gbps("touch", overReads, touchPages) },
    { name: "C: same sum over a mapping (reference)", sample: () => nativeGBps("sum-mmap") },
    { name: "C: same sum over pread 1 MiB (reference)", sample: () => nativeGBps("sum-pread") },
  ];
  for (const variant of variants) variant.unit = "GB/s";
  const results = await interleave(reps, variants, { log });
  for (const [kind, values] of sums) if (values.size !== 1) throw new Error(`${kind} checksums differ: ${[...values]}`);
  if (sums.get("C") && [...sums.get("C")][0] !== [...sums.get("sum")][0]) throw new Error("the C sum differs from the JS sum");
  const [chunks, raw, reads, touchChunks, touchRaw, touchReads, cMmap, cPread] = results.map((v) => median(v.samples));
  // Time ratios (≤ is better): GB/s of the reference over GB/s of file.chunks.
  const value = raw / chunks;
  // If getting at the bytes cost nothing, a sample would take only the checksum's time,
  // estimated as fs.readSync's time less its time without the checksum (a difference of
  // two medians: an estimate, not a hard bound).
  const checksumOnly = 1 / reads - 1 / touchReads;
  const ceilingEstimate = checksumOnly > 0 ? 1 / reads / checksumOnly : NaN;
  return {
    variants: results,
    ratios: [
      { value, description: "file.chunks time / raw views time", goal: "≤ 1.05", met: value <= 1.05 },
      { value: touchRaw / touchChunks, description: "the same, 1 byte per page and no checksum (file.chunks' own cost shows most)", goal: "(info)" },
      { value: chunks / reads, description: "file.chunks / fs.readSync (speed)", goal: "(info)" },
      { value: touchChunks / touchReads, description: "file.chunks / fs.readSync without the checksum (speed)", goal: "(info)" },
      { value: ceilingEstimate, description: "estimated most any reader reaches over fs.readSync with this JS checksum", goal: "(info)" },
      { value: cMmap / cPread, description: "C: sum over a mapping / over pread (the machine)", goal: "(info)" },
    ],
    goalMet: value <= 1.05,
    notes: "The same checksum for all (32-bit sum of 32-bit words, in JS); each sample opens the file, reads all of it and closes it, so the mapping's first-touch page faults count. Units: GB/s = 10^9 bytes/s of the 2^30-byte file.",
  };
}
