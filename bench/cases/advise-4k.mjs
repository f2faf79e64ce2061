// file.advise on a 4 KiB range against the bare native madvise call (the addon's
// native.advise on a mapping of the same file, same mode) on the same range: what
// mmap-wasi's checks, core calls and chunking add to one small madvise.
import * as fs from "node:fs";
import { MiB, interleave, lib, makeHot, median, randomFile, randomOffsets } from "../lib/common.mjs";

export const name = "advise-4k";
export const title = "file.advise(WillNeed) on a 4 KiB range of a hot 256 MiB file";
export const goal = "≤ 1.2× the time of the bare native madvise call";

const FILE_SIZE = 256 * MiB;
const COUNT = 200_000;

export async function run({ reps, dir, log }) {
  const { MemoryMappedFile, MmapAdvice } = await lib("index.js");
  const { native } = await lib("native.js");
  const { Mode, coreExports, platformCode } = await lib("core.js");
  const file = randomFile(dir, FILE_SIZE);
  makeHot(file);
  // Page-aligned, so the bare call advises exactly the range file.advise aligns to.
  const offsets = randomOffsets({ seed: 0xad5, count: COUNT, fileSize: FILE_SIZE, readSize: 4096 });

  const mapped = MemoryMappedFile.openRo(file);
  const fd = fs.openSync(file, "r");
  const segment = native.map(fd, 0, FILE_SIZE, Mode.ro, {});
  fs.closeSync(fd);
  if (segment < 0) throw new Error(`native.map failed: ${segment}`);
  const action = coreExports.adviceAction(platformCode(), MmapAdvice.WillNeed, Mode.ro, 0);

  const nsPerCall = (body) => () => {
    const start = process.hrtime.bigint();
    body();
    return Number(process.hrtime.bigint() - start) / COUNT;
  };
  let failures = 0;
  const variants = [
    {
      name: "mmap-wasi file.advise",
      sample: nsPerCall(() => {
        for (let i = 0; i < COUNT; i++) mapped.advise(offsets[i], 4096, MmapAdvice.WillNeed);
      }),
    },
    {
      name: "bare native.advise (madvise)",
      sample: nsPerCall(() => {
        for (let i = 0; i < COUNT; i++) if (native.advise(segment, offsets[i], 4096, action) < 0) failures++;
      }),
    },
  ];
  for (const variant of variants) Object.assign(variant, { unit: "ns/call", higherIsBetter: false });
  let results;
  try {
    results = await interleave(reps, variants, { log });
  } finally {
    mapped.close();
    native.unmap(segment, undefined);
  }
  if (failures) throw new Error(`the bare madvise failed ${failures} times`);
  const value = median(results[0].samples) / median(results[1].samples);
  return {
    variants: results,
    ratio: { value, description: "file.advise time / bare madvise time" },
    goalMet: value <= 1.2,
    notes: `${COUNT} random page-aligned 4 KiB ranges (seed 0xad5) per sample, MADV_WILLNEED on pages already in the page cache; both mappings ro (private).`,
  };
}
