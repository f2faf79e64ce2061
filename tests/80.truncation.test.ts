// A file shrunk beneath a mapping by another process: every copy, lock and guest call
// that meets the lost part gets an error (ERR_MMAP_TRUNCATED, errno io), never SIGBUS, and
// what is left of the file still works. A view reads zeros there (the addon's fault
// guard), and the next call reports it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { MemoryMappedFile, MmapAdvice, MmapError } from "../build/lib/index.js";
import { native } from "../build/lib/native.js";
import { describeOnLinux, expectCode, libraryUrl, runModuleScript, smapsTotal, suiteTempDir } from "./helpers.js";
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

  for (const copies of ["JavaScript", "the addon (no external buffers)"] as const) {
    it(`an empty copy past the lost part touches no page: it succeeds; copies by ${copies}`, () => {
      const file = temp.file(`e-${copies.length}`);
      fs.writeFileSync(file, Buffer.alloc(64 * 1024, 0x61));
      native.refuseExternalBuffers(copies !== "JavaScript");
      try {
        const mapping = MemoryMappedFile.openRw(file);
        shrink(file, 4096);
        expectCode(() => mapping.readInto(8192, new Uint8Array(16)), "ERR_MMAP_TRUNCATED");
        assert.equal(mapping.readInto(8192, new Uint8Array(0)), 0);
        assert.equal(mapping.readInto(60_000, new Uint8Array(0)), 0);
        mapping.write(20_000, new Uint8Array(0));
        assert.equal(mapping.read(30_000, 0).length, 0);
        mapping.close();
      } finally {
        native.refuseExternalBuffers(false);
      }
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

  it("worker threads faulting at once, through views, copies, writes and chunks: each reports it, the process lives", () => {
    const file = temp.file("workers");
    fs.writeFileSync(file, Buffer.alloc(1024 * 1024, 1));
    const result = runModuleScript(`
      import { Worker } from "node:worker_threads";
      import { truncateSync } from "node:fs";
      const source = \`
        const { MemoryMappedFile } = await import(${JSON.stringify(libraryUrl)});
        const { parentPort, workerData: kind } = await import("node:worker_threads");
        const mapping = kind === "write" ? MemoryMappedFile.openRw(${JSON.stringify(file)}) : MemoryMappedFile.openRo(${JSON.stringify(file)});
        parentPort.postMessage("mapped");
        await new Promise((resolve) => parentPort.once("message", resolve));
        const errors = new Set();
        let sum = 0; // pages seen with data (1, or 2 where the writer got there first)
        const attempt = (call) => { try { call(); } catch (error) { errors.add(error.code); } };
        for (let round = 0; round < 3; round++) {
          if (kind === "view") attempt(() => { const view = mapping.view(); for (let at = 0; at < view.length; at += 4096) sum += view[at] ? 1 : 0; });
          if (kind === "readInto") { const out = new Uint8Array(4096); for (let at = 0; at < mapping.length; at += 4096) attempt(() => { mapping.readInto(at, out); sum += out[0] ? 1 : 0; }); }
          if (kind === "write") for (let at = 0; at < mapping.length; at += 4096) attempt(() => mapping.write(at, new Uint8Array([2])));
          if (kind === "chunks") attempt(() => { for (const chunk of mapping.chunks(65536)) sum += chunk[0] ? 1 : 0; });
        }
        parentPort.postMessage({ kind, sum, errors: [...errors], truncated: mapping.truncated });
      \`;
      const kinds = ["view", "view", "readInto", "readInto", "write", "chunks"];
      const workers = kinds.map((kind) => new Worker(source, { eval: true, type: "module", workerData: kind }));
      const next = (w) => new Promise((resolve, reject) => { w.once("message", resolve); w.once("error", reject); });
      await Promise.all(workers.map(next));
      truncateSync(${JSON.stringify(file)}, 65536);
      const reports = workers.map(next);
      for (const w of workers) w.postMessage("go");
      console.log(JSON.stringify(await Promise.all(reports)));
      await Promise.all(workers.map((w) => w.terminate()));`);
    assert.equal(result.signal, null, result.stderr);
    assert.equal(result.status, 0, result.stderr);
    const reports = JSON.parse(result.stdout) as Array<{ kind: string; sum: number; errors: string[]; truncated: boolean }>;
    for (const report of reports) {
      assert.equal(report.truncated, true, `${report.kind}: truncated`);
      assert.deepEqual(report.errors, ["ERR_MMAP_TRUNCATED"], report.kind);
    }
    const sums = Object.fromEntries(reports.map((report) => [report.kind, report.sum]));
    // Round 1's view() reports what round 0's view met; rounds 0 and 2 read.
    assert.equal(sums.view, 2 * 16, "a view read the 16 pages left, and zeros past them");
    assert.equal(sums.readInto, 3 * 16, "readInto copied the 16 pages left and refused the rest");
    assert.equal(sums.chunks, 3, "each round read the first chunk, and zeros past it");
    assert.equal(fs.statSync(file).size, 65536);
    assert.ok(fs.readFileSync(file).every((byte, at) => byte === (at % 4096 === 0 ? 2 : 1)), "writes landed only in the pages left");
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
