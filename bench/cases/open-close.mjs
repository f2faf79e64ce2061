// Opening and closing a mapping of the 256 MiB file against the same system calls made
// bare through the addon in this process (open, fstat, mmap, munmap, close), and, as
// information, fs.openSync + fs.closeSync and the same sequence in C.
import * as fs from "node:fs";
import { reference } from "../lib/build.mjs";
import { MiB, interleave, lib, median, randomFile, runProgram } from "../lib/common.mjs";

export const name = "open-close";
export const title = "open + close of a mapping of a 256 MiB file";
export const goal = "MemoryMappedFile.openRo + close ≤ 1.3× the bare open + fstat + mmap + munmap + close through the addon";

const FILE_SIZE = 256 * MiB;
const COUNT = 2000;

export async function run({ reps, dir, log }) {
  const { MemoryMappedFile } = await lib("index.js");
  const { native } = await lib("native.js");
  const { Mode } = await lib("core.js");
  const file = randomFile(dir, FILE_SIZE);
  const info = new Float64Array(5);
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
      name: "bare: openSync + native.fileInfo + native.map + native.unmap + closeSync",
      sample: usPerCall(() => {
        for (let i = 0; i < COUNT; i++) {
          const fd = fs.openSync(file, "r");
          if (native.fileInfo(fd, info) < 0) throw new Error("native.fileInfo failed");
          const segment = native.map(fd, 0, info[0], Mode.ro, {});
          if (segment < 0) throw new Error(`native.map failed: ${segment}`);
          native.unmap(segment, undefined);
          fs.closeSync(fd);
        }
      }),
    },
    // References, not held to the goal.
    {
      name: "fs.openSync + fs.closeSync",
      sample: usPerCall(() => {
        for (let i = 0; i < COUNT; i++) fs.closeSync(fs.openSync(file, "r"));
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
  const [ours, bare, plain, c] = results.map((v) => median(v.samples));
  const value = ours / bare;
  return {
    variants: results,
    ratios: [
      { value, description: "openRo + close time / bare sequence time", goal: "≤ 1.3", met: value <= 1.3 },
      { value: ours / plain, description: "openRo + close / openSync + closeSync", goal: "(info)" },
      { value: bare / plain, description: "bare sequence / openSync + closeSync", goal: "(info)" },
      { value: c / bare, description: "C open + fstat + mmap + munmap + close / bare sequence in Node", goal: "(info)" },
    ],
    goalMet: value <= 1.3,
    notes: `${COUNT} open + close pairs per sample, nothing read; mmap-wasi adds ${(ours - bare).toFixed(2)} µs a pair to the bare sequence (medians).`,
  };
}
