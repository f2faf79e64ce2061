// The package as a new user gets it: packed into a tarball, installed into an empty
// project (which takes the prebuilt addon, or builds it where none fits), then used from
// plain JavaScript and from type-checked TypeScript. Uses the already-built repo: nothing
// here rebuilds it.
import assert from "node:assert/strict";
import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const repoTsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");

/** Runs a command; returns its result with stdout/stderr as text (never throws). */
function run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    shell: process.platform === "win32",
  });
}

/** Everything a failure message needs to explain itself. */
function explain(what: string, result: SpawnSyncReturns<string>): string {
  return [
    `${what}: exit status ${String(result.status)}, signal ${String(result.signal)}` +
      (result.error ? `, error ${result.error.message}` : ""),
    `--- stdout ---\n${result.stdout ?? ""}`,
    `--- stderr ---\n${result.stderr ?? ""}`,
  ].join("\n");
}

const consumerJs = `\
import { MemoryMappedFile, MmapAdvice, MmapError, pageSize } from "mmap-wasi";

const file = process.argv[2];
const page = pageSize();
const size = 2 * page;
const offset = page - 3; // the write straddles the page boundary
const bytes = Uint8Array.from([0x6d, 0x6d, 0x61, 0x70, 0x2d, 0x77, 0x61, 0x73, 0x69, 0xff, 0x00, 0x01]);

const f = MemoryMappedFile.createRw(file, size);
const mode = f.mode;
const length = f.length;
f.write(offset, bytes);
f.flush();
f.advise(0, size, MmapAdvice.WillNeed);
const back = Array.from(f.read(offset, bytes.length));
const residency = f.residency();
let refusal = null;
try {
  f.advise(0, 1, 12345);
} catch (error) {
  refusal = { isMmapError: error instanceof MmapError, code: error.code };
}
f.close();
console.log(JSON.stringify({
  page, size, offset, mode, length, written: Array.from(bytes), back, residency, refusal, closed: f.closed,
}));
`;

const consumerTs = `\
import { MemoryMappedFile, MmapAdvice, MmapError, pageSize } from "mmap-wasi";
import type { MappingMode, MmapErrorCode, Residency } from "mmap-wasi";

const p: string = process.argv[2] ?? "data.bin";
const page: number = pageSize();

const w: MemoryMappedFile = MemoryMappedFile.createRw(p, page);
w.write(0, new Uint8Array([1, 2, 3]));
w.flush();
w.close();

const f: MemoryMappedFile = MemoryMappedFile.openRo(p);
f.advise(0, page, MmapAdvice.WillNeed);
f.advise(0, page, MmapAdvice.Random, { allowDiscard: false });
const r: { residentPages: number } = f.residency();
const all: Residency = f.residency(0, 1);
const mode: MappingMode = f.mode;
const head: Uint8Array = f.read(0n, 3n);
const closed: boolean = f.closed;
console.log(r.residentPages, all.totalPages, mode, head, closed);

// @ts-expect-error: advice must be one of MmapAdvice's values, not a string
f.advise(0, 1, "bogus");
// @ts-expect-error: not an MmapAdvice value either
f.advise(0, 1, 7);
// @ts-expect-error: length is a number
const notAString: string = f.length;
// @ts-expect-error: the constructor is private
new MemoryMappedFile(p, "ro", 0);
// @ts-expect-error: mode is read-only and a MappingMode
f.mode = "bogus";

try {
  MemoryMappedFile.openRw(p + ".missing");
} catch (error) {
  if (error instanceof MmapError) {
    const code: MmapErrorCode | (string & {}) = error.code;
    const errno: number | undefined = error.errno;
    console.log(code, errno, error.syscall, error.path);
  }
}
f.close();
console.log(notAString);
`;

describe("package: the npm tarball, installed and used by a new project", function () {
  this.timeout(300_000);

  let workDir = "";
  let packDir = "";
  let consumerDir = "";
  let tarball = "";
  let installed = false;

  before(function () {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "mmap-wasi-package-"));
    packDir = path.join(workDir, "pack");
    consumerDir = path.join(workDir, "consumer");
    fs.mkdirSync(packDir);
    fs.mkdirSync(consumerDir);
    assert.ok(
      fs.existsSync(path.join(repoRoot, "build", "lib", "index.js")) &&
        fs.existsSync(path.join(repoRoot, "build", "core.wasm")),
      "the repo is not built: run `npm run build:core && npm run build:ts` first",
    );
    // --ignore-scripts: `npm pack` would otherwise run `prepare`, i.e. rebuild the repo.
    const pack = run(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", packDir], repoRoot);
    assert.equal(pack.status, 0, explain("npm pack", pack));
    const [info] = JSON.parse(pack.stdout) as { filename: string }[];
    assert.ok(info, explain("npm pack printed no file", pack));
    tarball = path.join(packDir, path.basename(info.filename));
    assert.ok(fs.existsSync(tarball), explain(`npm pack did not write ${tarball}`, pack));
  });

  after(function () {
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  it("the tarball holds what a user needs and nothing of the workspace", function () {
    const listing = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" });
    const entries = listing.split("\n").filter(Boolean).map((entry) => entry.replace(/^package\//, ""));
    const required = [
      "package.json",
      "build/core.wasm",
      "build/guest.wasm",
      "build/lib/index.js",
      "build/lib/index.d.ts",
      "build/lib/cli/main.js",
      "native/binding.gyp",
      "native/addon.cc",
      "native/posix.cc",
      "native/platform.h",
      "sdk/assemblyscript/index.ts",
      "sdk/c/mmap_wasi.h",
      "sdk/c/mmap_wasi_mman.c",
      "sdk/c/include/sys/mman.h",
      "sdk/rust/mmap_wasi.rs",
      "README.md",
      "LICENSE",
      // The README links to these.
      "docs/api.md",
      "docs/abi.md",
      "docs/cli.md",
      "docs/guests.md",
    ];
    const missing = required.filter((file) => !entries.includes(file));
    assert.deepEqual(missing, [], `missing from the tarball: ${missing.join(", ")}\n--- tarball ---\n${listing}`);
    // The guest SDKs ship (sdk/: AssemblyScript, the C header, the Rust module); the core's
    // sources (assembly/) and the examples do not.
    const forbidden = ["native/build/", "node_modules/", "native/node_modules/", "tests/", "assembly/", "examples/", "host/", "build/guests/"];
    const leaked = entries.filter((entry) => forbidden.some((prefix) => entry.startsWith(prefix)));
    assert.deepEqual(leaked, [], `workspace files in the tarball:\n${leaked.join("\n")}`);
    // The prebuilt addons (npm run prebuilds) are the only binaries it may hold.
    const prebuild = /^native\/prebuilds\/[a-z0-9]+-[a-z0-9]+\/mmap-wasi\.napi(\.glibc)?\.node$/;
    const stray = entries.filter((entry) => entry.endsWith(".tgz") || (entry.endsWith(".node") && !prebuild.test(entry)));
    assert.deepEqual(stray, [], `build outputs in the tarball:\n${stray.join("\n")}`);
  });

  it("installs into an empty project: the prebuilt addon, or one built there where none fits", function () {
    fs.writeFileSync(
      path.join(consumerDir, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2),
    );
    // @types/node for the TypeScript consumer; the compiler itself is the repo's.
    const install = run(npm, ["install", "--no-audit", "--no-fund", tarball, "@types/node@20"], consumerDir);
    assert.equal(install.status, 0, explain("npm install <tarball>", install));
    const native = path.join(consumerDir, "node_modules", "mmap-wasi", "native");
    const built = path.join(native, "build", "Release", "mmap_wasi.node");
    const prebuilds = path.join(native, "prebuilds", `${process.platform}-${process.arch}`);
    const prebuilt = fs.existsSync(prebuilds) ? fs.readdirSync(prebuilds).filter((name) => name.endsWith(".node")) : [];
    if (prebuilt.length > 0) {
      assert.ok(!fs.existsSync(built), explain(`the install script built ${built} although a prebuild fits`, install));
    } else {
      assert.ok(fs.existsSync(built), explain(`no prebuild fits and the install script did not build ${built}`, install));
    }
    installed = true;
  });

  it("works from a JavaScript consumer: write, flush, advise, read back", function () {
    assert.ok(installed, "the install step failed: see the test above");
    fs.writeFileSync(path.join(consumerDir, "consumer.js"), consumerJs);
    const dataFile = path.join(consumerDir, "data.bin");
    const result = run(process.execPath, ["consumer.js", dataFile], consumerDir);
    assert.equal(result.status, 0, explain("node consumer.js", result));
    let out: {
      page: number; size: number; offset: number; mode: string; length: number; written: number[];
      back: number[]; residency: { residentPages: number; totalPages: number; pageSize: number };
      refusal: { isMmapError: boolean; code: string } | null; closed: boolean;
    };
    try {
      out = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    } catch {
      assert.fail(explain("consumer.js did not print JSON", result));
    }
    const context = explain("consumer.js", result);
    assert.ok(Number.isInteger(out.page) && out.page >= 4096, context);
    assert.equal(out.mode, "rw", context);
    assert.equal(out.length, out.size, context);
    assert.deepEqual(out.back, out.written, context);
    assert.equal(out.residency.totalPages, 2, context);
    assert.equal(out.residency.pageSize, out.page, context);
    assert.ok(out.residency.residentPages >= 1 && out.residency.residentPages <= 2, context);
    assert.deepEqual(out.refusal, { isMmapError: true, code: "ERR_MMAP_INVALID_ARGUMENT" }, context);
    assert.equal(out.closed, true, context);

    const onDisk = fs.readFileSync(dataFile);
    assert.equal(onDisk.length, out.size, context);
    assert.deepEqual(Array.from(onDisk.subarray(out.offset, out.offset + out.written.length)), out.written, context);
    const rest = [...onDisk.subarray(0, out.offset), ...onDisk.subarray(out.offset + out.written.length)];
    assert.ok(rest.every((byte) => byte === 0), "bytes outside the written range are not zero");
  });

  it("the `mmap-wasi` command is installed and runs", function () {
    assert.ok(installed, "the install step failed: see the earlier test");
    const bin = path.join(consumerDir, "node_modules", ".bin", process.platform === "win32" ? "mmap-wasi.cmd" : "mmap-wasi");
    assert.ok(fs.existsSync(bin), `no ${bin}`);
    const result = run(bin, ["--version"], consumerDir);
    assert.equal(result.status, 0, explain("mmap-wasi --version", result));
    const { version } = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string };
    assert.equal(result.stdout.trim(), version, explain("mmap-wasi --version", result));
  });

  it("type-checks in a strict NodeNext TypeScript consumer (types are real, not any)", function () {
    assert.ok(installed, "the install step failed: see the earlier test");
    assert.ok(fs.existsSync(repoTsc), `the repo has no TypeScript compiler at ${repoTsc}`);
    fs.writeFileSync(path.join(consumerDir, "consumer.ts"), consumerTs);
    fs.writeFileSync(
      path.join(consumerDir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          types: ["node"],
        },
        files: ["consumer.ts"],
      }, null, 2),
    );
    const tsc = run(process.execPath, [repoTsc, "-p", consumerDir], consumerDir);
    assert.equal(tsc.status, 0, explain("tsc -p <consumer>", tsc));
  });
});
