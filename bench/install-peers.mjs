#!/usr/bin/env node
// Before npm run bench: installs what the benchmarks compare against (bench/package.json,
// with its own lockfile) when bench/node_modules lacks it. @riaskov/mmap-io is a NAN
// addon that does not build on Node 24 or later; a failed install is reported and the
// bench runs on, the cases that need it saying that it was not measured.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const bench = dirname(fileURLToPath(import.meta.url));
if (existsSync(join(bench, "node_modules", "@riaskov", "mmap-io", "package.json"))) process.exit(0);

console.log("bench: installing @riaskov/mmap-io into bench/node_modules (npm ci in bench/)");
// npm_execpath is npm's own script when run through npm.
const npm = process.env.npm_execpath;
const [command, args] = npm ? [process.execPath, [npm]] : ["npm", []];
const result = spawnSync(command, [...args, "ci", "--no-audit", "--no-fund"], { cwd: bench, stdio: "inherit", shell: !npm && process.platform === "win32" });
if (result.status !== 0) {
  console.warn(`bench: installing @riaskov/mmap-io failed (${result.error?.message ?? `exit ${result.status}`}); ` +
    `it does not build on Node 24 or later. The cases that compare against it will say so.`);
}
