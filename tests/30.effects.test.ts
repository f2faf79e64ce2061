// Effects that only the kernel can show: pages resident (mincore), Rss and dirty pages in
// /proc/self/smaps, bytes that survive the process, mappings that do not leak.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { MemoryMappedFile, MmapAdvice, MmapError } from "../build/lib/index.js";
import { native } from "../build/lib/native.js";
import { coreExports } from "../build/lib/core.js";
import { readAheadWindow } from "../build/lib/readahead.js";
import { GiB, KiB, MiB, describeOnLinux, evict, libraryUrl, mapsLineCount, sleep, smapsTotal, suiteTempDir, writeRandomFile } from "./helpers.js";

const WILLNEED = (coreExports.ACTION_MADV_WILLNEED as WebAssembly.Global).value as number;

async function until(deadlineMs: number, done: () => boolean): Promise<number> {
  const start = performance.now();
  while (!done() && performance.now() - start < deadlineMs) await sleep(20);
  return performance.now() - start;
}

describeOnLinux("effects (Linux: mincore, /proc/self/smaps)", "mincore and /proc/self/smaps", function () {
  this.timeout(120_000);
  const temp = suiteTempDir("effects", "all");

  describe("WillNeed prefetches the whole range", () => {
    const size = 64 * MiB;
    let file: string;
    before(() => {
      file = temp.file("cold64");
      writeRandomFile(file, size);
    });

    it("a cold 64 MiB file is >= 99% resident within 2 s", async () => {
      evict(file);
      const mapping = MemoryMappedFile.openRo(file);
      assert.equal(mapping.residency().residentPages, 0, "eviction left pages resident");
      mapping.advise(0, size, MmapAdvice.WillNeed);
      const elapsed = await until(2000, () => mapping.residency().residentPages >= 0.99 * mapping.residency().totalPages);
      const { residentPages, totalPages } = mapping.residency();
      mapping.close();
      assert.ok(residentPages >= 0.99 * totalPages, `${residentPages}/${totalPages} resident after ${elapsed.toFixed(0)} ms`);
      assert.ok(elapsed <= 2000);
    });

    it("where one plain madvise over the whole range covers only the first read-ahead window", async () => {
      evict(file);
      const fd = fs.openSync(file, "r");
      const region = native.map(fd, 0, size, 0, {});
      fs.closeSync(fd);
      try {
        assert.ok(region >= 0, `map failed: ${region}`);
        assert.equal(native.advise(region, 0, size, WILLNEED), 0);
        await sleep(1000);
        const resident = native.residentPages(region, 0, size);
        const windowPages = (readAheadWindow(fs.statSync(file).dev) || 128 * KiB) / 4096;
        assert.ok(resident < 0.5 * (size / 4096), `plain madvise made ${resident} pages resident`);
        assert.ok(resident <= 2 * windowPages + 64, `${resident} pages resident, window is ${windowPages} pages`);
      } finally {
        native.unmap(region, undefined);
      }
    });
  });

  describe("DontNeed drops the mapping's pages", () => {
    const size = 16 * MiB;

    for (const mode of ["ro", "rw"] as const) {
      it(`${mode}: Rss of a fully touched mapping drops to near 0; the file keeps its data`, () => {
        const file = temp.file(`dontneed-${mode}`);
        writeRandomFile(file, size);
        const before = fs.readFileSync(file);
        const mapping = mode === "ro" ? MemoryMappedFile.openRo(file) : MemoryMappedFile.openRw(file);
        if (mode === "rw") mapping.write(12_345, Buffer.from("written before DontNeed"));
        const view = mapping.view();
        let sum = 0;
        for (let i = 0; i < size; i += 4096) sum += view[i]!;
        assert.ok(sum >= 0);
        const rssBefore = smapsTotal(file, "Rss");
        assert.ok(rssBefore >= 0.95 * (size / KiB), `Rss before: ${rssBefore} kB`);
        mapping.advise(0, size, MmapAdvice.DontNeed);
        const rssAfter = smapsTotal(file, "Rss");
        assert.ok(rssAfter <= 0.02 * (size / KiB), `Rss after DontNeed: ${rssAfter} kB (was ${rssBefore} kB)`);
        mapping.close();
        const after = fs.readFileSync(file);
        if (mode === "rw") before.write("written before DontNeed", 12_345);
        assert.ok(after.equals(before), "the file's data changed");
      });
    }

    it("cow: refused with ERR_MMAP_DISCARDS_PRIVATE_WRITES; with allowDiscard the private writes are gone", () => {
      const file = temp.file("dontneed-cow");
      fs.writeFileSync(file, Buffer.alloc(8192, 1));
      const cow = MemoryMappedFile.openCow(file);
      cow.write(0, Buffer.alloc(8192, 2));
      assert.throws(() => cow.advise(0, 8192, MmapAdvice.DontNeed),
        (error: MmapError) => error.code === "ERR_MMAP_DISCARDS_PRIVATE_WRITES");
      assert.equal(cow.read(0, 1)[0], 2, "a refused DontNeed must keep the private writes");
      cow.advise(0, 8192, MmapAdvice.DontNeed, { allowDiscard: true });
      assert.equal(cow.read(0, 1)[0], 1, "the discarded page is the file's again");
      cow.close();
    });
  });

  describe("flush leaves no dirty pages", () => {
    const size = 4 * MiB;
    const dirty = (file: string) => smapsTotal(file, "Shared_Dirty") + smapsTotal(file, "Private_Dirty");
    const dirtyAll = (mapping: MemoryMappedFile) => {
      for (let i = 0; i < size; i += 4096) mapping.write(i, Buffer.from([i & 0xff, 0xab]));
    };

    it("flush(): the bytes are in the file and no page of the mapping is dirty", () => {
      const file = temp.file("flush");
      const mapping = MemoryMappedFile.createRw(file, size);
      dirtyAll(mapping);
      assert.ok(dirty(file) >= size / KiB, `dirty before flush: ${dirty(file)} kB`);
      mapping.flush();
      assert.equal(dirty(file), 0);
      const bytes = fs.readFileSync(file);
      assert.equal(bytes[4096 * 3 + 1], 0xab);
      mapping.close();
    });

    it("flushRange(): the flushed range is clean, the rest still dirty", () => {
      const file = temp.file("flush-range");
      const mapping = MemoryMappedFile.createRw(file, size);
      dirtyAll(mapping);
      mapping.flushRange(1, size / 2 - 1);
      const left = dirty(file);
      assert.ok(left >= size / 2 / KiB - 4 && left <= size / 2 / KiB + 4, `dirty after half a flush: ${left} kB`);
      mapping.flushRange(size / 2, size / 2);
      assert.equal(dirty(file), 0);
      mapping.close();
    });

    it("await flushAsync(): no dirty pages left", async () => {
      const file = temp.file("flush-async");
      const mapping = MemoryMappedFile.createRw(file, size);
      dirtyAll(mapping);
      const pending = mapping.flushAsync();
      await pending;
      assert.equal(dirty(file), 0);
      mapping.close();
    });

    it("close() during flushAsync() is safe: views go at once, the flush completes", async () => {
      const file = temp.file("flush-close");
      const mapping = MemoryMappedFile.createRw(file, size);
      dirtyAll(mapping);
      const view = mapping.view();
      const pending = mapping.flushAsync();
      mapping.close();
      assert.equal(view.length, 0);
      await pending;
      assert.equal(fs.readFileSync(file)[4096 * 5 + 1], 0xab);
    });

    it("a child that writes, flushes and is killed with SIGKILL leaves the bytes in the file", async () => {
      const file = temp.file("killed");
      const script = `
        import { MemoryMappedFile } from ${JSON.stringify(libraryUrl)};
        const m = MemoryMappedFile.createRw(${JSON.stringify(file)}, 65536);
        m.write(40000, Buffer.from("survives SIGKILL"));
        m.flush();
        process.stdout.write("flushed\\n");
        setInterval(() => {}, 1000);`;
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (data: Buffer) => { if (data.toString().includes("flushed")) resolve(); });
        child.on("exit", (code) => reject(new Error(`child exited early with ${code}`)));
      });
      const exited = new Promise((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
      child.kill("SIGKILL");
      assert.equal(await exited, "SIGKILL");
      assert.equal(fs.readFileSync(file).subarray(40000, 40016).toString(), "survives SIGKILL");
    });
  });

  describe("residency and locking", () => {
    it("residency() follows the page cache: 0 after eviction, the middle third after reading it", () => {
      const file = temp.file("third");
      writeRandomFile(file, 3 * MiB);
      evict(file);
      const mapping = MemoryMappedFile.openRo(file);
      mapping.advise(0, mapping.length, MmapAdvice.Random); // no read-ahead around the faults
      assert.equal(mapping.residency().residentPages, 0);
      mapping.read(MiB, MiB);
      const { residentPages, totalPages } = mapping.residency();
      assert.equal(totalPages, 768);
      assert.equal(mapping.residency(MiB, MiB).residentPages, 256);
      assert.equal(residentPages, 256);
      assert.equal(mapping.residency(0, MiB).residentPages, 0);
      mapping.close();
    });

    for (const mode of ["ro", "cow", "rw"] as const) {
      it(`${mode}: lock() locks the pages (smaps Locked) without copying them; unlock() releases them`, () => {
        const file = temp.file(`lock-${mode}`);
        writeRandomFile(file, MiB);
        const open = { ro: MemoryMappedFile.openRo, cow: MemoryMappedFile.openCow, rw: MemoryMappedFile.openRw }[mode];
        const mapping = open(file);
        mapping.lock();
        assert.equal(smapsTotal(file, "Locked"), MiB / KiB);
        assert.equal(smapsTotal(file, "Rss"), MiB / KiB, "every page is resident");
        assert.equal(smapsTotal(file, "Anonymous"), 0, "locking made private copies of the pages");
        mapping.unlock(0, MiB / 2);
        assert.equal(smapsTotal(file, "Locked"), MiB / 2 / KiB);
        mapping.unlock();
        assert.equal(smapsTotal(file, "Locked"), 0);
        mapping.close();
      });
    }
  });

  describe("nothing leaks", () => {
    it("100,000 open/close cycles keep /proc/self/maps and the open descriptors flat", () => {
      const file = temp.file("cycles");
      fs.writeFileSync(file, Buffer.alloc(3 * 4096, 5));
      const fds = () => fs.readdirSync("/proc/self/fd").length;
      const mapsOf = (name: string) => fs.readFileSync("/proc/self/maps", "utf8").split("\n").filter((line) => line.endsWith(name)).length;
      const open = (i: number) => (i % 3 === 0 ? MemoryMappedFile.openRo(file) : i % 3 === 1 ? MemoryMappedFile.openCow(file) : MemoryMappedFile.openRw(file));
      for (let i = 0; i < 100; i++) open(i).close();
      const [mapsBefore, fdsBefore] = [mapsLineCount(), fds()];
      for (let i = 0; i < 100_000; i++) {
        const mapping = open(i);
        if (mapping.view()[0] !== 5) throw new Error(`cycle ${i}: wrong byte`);
        mapping.close();
      }
      // A leaked mapping would add a line per cycle, 100,000 in all; the JS and C heaps
      // (and a sanitizer's allocator) may add some dozens of their own.
      const mapsAfter = mapsLineCount();
      assert.equal(mapsOf(file), 0, "no mapping of the file is left");
      assert.ok(mapsAfter - mapsBefore <= 256, `maps lines ${mapsBefore} → ${mapsAfter} over 100,000 cycles`);
      assert.equal(fds(), fdsBefore);
    });

    it("mappings dropped without close() are unmapped once collected", () => {
      const file = temp.file("dropped");
      fs.writeFileSync(file, Buffer.alloc(4096, 1));
      const script = `
        import { MemoryMappedFile } from ${JSON.stringify(libraryUrl)};
        import { readFileSync } from "node:fs";
        const mapped = () => readFileSync("/proc/self/maps", "utf8").split("\\n").filter((l) => l.endsWith(${JSON.stringify(fs.realpathSync(file))})).length;
        for (let i = 0; i < 2000; i++) { MemoryMappedFile.openRw(${JSON.stringify(file)}).view(); }
        const before = mapped();
        for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
        console.log(JSON.stringify({ before, after: mapped(), fds: readdirSync("/proc/self/fd").length }));
        import { readdirSync } from "node:fs";`;
      const result = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr);
      const { before, after, fds } = JSON.parse(result.stdout) as { before: number; after: number; fds: number };
      assert.ok(before > 0, "the mappings should exist before collection");
      assert.equal(after, 0, `${after} of ${before} mappings survived collection`);
      assert.ok(fds < 100, `${fds} descriptors open: rw descriptors leaked`);
    });
  });

  describe("files above 4 GiB", () => {
    it("a sparse 5 GiB file maps; advise, read and write at offsets above 2^32 work", () => {
      const file = temp.file("sparse5g");
      const size = 5 * GiB;
      const mapping = MemoryMappedFile.createRw(file, size);
      assert.equal(mapping.length, size);
      const high = 2 ** 32 + 12_345;
      mapping.write(high, Buffer.from("above 4 GiB"));
      mapping.write(2 ** 32 - 3, Buffer.from("across"));
      mapping.advise(high, 64 * KiB, MmapAdvice.WillNeed);
      mapping.advise(BigInt(high), 10n, MmapAdvice.Random);
      mapping.advise(2 ** 32 - 100, 200, MmapAdvice.Sequential);
      assert.equal(Buffer.from(mapping.read(high, 11)).toString(), "above 4 GiB");
      assert.equal(Buffer.from(mapping.read(BigInt(2 ** 32 - 3), 6n)).toString(), "across");
      const target = new Uint8Array(6);
      assert.equal(mapping.readInto(2 ** 32 - 3, target), 6);
      assert.equal(Buffer.from(target).toString(), "across");
      assert.equal(Buffer.from(mapping.view(high, 11)).toString(), "above 4 GiB");
      assert.throws(() => mapping.view(2 ** 32 - 3, 6), (error: MmapError) => error.code === "ERR_MMAP_VIEW_SPANS_SEGMENTS");
      assert.deepEqual(mapping.residency(high, 4096), { residentPages: 2, totalPages: 2, pageSize: 4096 }, "prefetched");
      mapping.flushRange(2 ** 32 - 3, 6);
      mapping.flushRange(high, 11);
      mapping.close();
      const fd = fs.openSync(file, "r");
      const check = Buffer.alloc(11);
      fs.readSync(fd, check, 0, 11, high);
      assert.equal(check.toString(), "above 4 GiB");
      fs.readSync(fd, check, 0, 6, 2 ** 32 - 3);
      fs.closeSync(fd);
      assert.equal(check.subarray(0, 6).toString(), "across");
      assert.ok(fs.statSync(file).blocks * 512 < 64 * MiB, "the file stays sparse");
      fs.rmSync(path.resolve(file));
    });
  });
});
