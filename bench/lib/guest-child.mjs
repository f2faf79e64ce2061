// node bench/lib/guest-child.mjs GUEST.wasm DIR ARGS...: runs the guest with runGuest
// (node:wasi) with DIR granted read-only as /data, in a process of its own, and prints
// "RSS {json}" afterwards: peakRssKiB (VmHWM, the process's peak) and rssBeforeKiB
// (VmRSS after the module was compiled, just before the guest started).
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const [wasm, dir, ...args] = process.argv.slice(2);
const repo = fileURLToPath(new URL("../..", import.meta.url));
const packageRoot = process.env.MMAP_WASI_BENCH_PACKAGE ? path.resolve(process.env.MMAP_WASI_BENCH_PACKAGE) : repo;
const { runGuest } = await import(path.join(packageRoot, "build/lib/index.js"));

function statusKiB(field) {
  const match = fs.readFileSync("/proc/self/status", "latin1").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return match ? Number(match[1]) : NaN;
}

const module = await WebAssembly.compile(fs.readFileSync(wasm));
const rssBeforeKiB = statusKiB("VmRSS");
const { exitCode } = await runGuest(module, {
  args,
  programName: "bench_guest",
  grants: [{ guest: "/data", host: dir, access: "ro" }],
});
const peakRssKiB = statusKiB("VmHWM");
process.stdout.write(`RSS ${JSON.stringify({ peakRssKiB, rssBeforeKiB })}\n`);
process.exitCode = exitCode;
