// `mmap-wasi touch` of a cold 1 GiB file beside `vmtouch -t` (Debian's vmtouch), both run
// as child processes and timed from spawn to exit, so each pays its own process start.
// Before every run the file is evicted and checked to be cold (0 pages resident).
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { GiB, REPO, interleave, makeCold, median, randomFile, residentFraction, runProgram } from "../lib/common.mjs";

export const name = "touch-cold-1g";
export const title = "touch of a cold 1 GiB file";
export const goal = "mmap-wasi touch not slower than vmtouch -t (ratio >= 1.0)";

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

export async function run({ reps, dir, log }) {
  if (spawnSync("vmtouch", ["-h"]).error) throw new Error("vmtouch is not installed (Debian package vmtouch; .ci/run installs it)");
  const file = randomFile(dir, GiB);
  const inner = { ours: [], vmtouch: [] };
  const variants = [
    {
      name: "mmap-wasi touch",
      unit: "s",
      higherIsBetter: false,
      sample: async () => {
        const { seconds, stdout } = await touchedRun(file, process.execPath, [CLI, "touch", file], "mmap-wasi touch", log);
        const own = /in ([\d.]+) s/.exec(stdout);
        if (own) inner.ours.push(Number(own[1]));
        return seconds;
      },
    },
    {
      name: "vmtouch -t",
      unit: "s",
      higherIsBetter: false,
      sample: async () => {
        const { seconds, stdout } = await touchedRun(file, "vmtouch", ["-t", file], "vmtouch -t", log);
        const own = /Elapsed: ([\d.e+-]+) seconds/.exec(stdout);
        if (own) inner.vmtouch.push(Number(own[1]));
        return seconds;
      },
    },
  ];
  // What the comparison charges to process start, with no page-cache work: Node's own
  // start (node -e 0), and Node's start with the CLI loaded (mmap-wasi --version).
  const nodeStart = [];
  const startup = [];
  for (let i = 0; i < Math.min(reps, 5); i++) {
    nodeStart.push((await timed(process.execPath, ["-e", "0"])).seconds);
    startup.push((await timed(process.execPath, [CLI, "--version"])).seconds);
  }
  const results = await interleave(reps, variants, { log });
  const ours = median(results[0].samples);
  const theirs = median(results[1].samples);
  const value = theirs / ours;
  const fmt = (seconds) => `${(seconds * 1000).toFixed(0)} ms`;
  return {
    variants: results,
    ratio: { value, description: "vmtouch -t time / mmap-wasi touch time (higher is better)" },
    goalMet: value >= 1.0,
    notes:
      `medians with process start: mmap-wasi touch ${fmt(ours)}, vmtouch -t ${fmt(theirs)}; ` +
      `without it (each tool's own elapsed time): mmap-wasi ${fmt(median(inner.ours))}, vmtouch ${fmt(median(inner.vmtouch))} ` +
      `(ratio ${(median(inner.vmtouch) / median(inner.ours)).toFixed(2)}); ` +
      `process start alone: node -e 0 ${fmt(median(nodeStart))}, mmap-wasi --version ${fmt(median(startup))}`,
    details: { innerSeconds: inner, nodeStartSeconds: nodeStart, startupSeconds: startup },
  };
}
