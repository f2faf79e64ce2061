// Random 4 KiB reads from Node out of a hot 256 MiB file: mmap-wasi's copying APIs against
// the same copies written in plain JavaScript over the mapping's view, @riaskov/mmap-io,
// and, as information, fs.readSync and a C program doing memcpy from a mapping.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { memcpyCeiling } from "../lib/build.mjs";
import { MiB, interleave, lib, makeHot, median, randomFile, randomOffsets, ratio, runProgram } from "../lib/common.mjs";

export const name = "random-4k-node";
export const title = "random 4 KiB reads from Node, hot 256 MiB file";
export const goal = "file.readInto ≥ 0.95× a plain JS view copy; file.read ≥ 0.6× file.readInto; file.readInto ≥ 1.0× @riaskov/mmap-io";

const FILE_SIZE = 256 * MiB;
const READ = 4096;
const COUNT = 1 << 19;
const SLAB = 64 * 1024; // as file.read()'s slab

function loadMmapIo() {
  try {
    return { mmapIo: createRequire(import.meta.url)("@riaskov/mmap-io") };
  } catch (error) {
    return { error: error instanceof Error ? error.message.split("\n")[0] : String(error) };
  }
}

// A new Uint8Array per read, sliced from a 64 KiB slab, as file.read() allocates. Written
// as a helper with the slab outside the loop, like read()'s: the same loop with the slab in
// local variables ran at half the speed or less in some rounds.
let slab = new ArrayBuffer(SLAB);
let slabUsed = 0;
function sliceOfSlab(count) {
  if (count > SLAB - slabUsed) {
    slab = new ArrayBuffer(SLAB);
    slabUsed = 0;
  }
  const slice = new Uint8Array(slab, slabUsed, count);
  slabUsed += (count + 7) & ~7;
  return slice;
}

export async function run({ reps, dir, log }) {
  const { MemoryMappedFile } = await lib("index.js");
  const file = randomFile(dir, FILE_SIZE);
  makeHot(file);
  const offsetsFile = path.join(dir, `offsets-${name}.bin`);
  const offsets = randomOffsets({ seed: 0x4b1d, count: COUNT, fileSize: FILE_SIZE, readSize: READ, file: offsetsFile });
  const ceiling = memcpyCeiling();
  const target = new Uint8Array(READ);
  let sink = 0;

  const mapped = MemoryMappedFile.openRo(file);
  const whole = new Uint8Array(mapped.view(0).buffer); // the whole file: one segment below 4 GiB
  const fd = fs.openSync(file, "r");
  const { mmapIo, error: mmapIoError } = loadMmapIo();
  let mmapIoBuffer;
  let mmapIoFd;
  if (mmapIo) {
    mmapIoFd = fs.openSync(file, "r");
    mmapIoBuffer = mmapIo.map(FILE_SIZE, mmapIo.PROT_READ, mmapIo.MAP_SHARED, mmapIoFd, 0);
  } else {
    log(`@riaskov/mmap-io not available, not measured: ${mmapIoError}`);
  }

  const timed = (body) => () => {
    const start = process.hrtime.bigint();
    body();
    return (COUNT * 1e9) / Number(process.hrtime.bigint() - start);
  };
  const variants = [
    {
      name: "mmap-wasi file.read",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) sink += mapped.read(offsets[i], READ)[0];
      }),
    },
    {
      name: "mmap-wasi file.readInto",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) sink += mapped.readInto(offsets[i], target);
      }),
    },
    {
      name: "mmap-wasi view copy",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) target.set(mapped.view(offsets[i], READ));
        sink += target[0];
      }),
    },
    // References, not mmap-wasi's APIs: the same copies written directly against a view of
    // the whole mapping, without mmap-wasi's checks: what a one-read-per-call JavaScript
    // loop reaches, into one target (readInto's bound) and into a new slice of a 64 KiB
    // slab per read, as read() hands out (read's bound).
    {
      name: "plain JS view copy (reference)",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) target.set(whole.subarray(offsets[i], offsets[i] + READ));
        sink += target[0];
      }),
    },
    {
      name: "plain JS copy into a new slab slice (reference)",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) {
          const copy = sliceOfSlab(READ);
          copy.set(whole.subarray(offsets[i], offsets[i] + READ));
          sink += copy[0];
        }
      }),
    },
    // The fixed cost of a call, without the cache misses: the same 4 KiB at offset 0 each time.
    {
      name: "file.readInto at offset 0 (from cache)",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) sink += mapped.readInto(0, target);
      }),
    },
    {
      name: "plain JS view copy at offset 0 (from cache)",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) target.set(whole.subarray(0, READ));
        sink += target[0];
      }),
    },
    {
      name: "fs.readSync",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) sink += fs.readSync(fd, target, 0, READ, offsets[i]);
      }),
    },
  ];
  if (mmapIoBuffer) {
    variants.push({
      name: "@riaskov/mmap-io buffer copy",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) sink += mmapIoBuffer.copy(target, 0, offsets[i], offsets[i] + READ);
      }),
    });
  }
  variants.push({
    name: "C memcpy (ceiling)",
    sample: async () => JSON.parse(await runProgram(ceiling, [file, offsetsFile, String(READ)])).opsPerSec,
  });
  for (const variant of variants) variant.unit = "ops/s";

  let results;
  try {
    results = await interleave(reps, variants, { log });
  } finally {
    mapped.close();
    fs.closeSync(fd);
    if (mmapIoFd !== undefined) fs.closeSync(mmapIoFd);
  }
  if (sink === 0.5) log("(sink)"); // keeps the reads observable

  const medians = Object.fromEntries(results.map((v) => [v.name, median(v.samples)]));
  const read = medians["mmap-wasi file.read"];
  const readInto = medians["mmap-wasi file.readInto"];
  const plain = medians["plain JS view copy (reference)"];
  const plainSlab = medians["plain JS copy into a new slab slice (reference)"];
  const ceilingOps = medians["C memcpy (ceiling)"];
  const mmapIoOps = mmapIoBuffer ? medians["@riaskov/mmap-io buffer copy"] : NaN;
  const nsPer = (opsPerSecond) => (1e9 / opsPerSecond).toFixed(0);
  const goalRatio = (value, description, at) => ratio(value, description, `≥ ${at.toFixed(2)}`, value >= at);
  const info = (value, description) => ratio(value, description, "(info)", undefined);
  const ratios = [
    goalRatio(readInto / plain, "file.readInto / plain JS view copy", 0.95),
    goalRatio(read / readInto, "file.read / file.readInto", 0.6),
    mmapIoBuffer
      ? goalRatio(readInto / mmapIoOps, "file.readInto / @riaskov/mmap-io", 1.0)
      : ratio(NaN, "file.readInto / @riaskov/mmap-io: not measured", "≥ 1.00", false),
    // The bounds: what the same copies reach with no mmap-wasi code at all.
    info(plainSlab / plain, "bound of file.read / file.readInto: plain copy into a new slab slice / plain view copy"),
    info(read / plainSlab, "file.read / plain copy into a new slab slice"),
    info(medians["file.readInto at offset 0 (from cache)"] / medians["plain JS view copy at offset 0 (from cache)"],
      "file.readInto / plain JS view copy, both from cache (mmap-wasi's fixed cost shows most)"),
  ];
  if (mmapIoBuffer) ratios.push(info(plain / mmapIoOps, "bound of file.readInto / mmap-io: plain JS view copy / @riaskov/mmap-io"));
  ratios.push(
    info(readInto / ceilingOps, "file.readInto / C memcpy (ceiling)"),
    info(plain / ceilingOps, "plain JS view copy / C memcpy"),
    info(medians["mmap-wasi view copy"] / plain, "file.view copy / plain JS view copy"),
    info(readInto / medians["fs.readSync"], "file.readInto / fs.readSync"),
  );
  return {
    variants: results,
    ratios,
    goalMet: ratios.every((r) => r.met !== false),
    notes: `${COUNT} page-aligned offsets (seed 0x4b1d), one 4 KiB target buffer (file.read: a new copy per read); a full GC runs before each sample. ` +
      `Per read: file.readInto ${nsPer(readInto)} ns, plain JS view copy ${nsPer(plain)} ns; from cache ${nsPer(medians["file.readInto at offset 0 (from cache)"])} against ${nsPer(medians["plain JS view copy at offset 0 (from cache)"])} ns.` +
      (mmapIoBuffer ? "" : ` @riaskov/mmap-io could not be loaded: ${mmapIoError}`),
  };
}
