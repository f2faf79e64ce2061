// A file shrunk beneath a mapping by another process: every copy, lock and guest call
// that meets the lost part gets an error (ERR_MMAP_TRUNCATED, errno io), never SIGBUS, and
// what is left of the file still works. Direct view access still gets SIGBUS.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { MemoryMappedFile, MmapAdvice, MmapError } from "../build/lib/index.js";
import { describeOnLinux, expectCode, libraryUrl, smapsTotal, suiteTempDir } from "./helpers.js";
import { DATA, E, startProbe } from "./probe.js";

describeOnLinux("truncation: a file shrunk beneath the mapping (by another process)", "truncate(1) and /proc/self/smaps", function () {
  this.timeout(300_000);
  const temp = suiteTempDir("truncation");

  const shrink = (file: string, size: number) => {
    const result = spawnSync("truncate", ["-s", String(size), file]);
    assert.equal(result.status, 0, String(result.stderr));
  };

  for (const mode of ["ro", "rw", "cow"] as const) {
    it(`${mode}: read, readInto and write are ERR_MMAP_TRUNCATED, not SIGBUS; what is left still works`, () => {
      const file = temp.file(`t-${mode}`);
      fs.writeFileSync(file, Buffer.alloc(64 * 1024, 0x61));
      const mapping = { ro: MemoryMappedFile.openRo, rw: MemoryMappedFile.openRw, cow: MemoryMappedFile.openCow }[mode](file);
      shrink(file, 4096);
      expectCode(() => mapping.read(60_000, 10), "ERR_MMAP_TRUNCATED");
      expectCode(() => mapping.read(4000, 200), "ERR_MMAP_TRUNCATED");
      expectCode(() => mapping.readInto(8192, new Uint8Array(16)), "ERR_MMAP_TRUNCATED");
      if (mode !== "ro") expectCode(() => mapping.write(20_000, Buffer.from("x")), "ERR_MMAP_TRUNCATED");
      assert.equal(Buffer.from(mapping.read(0, 4)).toString(), "aaaa");
      mapping.advise(0, mapping.length, MmapAdvice.WillNeed);
      mapping.flush();
      mapping.close();
    });
  }

  for (const mode of ["ro", "rw", "cow"] as const) {
    it(`${mode}: lock() over the lost part fails and leaves nothing locked (smaps Locked)`, () => {
      const file = temp.file(`l-${mode}`);
      fs.writeFileSync(file, Buffer.alloc(64 * 1024, 0x61));
      const mapping = { ro: MemoryMappedFile.openRo, rw: MemoryMappedFile.openRw, cow: MemoryMappedFile.openCow }[mode](file);
      try {
        // Locking works here (a lock limit would refuse it before any page is touched).
        mapping.lock();
        assert.equal(smapsTotal(file, "Locked"), 64);
        mapping.unlock();
        shrink(file, 4096);
        // The kernel marks the range locked before faulting it in, and keeps the mark
        // when a page past the end cannot be faulted.
        assert.throws(() => mapping.lock(), (error: unknown) => error instanceof MmapError && error.syscall === "mlock");
        assert.equal(smapsTotal(file, "Locked"), 0, "pages stayed locked after the failed lock()");
        mapping.lock(0, 4096);
        assert.equal(smapsTotal(file, "Locked"), 4, "the part that is left still locks");
      } finally {
        mapping.close();
      }
    });
  }

  it("a guest's read and write get errno io", () => {
    const dir = temp.file("grant");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "f"), Buffer.alloc(32 * 1024, 1));
    const guest = startProbe({ grants: [{ guest: "/g", host: dir, access: "rw" }] });
    const [errno, handle] = guest.open("/g/f", 1);
    assert.equal(errno, E.success);
    shrink(path.join(dir, "f"), 100);
    assert.equal(guest.readText(handle, 20_000n, 8)[0], E.io);
    assert.equal(guest.g.write(handle, 16_384n, DATA, 4), E.io);
    assert.deepEqual(guest.readText(handle, 0n, 2), [E.success, "\x01\x01"]);
    guest.mmap.close();
  });

  it("a fault outside our copies is not swallowed: direct view access still gets SIGBUS", () => {
    const file = temp.file("direct");
    const script = `
      import { MemoryMappedFile } from ${JSON.stringify(libraryUrl)};
      import { truncateSync } from "node:fs";
      const mapping = MemoryMappedFile.openRw(${JSON.stringify(file)});
      truncateSync(${JSON.stringify(file)}, 0);
      try { mapping.read(8192, 1); } catch (error) { console.log(error.code); }
      console.log(mapping.view()[8192]);`;
    fs.writeFileSync(file, Buffer.alloc(16_384));
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    assert.equal(result.stdout, "ERR_MMAP_TRUNCATED\n", "the guarded copy is caught first");
    assert.equal(result.signal, "SIGBUS", "the unguarded access reaches the default action");
  });
});
