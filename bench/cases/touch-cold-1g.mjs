// `mmap-wasi touch` of a cold 1 GiB file beside `vmtouch -t` (Debian's vmtouch). The goal
// compares each tool's own work: the elapsed time each one reports itself, from after its
// start to its end. Process start is measured apart, as the same tool run on an empty file
// (start, loading and a touch of nothing), and the end-to-end times (spawn to exit) are
// kept as information. Before every run on the 1 GiB file it is evicted and checked to be
// cold (0 pages resident).
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as fs from "node:fs";
import { GiB, REPO, interleave, makeCold, median, randomFile, residentFraction, runProgram } from "../lib/common.mjs";

export const name = "touch-cold-1g";
export const title = "touch of a cold 1 GiB file";
export const goal = "mmap-wasi touch's own work not slower than vmtouch -t's (ratio ≥ 1.0), process start apart";

const CLI = path.join(REPO, "build/lib/cli/main.js");

/** Runs a program; resolves with its wall time in seconds (spawn to exit) and its stdout. */
async function timed(file, args) {
  const start = performance.now();
  const stdout = await runProgram(file, args);
  return { seconds: (performance.now() - start) / 1000, stdout };
}

async function cold(file) {
  await makeCold(file);
  const fraction = await residentFraction(file);
  if (fraction !== 0) throw new Error(`${file} is not cold after eviction: ${(fraction * 100).toFixed(2)}% resident`);
}

/** Tries this many times to see a run leave every page resident before calling it broken. */
const ATTEMPTS = 3;

/**
 * Evicts `file`, runs `program` on it (timed) and checks that every page is resident
 * afterwards. A run that leaves pages out is run again, up to ATTEMPTS times: a tool that
 * misses pages misses them every time, while the memory reclaim of this kind of VM (a
 * DAMON pageout scheme runs here) may take a few pages back between the run and the check.
 */
async function touchedRun(file, program, args, what, log) {
  for (let attempt = 1; ; attempt++) {
    await cold(file);
    const run = await timed(program, args);
    const fraction = await residentFraction(file);
    if (fraction === 1) return run;
    const message = `${what} left ${file} ${(fraction * 100).toFixed(4)}% resident, not 100%`;
    if (attempt === ATTEMPTS) throw new Error(`${message}, ${ATTEMPTS} times in a row`);
    log(`${message}; running it again (attempt ${attempt + 1} of ${ATTEMPTS})`);
  }
}

/** The elapsed time a tool reports for its own work, in seconds. */
const OWN_TIME = {
  ours: (stdout) => /in ([\d.]+) s/.exec(stdout)?.[1],
  vmtouch: (stdout) => /Elapsed: ([\d.e+-]+) seconds/.exec(stdout)?.[1],
};

function ownSeconds(tool, stdout) {
  const text = OWN_TIME[tool](stdout);
  if (text === undefined) throw new Error(`no elapsed time in the output of ${tool}: ${stdout.trim()}`);
  return Number(text);
}

export async function run({ reps, dir, log }) {
  if (spawnSync("vmtouch", ["-h"]).error) throw new Error("vmtouch is not installed (Debian package vmtouch; .ci/run installs it)");
  const file = randomFile(dir, GiB);
  const empty = path.join(dir, "empty.bin");
  fs.writeFileSync(empty, "");
  const own = { ours: [], vmtouch: [] };
  const endToEnd = (tool, program, args, what) => async () => {
    const { seconds, stdout } = await touchedRun(file, program, args, what, log);
    own[tool].push(ownSeconds(tool, stdout));
    return seconds;
  };
  const start = (program, args) => async () => (await timed(program, args)).seconds;
  const variants = [
    { name: "mmap-wasi touch", sample: endToEnd("ours", process.execPath, [CLI, "touch", file], "mmap-wasi touch") },
    { name: "vmtouch -t", sample: endToEnd("vmtouch", "vmtouch", ["-t", file], "vmtouch -t") },
    // Process start: the same commands on an empty file, no page-cache work.
    { name: "mmap-wasi touch of an empty file (process start)", sample: start(process.execPath, [CLI, "touch", empty]) },
    { name: "vmtouch -t of an empty file (process start)", sample: start("vmtouch", ["-t", empty]) },
  ];
  for (const variant of variants) Object.assign(variant, { unit: "s", higherIsBetter: false });
  const results = await interleave(reps, variants, { log });
  results.push(
    { name: "mmap-wasi touch, own elapsed time", unit: "s", higherIsBetter: false, samples: own.ours.slice(-reps) },
    { name: "vmtouch -t, own elapsed time", unit: "s", higherIsBetter: false, samples: own.vmtouch.slice(-reps) },
  );
  const [ours, theirs, oursStart, theirsStart, oursOwn, theirsOwn] = results.map((v) => median(v.samples));
  const value = theirsOwn / oursOwn;
  const ms = (seconds) => `${(seconds * 1000).toFixed(0)} ms`;
  return {
    variants: results,
    ratios: [
      { value, description: "vmtouch -t own time / mmap-wasi touch own time (as each reports it)", goal: "≥ 1.0", met: value >= 1.0 },
      {
        value: (theirs - theirsStart) / (ours - oursStart),
        description: "the same from end-to-end times less process start (empty-file runs)",
        goal: "(info)",
      },
      { value: theirs / ours, description: "vmtouch -t / mmap-wasi touch, end to end with process start", goal: "(info)" },
    ],
    goalMet: value >= 1.0,
    notes:
      `own work: mmap-wasi touch ${ms(oursOwn)}, vmtouch -t ${ms(theirsOwn)}; ` +
      `process start (a touch of an empty file): mmap-wasi ${ms(oursStart)}, vmtouch ${ms(theirsStart)}; ` +
      `end to end: mmap-wasi ${ms(ours)}, vmtouch ${ms(theirs)}. Higher ratios are better.`,
  };
}
