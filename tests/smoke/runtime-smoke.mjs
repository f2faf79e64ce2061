// A small suite in plain JavaScript for runtimes that cannot run mocha with TypeScript:
// Node for linux-arm64 under qemu and Node for win32-x64 under Wine (scripts/test-runtimes.mjs).
// It uses the compiled package (build/lib) and whichever addon node-gyp-build picks
// (the runner sets PREBUILDS_ONLY=1, so a prebuild), and exercises the platform code:
// map, write, flush, advice, residency, lock, copy-on-write, resize, detach on close,
// refusals, and guests under node:wasi through runGuest(), one of them through guest
// mappings (in place, or copies on Windows).
// Prints one line per check and "smoke: N passed, M failed"; exits 1 on any failure.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const { MemoryMappedFile, MmapAdvice, MmapError, pageSize, runGuest } = await import(
  new URL("../../build/lib/index.js", import.meta.url).href
);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mmap-wasi-smoke-"));
const file = (name) => path.join(dir, name);
let passed = 0;
let failed = 0;

async function check(name, body) {
  try {
    await body();
    passed++;
    console.log(`ok   ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}\n     ${String(error?.stack ?? error).split("\n").slice(0, 6).join("\n     ")}`);
  }
}

function refused(code, body) {
  assert.throws(body, (error) => error instanceof MmapError && error.code === code);
}

console.log(`smoke: ${process.platform}-${process.arch}, ${process.version}, page size ${pageSize()}`);

await check("createRw + write + flush reach the file", () => {
  const rw = MemoryMappedFile.createRw(file("a.bin"), 64 * 1024);
  try {
    rw.write(4096, new TextEncoder().encode("hello, mapped world"));
    rw.flush();
  } finally {
    rw.close();
  }
  const bytes = fs.readFileSync(file("a.bin"));
  assert.equal(bytes.length, 64 * 1024);
  assert.equal(bytes.subarray(4096, 4096 + 19).toString(), "hello, mapped world");
});

await check("openRo: view, read, advise WillNeed, residency", () => {
  const ro = MemoryMappedFile.openRo(file("a.bin"));
  try {
    assert.equal(new TextDecoder().decode(ro.view(4096, 19)), "hello, mapped world");
    assert.deepEqual([...ro.read(4096, 5)], [...new TextEncoder().encode("hello")]);
    for (const advice of [MmapAdvice.WillNeed, MmapAdvice.Sequential, MmapAdvice.Random, MmapAdvice.Normal]) {
      ro.advise(0, ro.length, advice);
    }
    const { residentPages, totalPages } = ro.residency();
    assert.equal(totalPages, Math.ceil((64 * 1024) / pageSize()));
    assert.ok(residentPages >= 0 && residentPages <= totalPages);
  } finally {
    ro.close();
  }
});

await check("refusals: write to ro, out of bounds, closed", () => {
  const ro = MemoryMappedFile.openRo(file("a.bin"));
  refused("ERR_MMAP_INVALID_MODE", () => ro.write(0, new Uint8Array([1])));
  refused("ERR_MMAP_OUT_OF_BOUNDS", () => ro.read(64 * 1024 - 1, 2));
  ro.close();
  refused("ERR_MMAP_CLOSED", () => ro.read(0, 1));
});

await check("close detaches every earlier view", () => {
  const ro = MemoryMappedFile.openRo(file("a.bin"));
  const view = ro.view(0, 4096);
  assert.equal(view.length, 4096);
  ro.close();
  assert.equal(view.length, 0);
});

await check("cow: private writes do not reach the file", () => {
  const cow = MemoryMappedFile.openCow(file("a.bin"));
  try {
    cow.write(4096, new TextEncoder().encode("HELLO"));
    assert.equal(new TextDecoder().decode(cow.read(4096, 5)), "HELLO");
  } finally {
    cow.close();
  }
  assert.equal(fs.readFileSync(file("a.bin")).subarray(4096, 4101).toString(), "hello");
});

await check("rw: resize grows the file and the mapping", () => {
  const rw = MemoryMappedFile.openRw(file("a.bin"));
  try {
    rw.resize(256 * 1024);
    assert.equal(rw.length, 256 * 1024);
    rw.write(200 * 1024, new Uint8Array([7, 8, 9]));
    rw.flush();
  } finally {
    rw.close();
  }
  const bytes = fs.readFileSync(file("a.bin"));
  assert.equal(bytes.length, 256 * 1024);
  assert.deepEqual([...bytes.subarray(200 * 1024, 200 * 1024 + 3)], [7, 8, 9]);
});

// rw: a plain mlock (VirtualLock on Windows). A private mapping is locked on Linux with
// mlock2(MLOCK_ONFAULT), which qemu-user (7.2) refuses with EINVAL; the full suite
// covers that path on real hardware.
await check("lock and unlock a small range", () => {
  const rw = MemoryMappedFile.openRw(file("a.bin"));
  try {
    rw.lock(0, 4096);
    rw.unlock(0, 4096);
  } finally {
    rw.close();
  }
});

/** Runs a guest with its standard output in the file `name`; its exit code and that output. */
async function runGuestToFile(wasm, name, options) {
  const out = file(name);
  const fd = fs.openSync(out, "w");
  try {
    const { exitCode } = await runGuest(wasm, { ...options, stdout: fd });
    return { exitCode, stdout: fs.readFileSync(out, "utf8") };
  } finally {
    fs.closeSync(fd);
  }
}

await check("runGuest (node:wasi): exit code of a guest that calls mmap_wasi", async () => {
  const result = await runGuest(path.join(root, "build", "guests", "exit7.wasm"));
  assert.deepEqual(result, { exitCode: 7 });
});

await check("runGuest (node:wasi): the checksum example maps a granted file", async () => {
  const data = file("data");
  fs.mkdirSync(data);
  const input = new Uint8Array(300_000).map((_, i) => (i * 31 + 7) & 0xff);
  fs.writeFileSync(path.join(data, "input.bin"), input);
  const { exitCode, stdout } = await runGuestToFile(path.join(root, "build", "examples", "assemblyscript", "checksum.wasm"), "checksum.txt", {
    args: ["/data/input.bin"],
    grants: [{ guest: "/data", host: data }],
  });
  assert.equal(exitCode, 0);
  assert.match(stdout, new RegExp(`^checksum [0-9a-f]{16} bytes ${input.length}\\n$`));
});

await check("runGuest (node:wasi): guest mappings, in place or copied as the platform allows", async () => {
  const data = file("mapped-in");
  const out = file("mapped-out");
  fs.mkdirSync(data);
  fs.mkdirSync(out);
  const input = new Uint8Array(200_000).map((_, i) => (i * 13 + 5) & 0xff);
  fs.writeFileSync(path.join(data, "input.bin"), input);
  fs.writeFileSync(path.join(out, "touched.bin"), new Uint8Array(100).fill(0x2e));
  const { exitCode, stdout } = await runGuestToFile(path.join(root, "build", "guests", "mapsum.wasm"), "mapsum.txt", {
    grants: [{ guest: "/data", host: data }, { guest: "/out", host: out, access: "rw" }],
  });
  assert.equal(exitCode, 0);
  const sum = input.reduce((total, byte) => (total + byte) >>> 0, 0);
  // Windows copies (map_kind 0); a 64-bit POSIX host maps in place (1).
  const kind = process.platform === "win32" ? 0 : 1;
  assert.equal(stdout, `kind ${kind} sum ${sum}\n`);
  assert.equal(Buffer.from(fs.readFileSync(path.join(out, "touched.bin"))).subarray(0, 12).toString(), ".....MAPPED.");
});

try {
  fs.rmSync(dir, { recursive: true, force: true });
} catch (error) {
  console.log(`smoke: could not remove ${dir}: ${error.message}`);
}
console.log(`smoke: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
