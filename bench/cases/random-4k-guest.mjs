// Random 4 KiB reads from a C guest out of a hot 256 MiB file: a memcpy out of a guest
// mapping of the whole file (mmap_wasi.map), mmap_wasi.read and pread (WASI fd_pread) in
// the same guest under node:wasi, and the C memcpy ceiling. Two references bound what a
// guest call (mmap_wasi.read) can reach: the same guest making 64-byte reads at
// offset 0 again and again (the cost of a call, with a copy from the cache), and the
// plain JavaScript copy from the mapping's view that each call makes, timed in this
// process. Copies of 4 KiB from offset 0 (from the cache) in the guest and in C bound the
// mapping's copy. The host places the guest mapping where address and file offset agree
// modulo 2 MiB, as the kernel places the ceiling's mmap, so both get huge-page entries for
// the page cache's 2 MiB folios: their count per sample is in the notes.
import * as path from "node:path";
import { benchGuest, memcpyCeiling } from "../lib/build.mjs";
import { MiB, interleave, lib, makeHot, median, randomFile, randomOffsets, ratio, runGuestChild, runProgram, thpFileMapped } from "../lib/common.mjs";

export const name = "random-4k-guest";
export const title = "random 4 KiB reads from a C guest, hot 256 MiB file";
export const goal = "mapping ≥ 0.9× the C ceiling, ≥ 1.25× mmap_wasi.read; mmap_wasi.read ≥ 2.5× fd_pread, ≥ 0.9× the C ceiling";

const FILE_SIZE = 256 * MiB;
const READ = 4096;
const COUNT = 1 << 19;

export async function run({ reps, dir, log }) {
  const file = randomFile(dir, FILE_SIZE);
  makeHot(file);
  const offsetsFile = path.join(dir, `offsets-${name}.bin`);
  randomOffsets({ seed: 0x4b1d, count: COUNT, fileSize: FILE_SIZE, readSize: READ, file: offsetsFile });
  const guest = benchGuest();
  const ceiling = memcpyCeiling();
  const guestFile = `/data/${path.basename(file)}`;
  const guestOffsets = `/data/${path.basename(offsetsFile)}`;
  // The same count of offsets, every one 0: calls whose copy hits the cache.
  const zeroOffsetsFile = path.join(dir, `offsets-${name}-zero.bin`);
  randomOffsets({ seed: 1, count: COUNT, fileSize: READ, readSize: READ, file: zeroOffsetsFile });
  const mapKinds = new Set();
  const guestOps = async (mode, size = READ, offsetsPath = guestOffsets, ...more) => {
    const result = await runGuestChild(guest, [mode, guestFile, offsetsPath, String(size), ...more], dir);
    if (result.mapKind !== undefined) mapKinds.add(result.mapKind);
    return (result.ops * 1e9) / result.ns;
  };
  const hugeMaps = { guest: [], native: [] };
  const countHuge = async (kind, sampling) => {
    const before = thpFileMapped();
    const value = await sampling();
    hugeMaps[kind].push(thpFileMapped() - before);
    return value;
  };
  const { MemoryMappedFile } = await lib("index.js");
  const offsets = randomOffsets({ seed: 0x4b1d, count: COUNT, fileSize: FILE_SIZE, readSize: READ });
  const target = new Uint8Array(READ);
  let sink = 0;
  const variants = [
    { name: "guest mapping memcpy (memory.copy)", sample: () => countHuge("guest", () => guestOps("random-map")) },
    { name: "guest mmap_wasi.read", sample: () => guestOps("random-mmap") },
    { name: "guest pread (fd_pread)", sample: () => guestOps("random-pread") },
    {
      name: "C memcpy (ceiling)",
      sample: () => countHuge("native", async () => JSON.parse(await runProgram(ceiling, [file, offsetsFile, String(READ)])).opsPerSec),
    },
    // References for the bound, not held to the goal.
    {
      name: "guest mmap_wasi.read, 64 B at offset 0 (per-call cost)",
      sample: () => guestOps("random-mmap", 64, `/data/${path.basename(zeroOffsetsFile)}`),
    },
    {
      name: "plain JS view copy in Node (per-call copy)",
      sample: () => {
        // Like the guest: a new process's mapping, one untimed pass, then one timed pass.
        const mapped = MemoryMappedFile.openRo(file);
        try {
          const whole = new Uint8Array(mapped.view(0).buffer);
          let ns = 0;
          for (let pass = 0; pass < 2; pass++) {
            const start = process.hrtime.bigint();
            for (let i = 0; i < COUNT; i++) target.set(whole.subarray(offsets[i], offsets[i] + READ));
            ns = Number(process.hrtime.bigint() - start);
            sink += target[0];
          }
          return (COUNT * 1e9) / ns;
        } finally {
          mapped.close();
        }
      },
    },
    // The same copies, every one from offset 0 (in the cache): what a copy costs beyond the
    // memory system's part, guest memory.copy against C memcpy.
    {
      name: "guest mapping memcpy, 4 KiB at offset 0",
      sample: () => guestOps("random-map", READ, `/data/${path.basename(zeroOffsetsFile)}`),
    },
    {
      name: "C memcpy, 4 KiB at offset 0",
      sample: async () => JSON.parse(await runProgram(ceiling, [file, zeroOffsetsFile, String(READ)])).opsPerSec,
    },
  ];
  for (const variant of variants) variant.unit = "ops/s";
  // Every sample is a new process (or a new mapping) that warms itself up (one untimed
  // pass): no warm-up round.
  const results = await interleave(reps, variants, { log, warmup: false });
  if (sink === 0.5) log("(sink)"); // keeps the copies observable
  const [mapOps, mmapOps, preadOps, ceilingOps, callOps, copyOps, mapHotOps, ceilingHotOps] = results.map((v) => median(v.samples));
  // A guest read is a call plus a JavaScript copy: its time is estimated as the sum of the
  // two references' times per read (an estimate from two medians, not a hard bound).
  const bound = 1 / (1 / callOps + 1 / copyOps);
  const ratios = [
    ratio(mapOps / ceilingOps, "guest mapping / C memcpy", "≥ 0.9", mapOps / ceilingOps >= 0.9),
    ratio(mapOps / mmapOps, "guest mapping / mmap_wasi.read", "≥ 1.25", mapOps / mmapOps >= 1.25),
    // A mapping copies no faster than C does: C's copy over mmap_wasi.read's bounds the second goal.
    ratio(ceilingOps / mmapOps, "bound: C memcpy / mmap_wasi.read", "(info)", undefined),
    ratio(mapHotOps / ceilingHotOps, "4 KiB at offset 0: guest mapping / C memcpy", "(info)", undefined),
    ratio(mmapOps / preadOps, "mmap_wasi.read / fd_pread", "≥ 2.5", mmapOps / preadOps >= 2.5),
    ratio(mmapOps / ceilingOps, "mmap_wasi.read / C memcpy", "≥ 0.9", mmapOps / ceilingOps >= 0.9),
    ratio(bound / ceilingOps, "bound: (call + plain JS copy) / C memcpy", "(info)", undefined),
    ratio(copyOps / ceilingOps, "plain JS view copy alone / C memcpy", "(info)", undefined),
    ratio(mmapOps / bound, "mmap_wasi.read / that bound", "(info)", undefined),
  ];
  return {
    variants: results,
    ratios,
    goalMet: ratios.every((r) => r.met !== false),
    notes: `${COUNT} page-aligned offsets (seed 0x4b1d, the same as random-4k-node); the guest times one pass with clock_gettime after an untimed pass. ` +
      `The guest is built with -mbulk-memory: its memcpy out of the mapping (map_kind ${[...mapKinds].join(",")}) is one memory.copy, which V8 runs as a C memmove (wasi-libc's own memcpy is a byte-and-word loop). ` +
      `Huge-page mappings made per sample (thp_file_mapped, median): guest mapping ${median(hugeMaps.guest)}, C ${median(hugeMaps.native)} (of ${FILE_SIZE / 2 / MiB}). ` +
      `4 KiB at offset 0: guest mapping ${(1e9 / mapHotOps).toFixed(0)} ns, C ${(1e9 / ceilingHotOps).toFixed(0)} ns a copy. ` +
      `Per-call cost (64-byte reads at offset 0): ${(1e9 / callOps).toFixed(0)} ns; plain JS copy: ${(1e9 / copyOps).toFixed(0)} ns; C memcpy: ${(1e9 / ceilingOps).toFixed(0)} ns a read.`,
  };
}
