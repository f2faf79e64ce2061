// Random 4 KiB reads from a C guest out of a hot 256 MiB file: mmap_wasi.read against
// pread (WASI fd_pread) in the same guest under node:wasi, and the C memcpy ceiling.
import * as path from "node:path";
import { benchGuest, memcpyCeiling } from "../lib/build.mjs";
import { MiB, interleave, makeHot, median, randomFile, randomOffsets, ratio, runGuestChild, runProgram } from "../lib/common.mjs";

export const name = "random-4k-guest";
export const title = "random 4 KiB reads from a C guest, hot 256 MiB file";
export const goal = "≥ 2.5× fd_pread; ≥ 0.75× the C ceiling";

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
  const guestOps = async (mode) => {
    const result = await runGuestChild(guest, [mode, guestFile, guestOffsets, String(READ)], dir);
    return (result.ops * 1e9) / result.ns;
  };
  const variants = [
    { name: "guest mmap_wasi.read", sample: () => guestOps("random-mmap") },
    { name: "guest pread (fd_pread)", sample: () => guestOps("random-pread") },
    {
      name: "C memcpy (ceiling)",
      sample: async () => JSON.parse(await runProgram(ceiling, [file, offsetsFile, String(READ)])).opsPerSec,
    },
  ];
  for (const variant of variants) variant.unit = "ops/s";
  // Every sample is a new process that warms itself up (one untimed pass): no warm-up round.
  const results = await interleave(reps, variants, { log, warmup: false });
  const [mmapOps, preadOps, ceilingOps] = results.map((v) => median(v.samples));
  const ratios = [
    ratio(mmapOps / preadOps, "mmap_wasi.read / fd_pread", "≥ 2.5", mmapOps / preadOps >= 2.5),
    ratio(mmapOps / ceilingOps, "mmap_wasi.read / C memcpy", "≥ 0.75", mmapOps / ceilingOps >= 0.75),
  ];
  return {
    variants: results,
    ratios,
    goalMet: ratios.every((r) => r.met),
    notes: `${COUNT} page-aligned offsets (seed 0x4b1d, the same as random-4k-node); the guest times one pass with clock_gettime after an untimed pass.`,
  };
}
