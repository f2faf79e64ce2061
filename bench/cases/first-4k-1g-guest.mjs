// Open a 1 GiB file and read its first 4 KiB from a C guest: mmap_wasi against wasi-libc's
// emulated mmap (-D_WASI_EMULATED_MMAN), which copies the whole file into linear memory.
// Time and the peak RSS of the process that runs the guest.
import * as path from "node:path";
import { benchGuest, benchGuestEmulated } from "../lib/build.mjs";
import { GiB, interleave, makeHot, median, randomFile, ratio, runGuestChild } from "../lib/common.mjs";

export const name = "first-4k-1g-guest";
export const title = "open + read first 4 KiB of a hot 1 GiB file from a C guest";
export const goal = "≥ 1000× faster, ≤ 1/20 peak RSS than wasi-libc's emulated mmap";

const FILE_SIZE = GiB;
const REPEATS = 20; // mmap_wasi opens per guest process; the first is the one compared

export async function run({ reps, dir, log }) {
  const file = randomFile(dir, FILE_SIZE);
  makeHot(file);
  const guest = benchGuest();
  const emulated = benchGuestEmulated();
  const guestFile = `/data/${path.basename(file)}`;
  const runs = { mmap: [], emulated: [] };
  const keep = (kind, result) => {
    runs[kind].push(result);
    return result;
  };
  const variants = [
    {
      name: "mmap_wasi open+read+close (first in process)",
      unit: "µs",
      higherIsBetter: false,
      sample: async () => keep("mmap", await runGuestChild(guest, ["first4k-mmap", guestFile, String(REPEATS)], dir)).ns[0] / 1e3,
    },
    {
      name: "emulated mmap open+mmap+read+munmap+close",
      unit: "µs",
      higherIsBetter: false,
      sample: async () => keep("emulated", await runGuestChild(emulated, ["first4k-emulated", guestFile], dir)).ns[0] / 1e3,
    },
  ];
  const results = await interleave(reps, variants, { log, warmup: false });
  const rss = (kind) => runs[kind].map((r) => r.peakRssKiB / 1024);
  const rssDelta = (kind) => runs[kind].map((r) => (r.peakRssKiB - r.rssBeforeKiB) / 1024);
  const later = runs.mmap.map((r) => median(r.ns.slice(1)) / 1e3);
  results.push(
    { name: "mmap_wasi open+read+close (later in process)", unit: "µs", higherIsBetter: false, samples: later },
    { name: "mmap_wasi peak RSS", unit: "MiB", higherIsBetter: false, samples: rss("mmap") },
    { name: "emulated mmap peak RSS", unit: "MiB", higherIsBetter: false, samples: rss("emulated") },
    { name: "mmap_wasi peak RSS − RSS before guest", unit: "MiB", higherIsBetter: false, samples: rssDelta("mmap") },
    { name: "emulated peak RSS − RSS before guest", unit: "MiB", higherIsBetter: false, samples: rssDelta("emulated") },
  );
  const speed = median(results[1].samples) / median(results[0].samples);
  const memory = median(rss("emulated")) / median(rss("mmap"));
  const ratios = [
    ratio(speed, "faster (emulated time / mmap_wasi first-call time)", "≥ 1000", speed >= 1000),
    ratio(memory, "less peak RSS (emulated / mmap_wasi, whole process)", "≥ 20", memory >= 20),
    ratio(median(results[1].samples) / median(later), "faster (emulated / mmap_wasi later calls)", "(info)", undefined),
    ratio(median(rssDelta("emulated")) / median(rssDelta("mmap")), "less RSS added by the guest (peak − before)", "(info)", undefined),
    // The peak RSS ratio if the guest added nothing to the process: Node's own RSS bounds it.
    ratio(median(rss("emulated")) / median(runs.mmap.map((r) => r.rssBeforeKiB / 1024)),
      "bound of the peak RSS ratio: emulated peak / RSS before the guest ran", "(info)", undefined),
  ];
  return {
    variants: results,
    ratios,
    goalMet: ratios.every((r) => r.met !== false),
    notes: `Each sample is a new node process (runGuest, node:wasi); the guest times itself. "first in process" is the guest's first mmap_wasi open (cold JIT of the host side); "later" the median of opens 2–${REPEATS} in the same guest. Peak RSS is VmHWM of the whole process.`,
  };
}
