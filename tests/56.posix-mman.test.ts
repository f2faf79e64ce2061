// POSIX mmap for C guests (sdk/c/include/sys/mman.h, sdk/c/mmap_wasi_mman.c): guests
// written against <sys/mman.h> and <fcntl.h> alone map files into their own memory. The
// rules and errnos from inside a guest, in place and with copies forced; a 1 GiB file
// whose untouched pages never become resident; MAP_SHARED stores that reach the file
// without msync, and msync that leaves no dirty page behind a SIGKILL.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { GiB, MiB, describeOnLinux, nativeGuest, runGuestCapturing, smapsTotal, suiteTempDir } from "./helpers.js";

const cli = fileURLToPath(new URL("../build/lib/cli/main.js", import.meta.url));

/** Runs a guest with the folder `dir` granted, read-write, as /data. */
function guestOutput(wasm: string, dir: string, args: string[], guestMappings: "auto" | "copy" = "auto") {
  return runGuestCapturing(wasm, { args, grants: [{ guest: "/data", host: dir, access: "rw" }], guestMappings });
}

/** The rules table: a result per check, the same in place and with copies, except where a copy cannot be. */
function expectedRules(inPlace: boolean): Record<string, string> {
  return {
    "length 0": "EINVAL",
    "neither shared nor private": "EINVAL",
    "negative offset": "EINVAL",
    "MAP_FIXED": "ENOTSUP",
    "PROT_EXEC": "ENOTSUP",
    "PROT_NONE": "ENOTSUP",
    "not a descriptor": "EBADF",
    "shared write on a read-only descriptor": "EACCES",
    "past the end of the file": "ENXIO",
    "unaligned offset": "ok",
    "outlives close(fd)": "ok",
    "MAP_PRIVATE stores stay private": "ok",
    "MADV_DONTNEED on a writable MAP_PRIVATE mapping": "EINVAL",
    "POSIX_MADV_DONTNEED on it, a hint: nothing dropped": "ok",
    // A copying host writes a mapping back at msync and munmap only (docs/abi.md).
    "MAP_SHARED store, before msync": inPlace ? "ok" : "not in the file",
    "msync MS_SYNC": "ok",
    "MAP_SHARED store, after msync": "ok",
    "msync MS_ASYNC": "ok",
    "msync of a read-only mapping": "ok",
    "msync MS_SYNC|MS_ASYNC": "EINVAL",
    "msync past the mapping": "ENOMEM",
    "madvise MADV_WILLNEED": "ok",
    "madvise MADV_RANDOM in the middle": "ok",
    "madvise of unknown advice": "EINVAL",
    "madvise outside every mapping": "ENOMEM",
    "posix_madvise returns the error, errno untouched": "ok",
    "MAP_ANONYMOUS": "ok",
    "munmap of the middle of a mapping": "EINVAL",
    "munmap of memory never mapped": "EINVAL",
    "munmap of the last part; the rest still reads": "ok",
    "munmap of released pages": "ok",
    "msync of released pages": "ENOMEM",
    "munmap of the first part; the rest still reads": "ok",
    "munmap of what was left: the host took it, it reads zeros": "ok",
    "munmap": "ok",
    "munmap of a mapping released whole": "EINVAL",
  };
}

function peakRssGrowthKiB(): { done(): number } {
  const status = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync("/proc/self/status", "utf8"))![1]);
  fs.writeFileSync("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
  const before = status("VmRSS");
  return { done: () => status("VmHWM") - before };
}

describeOnLinux("POSIX mmap for C guests (sdk/c <sys/mman.h>)", "/proc/self/status, smaps and SIGKILL", function () {
  this.timeout(300_000);
  const temp = suiteTempDir("posix-mman", "all");
  const rulesFile = () => {
    const file = temp.file("rules.bin");
    fs.writeFileSync(file, Uint8Array.from({ length: 3 * 4096 + 100 }, (_, i) => (i * 7) & 0xff));
    return file;
  };

  for (const guestMappings of ["auto", "copy"] as const) {
    const inPlace = guestMappings === "auto";
    it(`every rule and errno from inside a guest, ${inPlace ? "in place" : "with copies forced"}`, async function () {
      const wasm = nativeGuest(this, "guests", "c", "posix_mman.wasm");
      const file = rulesFile();
      const before = fs.readFileSync(file);
      const { exitCode, stdout, stderr } = await guestOutput(wasm, temp.dir, [`/data/${path.basename(file)}`], guestMappings);
      assert.equal(exitCode, 0, stdout + stderr);
      const results = Object.fromEntries(stdout.trimEnd().split("\n").map((line) => {
        const split = line.lastIndexOf(": ");
        return [line.slice(0, split), line.slice(split + 2)];
      }));
      assert.deepEqual(results, expectedRules(inPlace));
      assert.deepEqual(fs.readFileSync(file), before, "the guest puts back every byte it stored");
    });
  }

  describe("a 1 GiB file", () => {
    const size = GiB;
    const stride = 16 * MiB;
    let big: string;
    before(() => {
      big = temp.file("big.bin");
      fs.writeFileSync(big, "");
      fs.truncateSync(big, size);
      // A marker byte on every page the guest touches, zeros (holes) elsewhere.
      const fd = fs.openSync(big, "r+");
      for (let at = 0; at < size; at += stride) fs.writeSync(fd, Uint8Array.of((at / stride) % 251), 0, 1, at);
      fs.closeSync(fd);
    });

    it("a guest maps it whole and reads in place: RSS grows by the pages it touches", async function () {
      const wasm = nativeGuest(this, "examples", "c", "mapfile.wasm");
      const touched = size / stride;
      const expected = Array.from({ length: touched }, (_, i) => i % 251).reduce((a, b) => a + b, 0);
      const growth = peakRssGrowthKiB();
      const { exitCode, stdout, stderr } = await guestOutput(wasm, temp.dir, ["sum", "/data/big.bin", String(stride)]);
      const grownKiB = growth.done();
      assert.equal(exitCode, 0, stdout + stderr);
      assert.equal(stdout, `sum ${expected} touched ${touched}\n`);
      // 64 pages touched; the kernel maps up to 16 cached neighbours around each fault.
      assert.ok(grownKiB < 32 * 1024, `peak RSS grew by ${grownKiB} KiB for ${touched} touched pages of a 1 GiB mapping`);
    });

    it("and touching every page makes all of it resident (the measure above can fail)", async function () {
      const wasm = nativeGuest(this, "examples", "c", "mapfile.wasm");
      const growth = peakRssGrowthKiB();
      const { exitCode, stdout, stderr } = await guestOutput(wasm, temp.dir, ["sum", "/data/big.bin", "4096"]);
      const grownKiB = growth.done();
      assert.equal(exitCode, 0, stdout + stderr);
      assert.ok(grownKiB > 0.9 * (size / 1024), `peak RSS grew by only ${grownKiB} KiB`);
    });
  });

  describe("MAP_SHARED stores, msync and SIGKILL", () => {
    /**
     * Starts `mmap-wasi run mapfile store …` and waits for its report. Returns the report,
     * the dirty kB of the file's pages in the child, and the child killed with SIGKILL.
     */
    async function storeThenKill(wasm: string, file: string, offset: number, text: string, sync: boolean) {
      const child = spawn(process.execPath, [cli, "run", "--dir-rw", `${path.dirname(file)}::/data`, wasm, "--",
        "store", `/data/${path.basename(file)}`, String(offset), text, sync ? "sync" : "nosync"], { stdio: ["pipe", "pipe", "inherit"] });
      let report = "";
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (data: Buffer) => {
          report += data.toString();
          if (/file (has|lacks) it\n/.test(report)) resolve();
        });
        child.on("exit", (code) => reject(new Error(`the guest exited with ${code} before its report: ${report}`)));
      });
      const dirtyKiB = smapsTotal(file, "Shared_Dirty", child.pid!) + smapsTotal(file, "Private_Dirty", child.pid!);
      const mappedKiB = smapsTotal(file, "Rss", child.pid!);
      const exited = new Promise((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
      child.kill("SIGKILL");
      assert.equal(await exited, "SIGKILL");
      return { report, dirtyKiB, mappedKiB };
    }

    it("without msync, the store is in the file at once, and its page is dirty", async function () {
      const wasm = nativeGuest(this, "examples", "c", "mapfile.wasm");
      const file = temp.file("shared-nosync.bin");
      fs.writeFileSync(file, Buffer.alloc(256 * 1024));
      const { report, dirtyKiB, mappedKiB } = await storeThenKill(wasm, file, 70_000, "not synced", false);
      assert.equal(report, "stored\nfile has it\n");
      assert.ok(mappedKiB > 0, "the child maps the file's pages");
      assert.ok(dirtyKiB > 0, "an unsynced store leaves a dirty page");
      assert.equal(fs.readFileSync(file).subarray(70_000, 70_010).toString(), "not synced");
    });

    it("msync(MS_SYNC) leaves no dirty page, and the bytes survive SIGKILL, 10 times", async function () {
      const wasm = nativeGuest(this, "examples", "c", "mapfile.wasm");
      const file = temp.file("shared-sync.bin");
      fs.writeFileSync(file, Buffer.alloc(256 * 1024));
      for (let round = 0; round < 10; round++) {
        const offset = (round * 24_593) % (256 * 1024 - 16);
        const text = `round ${round}`.padStart(16, "#");
        const { report, dirtyKiB, mappedKiB } = await storeThenKill(wasm, file, offset, text, true);
        assert.equal(report, "synced\nfile has it\n", `round ${round}`);
        assert.ok(mappedKiB > 0, `round ${round}: the child maps the file's pages`);
        assert.equal(dirtyKiB, 0, `round ${round}: dirty kB after msync`);
        assert.equal(fs.readFileSync(file).subarray(offset, offset + 16).toString(), text, `round ${round}`);
      }
    });
  });
});
