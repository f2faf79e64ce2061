// Random 8-byte reads from a C guest out of a hot 256 MiB file: one load from a guest
// mapping of the whole file (mmap_wasi.map) against pread (WASI fd_pread) of 8 bytes, in
// the same guest under node:wasi. The same loads in C over a mapping are information.
import * as path from "node:path";
import { benchGuest, memcpyCeiling } from "../lib/build.mjs";
import { MiB, interleave, makeHot, median, randomFile, randomOffsets, ratio, runGuestChild, runProgram } from "../lib/common.mjs";

export const name = "random-8b-map-guest";
export const title = "random 8-byte reads from a C guest, hot 256 MiB file";
export const goal = "a guest mapping ≥ 50× fd_pread";

const FILE_SIZE = 256 * MiB;
const READ = 8;
const COUNT = 1 << 19;

export async function run({ reps, dir, log }) {
  const file = randomFile(dir, FILE_SIZE);
  makeHot(file);
  const offsetsFile = path.join(dir, `offsets-${name}.bin`);
  // 8-byte aligned: a load never straddles two pages.
  randomOffsets({ seed: 0x8b8b, count: COUNT, fileSize: FILE_SIZE, readSize: READ, align: READ, file: offsetsFile });
  const guest = benchGuest();
  const ceiling = memcpyCeiling();
  const mapKinds = new Set();
  const guestOps = async (mode) => {
    const result = await runGuestChild(guest, [mode, `/data/${path.basename(file)}`, `/data/${path.basename(offsetsFile)}`, String(READ)], dir);
    if (result.mapKind !== undefined) mapKinds.add(result.mapKind);
    return (result.ops * 1e9) / result.ns;
  };
  const variants = [
    { name: "guest mapping, one 8-byte load", sample: () => guestOps("random-map") },
    { name: "guest pread 8 B (fd_pread)", sample: () => guestOps("random-pread") },
    // Information, not held to the goal: the same reads in C, from a mapping in the process.
    {
      name: "C memcpy 8 B from a mapping (native)",
      sample: async () => JSON.parse(await runProgram(ceiling, [file, offsetsFile, String(READ)])).opsPerSec,
    },
  ];
  for (const variant of variants) variant.unit = "ops/s";
  // Every sample is a new process that warms itself up (one untimed pass): no warm-up round.
  const results = await interleave(reps, variants, { log, warmup: false });
  const [mapOps, preadOps, nativeOps] = results.map((v) => median(v.samples));
  const ratios = [
    ratio(mapOps / preadOps, "guest mapping / fd_pread", "≥ 50", mapOps / preadOps >= 50),
    ratio(mapOps / nativeOps, "guest mapping / C (native)", "(info)", undefined),
  ];
  return {
    variants: results,
    ratios,
    goalMet: ratios.every((r) => r.met !== false),
    notes: `${COUNT} 8-byte aligned offsets (seed 0x8b8b); the guest maps the file once, then times one pass with clock_gettime after an untimed pass (the pages are then mapped). map_kind ${[...mapKinds].join(",")}. ` +
      `fd_pread: ${(1e9 / preadOps).toFixed(0)} ns a read (a host call and a system call); guest mapping: ${(1e9 / mapOps).toFixed(1)} ns; C: ${(1e9 / nativeOps).toFixed(1)} ns.`,
  };
}
