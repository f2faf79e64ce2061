// Opening and closing a mapping of the 256 MiB file against fs.openSync + fs.closeSync.
import * as fs from "node:fs";
import { reference } from "../lib/build.mjs";
import { MiB, interleave, lib, median, randomFile, runProgram } from "../lib/common.mjs";

export const name = "open-close";
export const title = "open + close of a mapping of a 256 MiB file";
export const goal = "MemoryMappedFile.openRo + close ≤ 3× fs.openSync + fs.closeSync";

const FILE_SIZE = 256 * MiB;
const COUNT = 2000;

export async function run({ reps, dir, log }) {
  const { MemoryMappedFile } = await lib("index.js");
  const { native } = await lib("native.js");
  const { Mode } = await lib("core.js");
  const file = randomFile(dir, FILE_SIZE);
  const usPerCall = (body) => () => {
    const start = process.hrtime.bigint();
    body();
    return Number(process.hrtime.bigint() - start) / 1e3 / COUNT;
  };
  const variants = [
    {
      name: "MemoryMappedFile.openRo + close",
      sample: usPerCall(() => {
        for (let i = 0; i < COUNT; i++) MemoryMappedFile.openRo(file).close();
      }),
    },
    {
      name: "fs.openSync + fs.closeSync",
      sample: usPerCall(() => {
        for (let i = 0; i < COUNT; i++) fs.closeSync(fs.openSync(file, "r"));
      }),
    },
    // References, not held to the goal.
    {
      name: "bare addon: openSync + native.map + closeSync + native.unmap",
      sample: usPerCall(() => {
        for (let i = 0; i < COUNT; i++) {
          const fd = fs.openSync(file, "r");
          const segment = native.map(fd, 0, FILE_SIZE, Mode.ro, {});
          fs.closeSync(fd);
          if (segment < 0) throw new Error(`native.map failed: ${segment}`);
          native.unmap(segment, undefined);
        }
      }),
    },
    {
      name: "C open + fstat + mmap + munmap + close",
      sample: async () => {
        const result = JSON.parse(await runProgram(reference(), ["open-map-close", file, String(COUNT)]));
        return result.ns / 1e3 / result.count;
      },
    },
  ];
  for (const variant of variants) Object.assign(variant, { unit: "µs", higherIsBetter: false });
  const results = await interleave(reps, variants, { log });
  const [ours, plain, bare, c] = results.map((v) => median(v.samples));
  const value = ours / plain;
  return {
    variants: results,
    ratios: [
      { value, description: "openRo + close time / openSync + closeSync time", goal: "≤ 3", met: value <= 3 },
      { value: bare / plain, description: "bare addon map + unmap / openSync + closeSync", goal: "(info)" },
      { value: c / plain, description: "C open + mmap + munmap + close / Node openSync + closeSync", goal: "(info)" },
    ],
    goalMet: value <= 3,
    notes: `${COUNT} open + close pairs per sample, nothing read.`,
  };
}
