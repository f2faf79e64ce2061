#!/usr/bin/env node
// npm run bench: runs every bench/cases/*.mjs, prints one table and writes
// bench/results.json. Options:
//   --only NAME[,NAME...]  run only these cases (exact name, or a substring of it)
//   --reps N               rounds per case (at least 5, the default)
//   --dir PATH             folder for the data files (default: a new one under the
//                          system's temp folder, which must be on a real disk)
//   --keep                 keep the data folder afterwards
//   --list                 list the cases and exit
//   --out FILE             write the results there instead of bench/results.json
// Runs with node --expose-gc (it starts itself again with it if need be): a full garbage
// collection runs before every sample.
// Environment: MMAP_WASI_BENCH_PACKAGE=DIR measures the package built in DIR (build/lib,
// build/*.wasm, native/build/Release/mmap_wasi.node) instead of this checkout's.
//
// A case module exports name, title, goal and async run(ctx), ctx = { reps, dir, log },
// and returns { variants: [{ name, unit, samples, higherIsBetter? }], and either
// ratio: { value, description } with goalMet, or ratios: [{ value, description, goal,
// met }] (goalMet is then all met), and notes? }.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const BENCH = path.dirname(fileURLToPath(import.meta.url));

// The cases collect garbage between variants (globalThis.gc): run again with --expose-gc
// when started without it (npm run bench passes it).
if (typeof globalThis.gc !== "function") {
  const child = spawnSync(process.execPath, ["--expose-gc", ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}
const MIN_REPS = 5;

const { values: options } = parseArgs({
  options: {
    only: { type: "string" },
    reps: { type: "string", default: String(MIN_REPS) },
    dir: { type: "string" },
    keep: { type: "boolean", default: false },
    list: { type: "boolean", default: false },
    out: { type: "string", default: path.join(BENCH, "results.json") },
  },
});

const reps = Number(options.reps);
if (!Number.isInteger(reps) || reps < MIN_REPS) {
  console.error(`bench: --reps must be an integer of at least ${MIN_REPS}, got ${options.reps}`);
  process.exit(2);
}

function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function format(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(2)} G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(3)} M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)} k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function formatRatio(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return String(value);
  return value >= 100 ? `${value.toFixed(0)}×` : value >= 10 ? `${value.toFixed(1)}×` : `${value.toFixed(2)}×`;
}

function firstLine(file) {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
}

function machineInfo(dataDir) {
  const cpus = os.cpus();
  let kernel = os.release();
  try {
    kernel = execFileSync("uname", ["-srvm"], { encoding: "utf8" }).trim();
  } catch {
    // uname is missing: os.release() will do.
  }
  let filesystem;
  try {
    filesystem = execFileSync("df", ["-T", dataDir], { encoding: "utf8" }).trim().split("\n").at(-1).split(/\s+/).slice(0, 2).join(" ");
  } catch {
    filesystem = undefined;
  }
  let git;
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: BENCH, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "host", "native", "assembly"], { cwd: BENCH, encoding: "utf8" }).trim() !== "";
    git = { commit, dirtySources: dirty };
  } catch {
    git = undefined;
  }
  return {
    cpuModel: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    kernel,
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    v8: process.versions.v8,
    date: new Date().toISOString(),
    dataDir,
    dataFilesystem: filesystem,
    transparentHugepages: firstLine("/sys/kernel/mm/transparent_hugepage/enabled"),
    loadAverageAtStart: os.loadavg(),
    git,
  };
}

async function loadCases() {
  const folder = path.join(BENCH, "cases");
  const files = fs.readdirSync(folder).filter((name) => name.endsWith(".mjs")).sort();
  const cases = [];
  for (const file of files) {
    const module = await import(pathToFileURL(path.join(folder, file)).href);
    for (const field of ["name", "title", "goal"]) {
      if (typeof module[field] !== "string") throw new Error(`bench/cases/${file} exports no string ${field}`);
    }
    if (typeof module.run !== "function") throw new Error(`bench/cases/${file} exports no run(ctx)`);
    cases.push({ file, module });
  }
  return cases;
}

function selected(cases) {
  if (!options.only) return cases;
  const wanted = options.only.split(",").map((name) => name.trim()).filter(Boolean);
  const chosen = cases.filter(({ module }) =>
    wanted.some((name) => module.name === name) || wanted.some((name) => module.name.includes(name)),
  );
  if (chosen.length === 0) {
    console.error(`bench: no case matches ${options.only}; cases: ${cases.map(({ module }) => module.name).join(", ")}`);
    process.exit(2);
  }
  return chosen;
}

/** The ratios of a case result, in one shape: [{ value, description, goal, met }]. */
function ratiosOf(result, module) {
  if (Array.isArray(result.ratios)) {
    return result.ratios.map((ratio) => ({
      value: ratio.value, description: ratio.description, goal: ratio.goal ?? "", met: ratio.met,
    }));
  }
  if (result.ratio) {
    return [{ value: result.ratio.value, description: result.ratio.description, goal: module.goal, met: result.goalMet }];
  }
  return [];
}

function goalMetOf(result, ratios) {
  if (Array.isArray(result.ratios)) {
    const counted = ratios.filter((ratio) => typeof ratio.met === "boolean");
    return counted.length > 0 && counted.every((ratio) => ratio.met);
  }
  return result.goalMet === true;
}

function mark(met) {
  return met === true ? "✓" : met === false ? "✗" : "";
}

function escapeCell(text) {
  return String(text).replaceAll("|", "\\|");
}

/** A Markdown table: one row per variant, then one per ratio. */
function table(results) {
  const rows = [["case", "variant", "median", "unit", "ratio", "goal", "met"]];
  for (const result of results) {
    if (result.error) {
      rows.push([result.name, "—", "—", "—", `error: ${result.error.split("\n")[0]}`, result.goal, "✗"]);
      continue;
    }
    let first = true;
    for (const variant of result.variants) {
      rows.push([first ? result.name : "", variant.name, format(variant.median), variant.unit, "", "", ""]);
      first = false;
    }
    for (const ratio of result.ratios) {
      rows.push(["", "", "", "", `${formatRatio(ratio.value)} ${ratio.description}`, ratio.goal, mark(ratio.met)]);
    }
    rows.push(["", "", "", "", "", "**goal met**", mark(result.goalMet)]);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => escapeCell(row[column]).length)));
  const line = (row) => `| ${row.map((cell, column) => escapeCell(cell).padEnd(widths[column])).join(" | ")} |`;
  return [line(rows[0]), `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`, ...rows.slice(1).map(line)].join("\n");
}

/** Warns when build/ is missing or older than the sources it is built from. */
function checkBuild() {
  if (process.env.MMAP_WASI_BENCH_PACKAGE) {
    console.log(`bench: measuring the package in ${process.env.MMAP_WASI_BENCH_PACKAGE}`);
    return;
  }
  const repo = path.dirname(BENCH);
  const built = path.join(repo, "build/lib/index.js");
  if (!fs.existsSync(built)) {
    console.error("bench: build/lib is missing: run `npm install` (or `npm run build`) first");
    process.exit(2);
  }
  const builtAt = fs.statSync(built).mtimeMs;
  const stale = ["host", "assembly"].flatMap((folder) =>
    fs.readdirSync(path.join(repo, folder), { recursive: true })
      .filter((name) => name.endsWith(".ts") && fs.statSync(path.join(repo, folder, name)).mtimeMs > builtAt)
      .map((name) => `${folder}/${name}`));
  if (stale.length > 0) {
    console.log(`bench: warning: changed since the last build: ${stale.join(", ")}; run \`npm run build\` to measure them`);
  }
}

async function main() {
  const cases = await loadCases();
  if (options.list) {
    for (const { module } of cases) console.log(`${module.name.padEnd(24)} ${module.title}  (goal: ${module.goal})`);
    return;
  }
  const chosen = selected(cases);
  checkBuild();
  const dir = options.dir ? path.resolve(options.dir) : fs.mkdtempSync(path.join(os.tmpdir(), "mmap-wasi-bench-"));
  fs.mkdirSync(dir, { recursive: true });
  const machine = machineInfo(dir);
  console.log(`bench: ${chosen.length} case(s), ${reps} rounds each, data in ${dir} (${machine.dataFilesystem ?? "?"})`);
  if (machine.loadAverageAtStart[0] > 0.5 * machine.cores) {
    console.log(`bench: load average ${machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(" ")}: other work is running, numbers may be noisy`);
  }
  const started = Date.now();
  const results = [];
  try {
    for (const { file, module } of chosen) {
      const caseStarted = Date.now();
      const log = (message) => console.log(`  [${module.name}] ${message}`);
      console.log(`\n== ${module.name}: ${module.title}`);
      const entry = { name: module.name, title: module.title, goal: module.goal, file: `bench/cases/${file}` };
      try {
        const result = await module.run({ reps, dir, log });
        entry.variants = result.variants.map((variant) => ({
          name: variant.name,
          unit: variant.unit,
          higherIsBetter: variant.higherIsBetter ?? true,
          median: median(variant.samples),
          samples: variant.samples,
        }));
        entry.ratios = ratiosOf(result, module);
        entry.goalMet = goalMetOf(result, entry.ratios);
        if (result.notes) entry.notes = result.notes;
        if (result.details) entry.details = result.details;
      } catch (error) {
        entry.error = error instanceof Error ? error.message : String(error);
        entry.goalMet = false;
        console.log(`  [${module.name}] failed: ${error instanceof Error ? error.stack : error}`);
      }
      entry.seconds = (Date.now() - caseStarted) / 1000;
      console.log(`  [${module.name}] ${entry.error ? "error" : entry.goalMet ? "goal met" : "goal missed"} (${entry.seconds.toFixed(1)} s)`);
      results.push(entry);
    }
  } finally {
    if (!options.keep && !options.dir) fs.rmSync(dir, { recursive: true, force: true });
  }
  machine.loadAverageAtEnd = os.loadavg();
  const output = { machine, reps, seconds: (Date.now() - started) / 1000, cases: results, table: table(results) };
  fs.writeFileSync(options.out, `${JSON.stringify(output, null, 2)}\n`);
  console.log(`\n${output.table}\n`);
  for (const result of results) if (result.notes) console.log(`${result.name}: ${result.notes}`);
  console.log(`\nbench: ${results.filter((r) => r.goalMet).length}/${results.length} goals met in ${output.seconds.toFixed(0)} s; results in ${path.relative(process.cwd(), options.out)}`);
  if (results.some((result) => result.error)) process.exitCode = 1;
}

await main();
