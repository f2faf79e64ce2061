// A file shrunk beneath a mapping by another process: every copy, lock and guest call
// that meets the lost part gets an error (ERR_MMAP_TRUNCATED, errno io), never SIGBUS, and
// what is left of the file still works. A view reads zeros there (the addon's fault
// guard), and the next call reports it.
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
      if (mode !== "ro") {
        const error = expectCode(() => mapping.write(20_000, Buffer.from("x")), "ERR_MMAP_TRUNCATED");
        assert.match(error.message, /written there are lost/);
      }
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

  for (const mode of ["rw", "cow", "ro"] as const) {
    it(`${mode}: a view read past the new end gives zeros, a view write there is lost; truncated says so, the next call throws once`, () => {
      const file = temp.file(`view-${mode}`);
      fs.writeFileSync(file, Buffer.alloc(64 * 1024, 7));
      const mapping = { ro: MemoryMappedFile.openRo, rw: MemoryMappedFile.openRw, cow: MemoryMappedFile.openCow }[mode](file);
      try {
        const view = mapping.view();
        assert.equal(mapping.truncated, false);
        shrink(file, 10_000);
        assert.equal(view[40_000], 0, "a lost page reads as zeros");
        view[50_000] = 9; // lands on a zero page of this process, never in the file
        assert.equal(view[5000], 7, "what is left is still the file");
        assert.equal(mapping.truncated, true);
        const error = expectCode(() => mapping.read(0, 4), "ERR_MMAP_TRUNCATED");
        assert.match(error.message, /a view met it/);
        assert.deepEqual([...mapping.read(0, 4)], [7, 7, 7, 7], "reported once; what is left still reads");
        assert.equal(fs.statSync(file).size, 10_000, "the write did not grow the file");
      } finally {
        mapping.close();
      }
    });
  }

  it("a chunks() loop over a file truncated meanwhile: the chunk that met the loss reads zeros, the next one throws", () => {
    const file = temp.file("chunks");
    fs.writeFileSync(file, Buffer.alloc(256 * 1024, 5));
    const mapping = MemoryMappedFile.openRo(file);
    let sum = 0;
    let seen = 0;
    const error = expectCode(() => {
      for (const chunk of mapping.chunks(16 * 1024)) {
        if (seen++ === 2) shrink(file, 40 * 1024);
        for (const byte of chunk) sum += byte;
      }
    }, "ERR_MMAP_TRUNCATED");
    assert.match(error.message, /from offset 40960/);
    assert.equal(seen, 3, "the third chunk (32-48 KiB) met the new end at 40 KiB");
    assert.equal(sum, 5 * 40 * 1024, "the bytes past the new end read as zeros");
    assert.equal(mapping.truncated, true);
    assert.equal(mapping.residency().totalPages * mapping.residency().pageSize, 256 * 1024, "reported once");
    mapping.close();
    assert.equal(mapping.truncated, false, "close() ends it");
  });

  it("resize() maps the file anew: the loss is gone", () => {
    const file = temp.file("resize");
    fs.writeFileSync(file, Buffer.alloc(64 * 1024, 3));
    const mapping = MemoryMappedFile.openRw(file);
    try {
      shrink(file, 4096);
      assert.equal(mapping.view()[30_000], 0);
      assert.equal(mapping.truncated, true);
      mapping.resize(64 * 1024);
      assert.equal(mapping.truncated, false);
      assert.equal(mapping.view()[30_000], 0, "the file's new bytes are zeros");
      mapping.write(30_000, Buffer.from("kept"));
      mapping.flush();
      assert.equal(fs.readFileSync(file).subarray(30_000, 30_004).toString(), "kept");
    } finally {
      mapping.close();
    }
  });

  it("a SIGBUS sent by a process, not a fault, reaches the handler installed before ours", () => {
    const script = `
      process.on("SIGBUS", () => { console.log("received"); process.exit(0); });
      const { MemoryMappedFile } = await import(${JSON.stringify(libraryUrl)});
      process.kill(process.pid, "SIGBUS");
      setTimeout(() => process.exit(3), 5000);`;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    assert.equal(result.signal, null, result.stderr);
    assert.equal(result.stdout, "received\n");
    assert.equal(result.status, 0);
  });
});
