// WillNeed on a cold 256 MiB file: how much of it is resident 2 s after the call, for
// mmap-wasi's file.advise (one madvise per read-ahead window) and for one plain
// madvise(MADV_WILLNEED) over the whole range, which is what other libraries do.
import * as fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { MiB, interleave, lib, makeCold, median, randomFile, ratio } from "../lib/common.mjs";

export const name = "willneed-cold-256m";
export const title = "WillNeed on a cold 256 MiB file: pages resident after 2 s";
export const goal = "≥ 99% resident";

const FILE_SIZE = 256 * MiB;
const WAIT_MS = 2000;

export async function run({ reps, dir, log }) {
  const { MemoryMappedFile, MmapAdvice } = await lib("index.js");
  const { native } = await lib("native.js");
  const { Mode, coreExports, platformCode } = await lib("core.js");
  // A file of its own (seed 7): another case's mapping of the shared file (mmap-io never
  // unmaps) would keep its pages in the page cache, and then nothing here is cold.
  const file = randomFile(dir, FILE_SIZE, 7);
  const action = coreExports.adviceAction(platformCode(), MmapAdvice.WillNeed, Mode.ro, 0);
  const callMs = { ours: [], plain: [] };

  /** Evicts, maps, advises (timing the call), waits, and returns the resident percentage. */
  const trial = async (kind) => {
    await makeCold(file);
    const mapped = MemoryMappedFile.openRo(file);
    try {
      const before = mapped.residency().residentPages;
      if (before > 0) throw new Error(`${before} pages still resident after eviction: the file is not cold`);
      let segment;
      if (kind === "plain") {
        const fd = fs.openSync(file, "r");
        segment = native.map(fd, 0, FILE_SIZE, Mode.ro, {});
        fs.closeSync(fd);
        if (segment < 0) throw new Error(`native.map failed: ${segment}`);
      }
      const start = process.hrtime.bigint();
      if (kind === "ours") mapped.advise(0, FILE_SIZE, MmapAdvice.WillNeed);
      else if (native.advise(segment, 0, FILE_SIZE, action) < 0) throw new Error("madvise failed");
      callMs[kind].push(Number(process.hrtime.bigint() - start) / 1e6);
      await sleep(WAIT_MS - Number(process.hrtime.bigint() - start) / 1e6);
      const { residentPages, totalPages } = mapped.residency();
      if (segment !== undefined) native.unmap(segment, undefined);
      return (100 * residentPages) / totalPages;
    } finally {
      mapped.close();
    }
  };
  const variants = [
    { name: "mmap-wasi file.advise(WillNeed)", unit: "% resident", sample: () => trial("ours") },
    { name: "one plain madvise(WILLNEED)", unit: "% resident", sample: () => trial("plain") },
  ];
  const results = await interleave(reps, variants, { log, warmup: false });
  results.push(
    { name: "mmap-wasi file.advise call returns after", unit: "ms", higherIsBetter: false, samples: callMs.ours },
    { name: "plain madvise call returns after", unit: "ms", higherIsBetter: false, samples: callMs.plain },
  );
  const ours = median(results[0].samples);
  const plain = median(results[1].samples);
  const ratios = [
    ratio(ours / 100, "of the file resident 2 s after mmap-wasi's WillNeed", "≥ 0.99", ours >= 99),
    ratio(ours / plain, "resident pages: mmap-wasi / one plain madvise", "(info)", undefined),
  ];
  return {
    variants: results,
    ratios,
    goalMet: ours >= 99,
    notes: "Before each trial: fsync + posix_fadvise(DONTNEED) (the file then shows 0 pages resident); residency is counted with mincore.",
  };
}
