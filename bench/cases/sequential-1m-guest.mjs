// Sequential 1 MiB reads of a hot 1 GiB file from a C guest: mmap_wasi.read against
// pread (WASI fd_pread) in 1 MiB chunks. Each run opens, reads the whole file and closes.
import * as path from "node:path";
import { benchGuest, reference } from "../lib/build.mjs";
import { GiB, MiB, interleave, makeHot, median, randomFile, runGuestChild, runProgram } from "../lib/common.mjs";

export const name = "sequential-1m-guest";
export const title = "sequential 1 MiB reads of a hot 1 GiB file from a C guest";
export const goal = "mmap_wasi.read ≥ 1.0× fd_pread";

const FILE_SIZE = GiB;
const CHUNK = MiB;

export async function run({ reps, dir, log }) {
  const file = randomFile(dir, FILE_SIZE);
  makeHot(file);
  const guest = benchGuest();
  const guestFile = `/data/${path.basename(file)}`;
  const guestGBps = async (mode) => {
    const result = await runGuestChild(guest, [mode, guestFile, String(CHUNK)], dir);
    return result.bytes / result.ns; // bytes per ns = GB/s
  };
  const nativeGBps = async (mode) => {
    const result = JSON.parse(await runProgram(reference(), [mode, file, String(CHUNK)]));
    return result.bytes / result.ns;
  };
  const variants = [
    { name: "guest mmap_wasi.read", unit: "GB/s", sample: () => guestGBps("seq-mmap") },
    { name: "guest pread (fd_pread)", unit: "GB/s", sample: () => guestGBps("seq-pread") },
    // References, not held to the goal: the same loops in C, outside WebAssembly and Node.
    { name: "C mmap + memcpy (reference)", unit: "GB/s", sample: () => nativeGBps("seq-mmap") },
    { name: "C pread (reference)", unit: "GB/s", sample: () => nativeGBps("seq-pread") },
  ];
  const results = await interleave(reps, variants, { log });
  const [mmapRate, preadRate, cMmapRate, cPreadRate] = results.map((v) => median(v.samples));
  const value = mmapRate / preadRate;
  return {
    variants: results,
    ratios: [
      { value, description: "mmap_wasi.read / fd_pread", goal: "≥ 1.0", met: value >= 1.0 },
      { value: cMmapRate / cPreadRate, description: "C mmap + memcpy / C pread (the machine)", goal: "(info)" },
      { value: mmapRate / cMmapRate, description: "mmap_wasi.read / C mmap + memcpy", goal: "(info)" },
    ],
    goalMet: value >= 1.0,
    notes: "Each sample is a new guest process; the time covers open, every 1 MiB read and close. ro reads of 64 KiB or more are served by pread from the descriptor, so the mapping itself is not touched.",
  };
}
