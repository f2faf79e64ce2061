// Random 4 KiB reads from Node out of a hot 256 MiB file: mmap-wasi's copying APIs against
// fs.readSync, @riaskov/mmap-io and a C program doing memcpy from a mapping (the ceiling).
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { memcpyCeiling } from "../lib/build.mjs";
import { MiB, interleave, lib, makeHot, median, randomFile, randomOffsets, ratio, runProgram } from "../lib/common.mjs";

export const name = "random-4k-node";
export const title = "random 4 KiB reads from Node, hot 256 MiB file";
export const goal = "≥ 0.9× the C ceiling; ≥ 1.1× @riaskov/mmap-io";

const FILE_SIZE = 256 * MiB;
const READ = 4096;
const COUNT = 1 << 19;

function loadMmapIo() {
  try {
    return { mmapIo: createRequire(import.meta.url)("@riaskov/mmap-io") };
  } catch (error) {
    return { error: error instanceof Error ? error.message.split("\n")[0] : String(error) };
  }
}

export async function run({ reps, dir, log }) {
  const { MemoryMappedFile } = await lib("index.js");
  const file = randomFile(dir, FILE_SIZE);
  makeHot(file);
  const offsetsFile = path.join(dir, `offsets-${name}.bin`);
  const offsets = randomOffsets({ seed: 0x4b1d, count: COUNT, fileSize: FILE_SIZE, readSize: READ, file: offsetsFile });
  const ceiling = memcpyCeiling();
  const target = new Uint8Array(READ);
  let sink = 0;

  const mapped = MemoryMappedFile.openRo(file);
  const segment = mapped.view(0).buffer; // the whole file: one segment below 4 GiB
  const fd = fs.openSync(file, "r");
  const { mmapIo, error: mmapIoError } = loadMmapIo();
  let mmapIoBuffer;
  let mmapIoFd;
  if (mmapIo) {
    mmapIoFd = fs.openSync(file, "r");
    mmapIoBuffer = mmapIo.map(FILE_SIZE, mmapIo.PROT_READ, mmapIo.MAP_SHARED, mmapIoFd, 0);
  } else {
    log(`@riaskov/mmap-io not available, not measured: ${mmapIoError}`);
  }

  const timed = (body) => () => {
    const start = process.hrtime.bigint();
    body();
    return (COUNT * 1e9) / Number(process.hrtime.bigint() - start);
  };
  const variants = [
    {
      name: "mmap-wasi file.read",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) sink += mapped.read(offsets[i], READ)[0];
      }),
    },
    {
      name: "mmap-wasi file.readInto",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) sink += mapped.readInto(offsets[i], target);
      }),
    },
    {
      name: "mmap-wasi view copy",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) target.set(mapped.view(offsets[i], READ));
        sink += target[0];
      }),
    },
    // A reference, not one of mmap-wasi's APIs: the same copy written directly against the
    // mapping's ArrayBuffer, without mmap-wasi's checks: what any one-read-per-call
    // JavaScript loop reaches.
    {
      name: "plain JS view copy (reference)",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) target.set(new Uint8Array(segment, offsets[i], READ));
        sink += target[0];
      }),
    },
    {
      name: "fs.readSync",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) sink += fs.readSync(fd, target, 0, READ, offsets[i]);
      }),
    },
  ];
  if (mmapIoBuffer) {
    variants.push({
      name: "@riaskov/mmap-io buffer copy",
      sample: timed(() => {
        for (let i = 0; i < COUNT; i++) sink += mmapIoBuffer.copy(target, 0, offsets[i], offsets[i] + READ);
      }),
    });
  }
  variants.push({
    name: "C memcpy (ceiling)",
    sample: async () => JSON.parse(await runProgram(ceiling, [file, offsetsFile, String(READ)])).opsPerSec,
  });
  for (const variant of variants) variant.unit = "ops/s";

  let results;
  try {
    results = await interleave(reps, variants, { log });
  } finally {
    mapped.close();
    fs.closeSync(fd);
    if (mmapIoFd !== undefined) fs.closeSync(mmapIoFd);
  }
  if (sink === 0.5) log("(sink)"); // keeps the reads observable

  const medians = Object.fromEntries(results.map((v) => [v.name, median(v.samples)]));
  const ours = ["mmap-wasi file.read", "mmap-wasi file.readInto", "mmap-wasi view copy"];
  const best = ours.reduce((a, b) => (medians[b] > medians[a] ? b : a));
  const ceilingOps = medians["C memcpy (ceiling)"];
  const ratios = [
    ratio(medians[best] / ceilingOps, `${best} / C memcpy`, "≥ 0.9", medians[best] / ceilingOps >= 0.9),
  ];
  if (mmapIoBuffer) {
    const value = medians[best] / medians["@riaskov/mmap-io buffer copy"];
    ratios.push(ratio(value, `${best} / @riaskov/mmap-io`, "≥ 1.1", value >= 1.1));
  } else {
    ratios.push(ratio(NaN, "@riaskov/mmap-io not measured", "≥ 1.1", false));
  }
  for (const variant of ours.filter((v) => v !== best)) {
    ratios.push(ratio(medians[variant] / ceilingOps, `${variant} / C memcpy`, "(info)", undefined));
  }
  const plain = medians["plain JS view copy (reference)"];
  ratios.push(ratio(plain / ceilingOps, "plain JS view copy / C memcpy (any per-call JS loop)", "(info)", undefined));
  ratios.push(ratio(medians[best] / plain, `${best} / plain JS view copy (mmap-wasi's own cost)`, "(info)", undefined));
  if (mmapIoBuffer) {
    ratios.push(ratio(plain / medians["@riaskov/mmap-io buffer copy"], "plain JS view copy / @riaskov/mmap-io (any per-call JS loop)", "(info)", undefined));
  }
  ratios.push(ratio(medians["mmap-wasi file.readInto"] / medians["fs.readSync"], "file.readInto / fs.readSync", "(info)", undefined));
  return {
    variants: results,
    ratios,
    goalMet: ratios.every((r) => r.met !== false),
    notes: `${COUNT} page-aligned offsets (seed 0x4b1d), one target buffer; the best of mmap-wasi's three copying APIs (${best}) is held to the goal.` +
      (mmapIoBuffer ? "" : ` @riaskov/mmap-io could not be loaded: ${mmapIoError}`),
  };
}
