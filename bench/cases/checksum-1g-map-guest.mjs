// Checksum of a hot 1 GiB file from a C guest through a guest mapping of the whole file
// (mmap_wasi.map), against the same C function over mmap in a native process
// (bench/native/reference.c sum-mmap-again). Both run word_sum of bench_common.h, 1 MiB at
// a time, and time open + map + sum + unmap + close, so both take the same first-touch
// page faults. A second pass over the still-mapped file, timed apart, is the sum alone.
// Both mappings start where address and file offset agree modulo 2 MiB (the host places a
// guest mapping so, the kernel a native mmap of a large file), so the kernel maps the page
// cache's 2 MiB folios with huge pages in both: their count per pass is in the notes.
import * as path from "node:path";
import { benchGuest, reference } from "../lib/build.mjs";
import { GiB, MiB, interleave, makeHot, median, randomFile, ratio, runGuestChild, runProgram, thpFileMapped } from "../lib/common.mjs";

export const name = "checksum-1g-map-guest";
export const title = "checksum of a hot 1 GiB file from a C guest through a guest mapping";
export const goal = "≥ 0.8× C over mmap";

const FILE_SIZE = GiB;
const CHUNK = MiB;

export async function run({ reps, dir, log }) {
  const file = randomFile(dir, FILE_SIZE);
  makeHot(file);
  const guest = benchGuest();
  const guestFile = `/data/${path.basename(file)}`;
  const runs = { guest: [], native: [] };
  const sums = new Set();
  const mapKinds = new Set();
  const hugeMaps = { guest: [], native: [] };
  const keep = async (kind, running) => {
    const before = thpFileMapped();
    const result = await running();
    hugeMaps[kind].push(thpFileMapped() - before);
    runs[kind].push(result);
    sums.add(result.sum >>> 0);
    if (result.mapKind !== undefined) mapKinds.add(result.mapKind);
    return result.bytes / result.ns; // bytes per ns = GB/s
  };
  const variants = [
    {
      name: "guest mapping: open+map+sum+unmap+close",
      sample: () => keep("guest", () => runGuestChild(guest, ["sum-map", guestFile, String(CHUNK)], dir)),
    },
    {
      name: "C over mmap: open+mmap+sum+munmap+close",
      sample: () => keep("native", async () => JSON.parse(await runProgram(reference(), ["sum-mmap-again", file, String(CHUNK)]))),
    },
  ];
  for (const variant of variants) variant.unit = "GB/s";
  // Every sample is a new process; the file is hot: no warm-up round.
  const results = await interleave(reps, variants, { log, warmup: false });
  if (sums.size !== 1) throw new Error(`the sums differ: ${[...sums]}`);
  const again = (kind) => runs[kind].map((r) => r.bytes / r.againNs);
  results.push(
    { name: "guest: second pass, the sum alone", unit: "GB/s", higherIsBetter: true, samples: again("guest") },
    { name: "C: second pass, the sum alone", unit: "GB/s", higherIsBetter: true, samples: again("native") },
  );
  const [guestGBps, nativeGBps, guestSum, nativeSum] = results.map((v) => median(v.samples));
  // Time a pass takes beyond the sum (map, first-touch faults, unmap), in ns per byte.
  const guestRest = 1 / guestGBps - 1 / guestSum;
  const nativeRest = 1 / nativeGBps - 1 / nativeSum;
  const value = guestGBps / nativeGBps;
  const ratios = [
    ratio(value, "guest mapping / C over mmap", "≥ 0.8", value >= 0.8),
    ratio(guestSum / nativeSum, "the sum alone: guest / C (second passes)", "(info)", undefined),
    ratio(nativeRest / guestRest, "the rest (map, faults, unmap): C time / guest time", "(info)", undefined),
  ];
  return {
    variants: results,
    ratios,
    goalMet: ratios.every((r) => r.met !== false),
    notes: `The same C function (word_sum, bench/native/bench_common.h: a scalar 32-bit sum; its asm keeps gcc from vectorizing natively, as wasm32 without -msimd128 cannot), -O2 both: clang for wasm32-wasi, the system cc natively. ` +
      `map_kind ${[...mapKinds].join(",")}. Huge-page mappings made per pass (thp_file_mapped, median): guest ${median(hugeMaps.guest)}, C ${median(hugeMaps.native)} (of ${FILE_SIZE / 2 / MiB}). Beyond the sum, a pass took ${(guestRest * FILE_SIZE / 1e6).toFixed(0)} ms in the guest and ${(nativeRest * FILE_SIZE / 1e6).toFixed(0)} ms in C (map, ${FILE_SIZE / 4096} first-touch faults, unmap). GB/s = 10^9 bytes/s of the 2^30-byte file.`,
  };
}
