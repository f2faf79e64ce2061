// No crash, no escape, nothing lost: truncation beneath a mapping, resource exhaustion,
// sandbox escapes, and durability under SIGKILL.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { getSystemErrorName } from "node:util";
import { MemoryMappedFile, MmapAdvice, MmapError } from "../build/lib/index.js";
import { native } from "../build/lib/native.js";
import { MiB, describeOnLinux, mapsLineCount, missingPrerequisite, openWays, openingWay, smapsTotal, tempDir } from "./helpers.js";
import { DATA, E, startProbe } from "./probe.js";

const libraryUrl = new URL("../build/lib/index.js", import.meta.url).href;

/** Kills a helper process and waits until it is gone, so it touches no file afterwards. */
async function stopped(child: ReturnType<typeof spawn>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

function expectCode(run: () => unknown, code: string): void {
  assert.throws(run, (error: unknown) => error instanceof MmapError && error.code === code);
}

describeOnLinux("hardening", "/proc/self (maps, fd, status), vm.max_map_count, mkfifo and truncate(1)", function () {
  this.timeout(300_000);
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => { temp = tempDir("hard"); });
  afterEach(() => temp.remove());

  describe("a file truncated beneath the mapping (by another process)", () => {
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

  describe("resource exhaustion", () => {
    it("a lock() that fails in a later 4 GiB segment (RLIMIT_MEMLOCK) unlocks the earlier ones", function () {
      // Root ignores RLIMIT_MEMLOCK through CAP_IPC_LOCK: the child runs without it, and
      // may lock one page. The range spans the segment boundary: one page on each side.
      const tools = ["setpriv", "prlimit"].filter((tool) => spawnSync(tool, ["--version"]).status !== 0);
      if (tools.length) missingPrerequisite(this, `${tools.join(" and ")} (util-linux) not installed: they run a process with a small RLIMIT_MEMLOCK`);
      const file = temp.file("two-segments");
      fs.writeFileSync(file, "");
      fs.truncateSync(file, 4 * 1024 * MiB + 8192); // sparse: nothing is written
      const script = `
        import { MemoryMappedFile } from ${JSON.stringify(libraryUrl)};
        import { readFileSync } from "node:fs";
        const locked = () => readFileSync("/proc/self/status", "utf8").match(/^VmLck:\\s+(\\d+) kB$/m)[1];
        // Without CAP_IPC_LOCK (bit 14) the limit applies; setpriv may be unable to drop it.
        const ipcLock = (BigInt("0x" + readFileSync("/proc/self/status", "utf8").match(/^CapEff:\\s+(\\w+)$/m)[1]) >> 14n) & 1n;
        if (ipcLock) { console.log(JSON.stringify({ ipcLock: true })); process.exit(0); }
        const mapping = MemoryMappedFile.openRo(${JSON.stringify(file)});
        mapping.lock(0, 4096);
        const one = locked();
        mapping.unlock();
        let code = "none";
        try { mapping.lock(4 * 1024 ** 3 - 4096, 8192); } catch (error) { code = error.code; }
        console.log(JSON.stringify({ one, code, after: locked() }));`;
      const result = spawnSync("setpriv", ["--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock", "prlimit", "--memlock=4096:4096",
        process.execPath, "--input-type=module", "-e", script], { encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr);
      const report = JSON.parse(result.stdout);
      if (report.ipcLock) missingPrerequisite(this, "setpriv could not drop CAP_IPC_LOCK (it needs CAP_SETPCAP), so RLIMIT_MEMLOCK does not apply");
      assert.deepEqual(report, { one: "4", code: "ENOMEM", after: "0" });
    });

    it("a million Random/Sequential calls on scattered small ranges of one mapping do not crash", () => {
      const file = temp.file("scatter");
      const size = 256 * MiB;
      fs.writeFileSync(file, "");
      fs.truncateSync(file, size);
      const mapping = MemoryMappedFile.openRo(file);
      const pages = size / 4096;
      let refused = 0;
      let state = 12345;
      for (let i = 0; i < 1_000_000; i++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        try {
          mapping.advise((state % pages) * 4096 + 7, 100, i % 2 ? MmapAdvice.Random : MmapAdvice.Sequential);
        } catch (error) {
          assert.equal((error as MmapError).code, "ERR_MMAP_MAP_COUNT");
          refused++;
        }
      }
      assert.ok(refused > 0, "scattered advice must hit the budget");
      assert.ok(mapsLineCount() < 65_530 - 4000, `maps lines: ${mapsLineCount()}`);
      // The process stays healthy: the engine can still allocate, and once the split
      // mapping is advised as a whole (the kernel merges its areas) or closed, mapping works.
      assert.equal(Buffer.alloc(64 * MiB, 1).length, 64 * MiB);
      mapping.advise(0, size, MmapAdvice.Normal);
      mapping.advise(4096, 4096, MmapAdvice.Random);
      const other = MemoryMappedFile.createRw(temp.file("after"), 4096);
      other.close();
      mapping.close();
    });

    it("mapping more than vm.max_map_count allows gives ERR_MMAP_MAP_COUNT, not a dead process", () => {
      const file = temp.file("many");
      fs.writeFileSync(file, Buffer.alloc(4096, 1));
      const limit = Number(fs.readFileSync("/proc/sys/vm/max_map_count", "utf8"));
      const open: MemoryMappedFile[] = [];
      let error: unknown;
      try {
        for (let i = 0; i <= limit; i++) open.push(MemoryMappedFile.openRo(file));
      } catch (caught) {
        error = caught;
      }
      assert.ok(error instanceof MmapError && error.code === "ERR_MMAP_MAP_COUNT", String(error));
      assert.match((error as Error).message, /vm\.max_map_count/);
      assert.ok(open.length > limit / 2, `refused already after ${open.length} mappings`);
      assert.equal(Buffer.alloc(32 * MiB).length, 32 * MiB, "the engine can still get memory");
      for (const mapping of open) mapping.close();
      MemoryMappedFile.openRo(file).close();
    });

    it("mappings stop at half the address space: huge sparse files give nomem / ENOMEM, and the engine can still allocate", () => {
      // Without this budget a guest could map sparse files until the engine's next
      // reservation failed, which kills the process.
      const dir = temp.file("sparse");
      fs.mkdirSync(dir);
      const huge = path.join(dir, "huge");
      fs.writeFileSync(huge, "");
      fs.truncateSync(huge, 15 * 2 ** 40); // 15 TiB, sparse (ext4 allows up to 16 TiB)
      const guest = startProbe({ grants: [{ guest: "/d", host: dir }] });
      const errnos: number[] = [];
      for (let i = 0; i < 16; i++) errnos.push(guest.open("/d/huge", 0)[0]);
      // 2^47 bytes of user address space on x86-64: four 15 TiB files fit in half of it.
      assert.deepEqual(errnos.filter((errno) => errno === E.success).length, 4, errnos.join(" "));
      assert.ok(errnos.slice(4).every((errno) => errno === E.nomem), errnos.join(" "));
      expectCode(() => MemoryMappedFile.openRo(huge), "ENOMEM");
      assert.equal(Buffer.alloc(64 * MiB, 1).length, 64 * MiB);
      assert.ok(new WebAssembly.Memory({ initial: 256 }).buffer.byteLength > 0);
      guest.mmap.close();
      MemoryMappedFile.openRo(huge).close(); // closing gave the address space back
    });

    it("a guest at maxHandles or maxMappedBytes gets mfile / nomem, and the host stays healthy", () => {
      const dir = temp.file("limits");
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "f"), Buffer.alloc(1000));
      const guest = startProbe({ grants: [{ guest: "/d", host: dir }], limits: { maxHandles: 64, maxMappedBytes: 50_000 } });
      const seen = new Map<number, number>();
      for (let i = 0; i < 500; i++) {
        const [errno] = guest.open("/d/f", 0);
        seen.set(errno, (seen.get(errno) ?? 0) + 1);
      }
      assert.equal(seen.get(E.success), 50, "50 × 1000 bytes fit in 50,000");
      assert.equal(seen.get(E.nomem), 450);
      const many = startProbe({ grants: [{ guest: "/d", host: dir }], limits: { maxHandles: 64 } });
      for (let i = 0; i < 64; i++) assert.equal(many.open("/d/f", 0)[0], E.success);
      assert.equal(many.open("/d/f", 0)[0], E.mfile);
      guest.mmap.close();
      many.mmap.close();
      MemoryMappedFile.openRo(path.join(dir, "f")).close();
    });
  });

  describe("sandbox escapes", () => {
    let data: string;
    let outside: string;
    beforeEach(() => {
      data = temp.file("data");
      outside = temp.file("outside");
      fs.mkdirSync(data);
      fs.mkdirSync(outside);
      fs.writeFileSync(path.join(data, "real.txt"), "real");
      fs.writeFileSync(path.join(outside, "secret"), "secret");
    });

    /**
     * Runs `flipper` (a Node script) in another process while `race` runs, then stops it.
     * The race starts once the flipper says it is flipping: a slow start (under a
     * sanitizer, say) must not leave the race to run alone.
     */
    async function whileFlipping<T>(flipper: string, race: () => T): Promise<T> {
      const child = spawn(process.execPath, ["-e", `process.stdout.write("flipping\\n"); ${flipper}`], { stdio: ["ignore", "pipe", "ignore"] });
      try {
        await new Promise((resolve, reject) => {
          child.stdout!.once("data", resolve);
          child.once("exit", (code) => reject(new Error(`the flipper exited (${code}) before flipping`)));
        });
        return race();
      } finally {
        await stopped(child);
      }
    }

    /** A script that swaps `folder` for a link to `target` and back, over and over. */
    const folderFlipper = (folder: string, target: string) => `
      const fs = require("node:fs");
      const folder = ${JSON.stringify(folder)};
      for (;;) {
        try {
          fs.symlinkSync(${JSON.stringify(target)}, folder + ".link");
          fs.renameSync(folder, folder + ".real");
          fs.renameSync(folder + ".link", folder);
          fs.renameSync(folder, folder + ".link");
          fs.renameSync(folder + ".real", folder);
          fs.unlinkSync(folder + ".link");
        } catch {}
      }`;

    /** A guest granted `data` opens `guestPath` `times` times: how often it read which first 4 bytes, or got which errno. */
    function openOutcomes(guestPath: string, times: number): Map<string, number> {
      const guest = startProbe({ grants: [{ guest: "/data", host: data }] });
      const outcomes = new Map<string, number>();
      try {
        for (let i = 0; i < times; i++) {
          const [errno, handle] = guest.open(guestPath, 0);
          let outcome = `errno ${errno}`;
          if (errno === E.success) {
            outcome = guest.readText(handle, 0n, 4)[1];
            guest.g.close(handle);
          }
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
      } finally {
        guest.mmap.close();
      }
      return outcomes;
    }

    for (const { way, byHand } of openWays) {
      it(`a symbolic link swapped between check and open never yields the outside file; ${way}`, () => openingWay(byHand, async () => {
        fs.symlinkSync("real.txt", path.join(data, "swap"));
        const flipper = `
          const fs = require("node:fs");
          const link = ${JSON.stringify(path.join(data, "swap"))};
          const targets = ["real.txt", ${JSON.stringify(path.join(outside, "secret"))}];
          for (let i = 0; ; i++) {
            try { fs.symlinkSync(targets[i % 2], link + ".new"); fs.renameSync(link + ".new", link); } catch {}
          }`;
        const outcomes = await whileFlipping(flipper, () => openOutcomes("/data/swap", 3000));
        assert.ok(!outcomes.has("secr"), `the outside file was mapped: ${JSON.stringify([...outcomes])}`);
        assert.ok((outcomes.get("real") ?? 0) > 0, JSON.stringify([...outcomes]));
        assert.ok((outcomes.get(`errno ${E.notcapable}`) ?? 0) > 0, `no open met the link to outside: ${JSON.stringify([...outcomes])}`);
      }));

      it(`a folder on the path swapped for a link between check and open never yields the outside file; ${way}`, () => openingWay(byHand, async () => {
        fs.mkdirSync(path.join(data, "folder"));
        fs.writeFileSync(path.join(data, "folder", "file"), "real");
        fs.mkdirSync(path.join(outside, "folder"));
        fs.writeFileSync(path.join(outside, "folder", "file"), "secret");
        const flipper = folderFlipper(path.join(data, "folder"), path.join(outside, "folder"));
        const outcomes = await whileFlipping(flipper, () => openOutcomes("/data/folder/file", 3000));
        assert.ok(!outcomes.has("secr"), `the outside file was mapped: ${JSON.stringify([...outcomes])}`);
        assert.ok((outcomes.get("real") ?? 0) > 0, JSON.stringify([...outcomes]));
        assert.ok((outcomes.get(`errno ${E.notcapable}`) ?? 0) + (outcomes.get(`errno ${E.noent}`) ?? 0) > 0,
          `no open met a swapped folder: ${JSON.stringify([...outcomes])}`);
      }));

      it(`a folder swapped for a link between check and create never gets a file outside the grant; ${way}`, () => openingWay(byHand, async () => {
        const folder = path.join(data, "folder");
        fs.mkdirSync(folder);
        const outcomes = await whileFlipping(folderFlipper(folder, outside), () => {
          const counts = new Map<number, number>();
          const guest = startProbe({ grants: [{ guest: "/data", host: data, access: "rw" }] });
          try {
            // A race: each run has a chance to hit the window, and 5,000 tries hit it on
            // this machine when the check was only made by path.
            for (let i = 0; i < 5000; i++) {
              const [errno, handle] = guest.create(`/data/folder/f${i}`, 16n);
              if (errno === E.success) guest.g.close(handle);
              counts.set(errno, (counts.get(errno) ?? 0) + 1);
            }
          } finally {
            guest.mmap.close();
          }
          return counts;
        });
        const seen = JSON.stringify([...outcomes]);
        assert.deepEqual(fs.readdirSync(outside).filter((name) => name !== "secret"), [], `files created outside the grant; outcomes ${seen}`);
        assert.ok((outcomes.get(E.success) ?? 0) > 0, `no create succeeded: ${seen}`);
        assert.ok((outcomes.get(E.notcapable) ?? 0) + (outcomes.get(E.noent) ?? 0) > 0, `no create met a swapped folder: ${seen}`);
      }));
    }

    it("device files, /proc and /sys files, FIFOs (without blocking) and sockets are refused", async () => {
      spawnSync("mkfifo", [path.join(data, "fifo")]);
      const server = net.createServer().listen(path.join(data, "socket"));
      await new Promise((resolve) => server.once("listening", resolve));
      try {
        const guest = startProbe({
          grants: [
            { guest: "/data", host: data, access: "rw" }, { guest: "/dev", host: "/dev" },
            { guest: "/proc", host: "/proc/self" }, { guest: "/sys", host: "/sys/kernel/mm/transparent_hugepage" },
          ],
        });
        const started = performance.now();
        assert.equal(guest.open("/data/fifo", 0)[0], E.inval);
        assert.equal(guest.open("/data/fifo", 1)[0], E.inval);
        assert.ok(performance.now() - started < 2000, "opening a FIFO must not block");
        assert.equal(guest.open("/data/socket", 0)[0], E.inval, "a socket is not a file");
        assert.equal(guest.open("/dev/zero", 0)[0], E.inval);
        assert.equal(guest.open("/dev/null", 2)[0], E.inval);
        assert.equal(guest.open("/proc/status", 0)[0], E.inval);
        assert.equal(guest.open("/proc/maps", 0)[0], E.inval);
        assert.equal(guest.open("/sys/enabled", 0)[0], E.inval);
        guest.mmap.close();
      } finally {
        server.close();
      }
    });

    it("very long paths and names get an errno", () => {
      const guest = startProbe({ grants: [{ guest: "/data", host: data }] });
      assert.equal(guest.open(`/data/${"a/".repeat(3000)}x`, 0)[0], E.inval, "longer than 4096 bytes");
      assert.equal(guest.open(`/data/${"n".repeat(300)}`, 0)[0], E.inval, "a name longer than 255 bytes");
      assert.equal(guest.open(`/data/${"../".repeat(1000)}data/real.txt`, 0)[0], E.success);
      guest.mmap.close();
    });

    it("a guest path that fits, beneath a grant whose folder makes the host path too long, gets an errno and makes no file", () => {
      // The grant's folder alone takes most of the 4096 bytes a host path may have.
      const deep = path.join(data, ...new Array(16).fill("d".repeat(240)));
      fs.mkdirSync(deep, { recursive: true });
      const name = "n".repeat(250);
      assert.ok(Buffer.byteLength(deep) + 1 + name.length >= 4096, "the host path must be too long");
      const guest = startProbe({ grants: [{ guest: "/deep", host: deep, access: "rw" }] });
      const [errno] = guest.create(`/deep/${name}`, 1n);
      assert.equal(errno, E.inval);
      assert.equal(errno, guest.open(`/deep/${name}`, 0)[0], "open and create say the same");
      assert.deepEqual(fs.readdirSync(deep), [], "no file was made");
      guest.mmap.close();
    });

    it("hard links are refused: another name of the file may lie outside the grant", () => {
      fs.linkSync(path.join(outside, "secret"), path.join(data, "hard"));
      const guest = startProbe({ grants: [{ guest: "/data", host: data, access: "rw" }] });
      assert.equal(guest.open("/data/hard", 0)[0], E.notcapable);
      assert.equal(guest.open("/data/hard", 1)[0], E.notcapable);
      assert.equal(guest.create("/data/hard", 0n)[0], E.notcapable);
      assert.equal(fs.readFileSync(path.join(outside, "secret"), "utf8"), "secret", "create must not truncate it");
      guest.mmap.close();
    });
  });

  describe("found by review", () => {
    const runChild = (script: string) =>
      spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });

    it("a transferred view buffer is copied, not moved: close() and GC stay safe", () => {
      const file = temp.file("transfer");
      fs.writeFileSync(file, Buffer.alloc(8192, 3));
      const result = runChild(`
        import { MemoryMappedFile } from ${JSON.stringify(libraryUrl)};
        const mapping = MemoryMappedFile.openRw(${JSON.stringify(file)});
        const view = mapping.view();
        const moved = structuredClone(view.buffer, { transfer: [view.buffer] });
        mapping.close();
        globalThis.gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
        console.log(view.length, new Uint8Array(moved)[5]);`);
      assert.equal(result.signal, null, result.stderr);
      assert.equal(result.stdout, "0 3\n");
    });

    it("terminating a worker during flushAsync() does not abort the process", () => {
      const file = temp.file("worker-flush");
      const result = runChild(`
        import { Worker } from "node:worker_threads";
        const worker = new Worker(\`
          const { MemoryMappedFile } = await import(${JSON.stringify(libraryUrl)});
          const { parentPort } = await import("node:worker_threads");
          const mapping = MemoryMappedFile.createRw(${JSON.stringify(file)}, 64 << 20);
          mapping.view().fill(7);
          mapping.flushAsync();
          parentPort.postMessage("flushing");
        \`, { eval: true, type: "module" });
        worker.once("message", async () => { await worker.terminate(); console.log("terminated"); });`);
      assert.equal(result.signal, null, result.stderr);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, "terminated\n");
    });

    it("worker threads share one mapping budget: scattered advice in three workers does not exhaust vm.max_map_count", () => {
      // Found after review: each thread used to count its own splits, so three workers
      // together split past the limit and V8 died ("Committing semi space failed").
      const file = temp.file("worker-splits");
      fs.writeFileSync(file, "");
      fs.truncateSync(file, 256 * MiB);
      const limit = Number(fs.readFileSync("/proc/sys/vm/max_map_count", "utf8"));
      const result = runChild(`
        import { Worker } from "node:worker_threads";
        import * as fs from "node:fs";
        const { MemoryMappedFile, MmapAdvice } = await import(${JSON.stringify(libraryUrl)});
        const lines = () => fs.readFileSync("/proc/self/maps", "utf8").split("\\n").length - 1;
        const source = \`
          const { MemoryMappedFile, MmapAdvice } = await import(${JSON.stringify(libraryUrl)});
          const { parentPort, workerData } = await import("node:worker_threads");
          const mapping = MemoryMappedFile.openRo(${JSON.stringify(file)});
          let state = 12345 + workerData, refused = 0;
          for (let i = 0; refused < 2000 && i < 400000; i++) {
            state = (Math.imul(state, 1103515245) + 12345) >>> 0;
            try {
              mapping.advise((state % 65536) * 4096 + 7, 100, i % 2 ? MmapAdvice.Random : MmapAdvice.Sequential);
            } catch (error) {
              if (error.code !== "ERR_MMAP_MAP_COUNT") throw error;
              refused++;
            }
          }
          parentPort.postMessage(refused);
          setInterval(() => {}, 1000); // keeps the split mapping alive
        \`;
        const workers = [0, 1, 2].map((k) => new Worker(source, { eval: true, type: "module", workerData: k }));
        const refused = await Promise.all(workers.map((w) => new Promise((resolve, reject) => { w.once("message", resolve); w.once("error", reject); })));
        const peak = lines();
        const spare = Buffer.alloc(64 << 20, 1).length; // the engine can still map memory
        await Promise.all(workers.map((w) => w.terminate()));
        // The workers' splits went with their mappings: splitting works again here.
        const mapping = MemoryMappedFile.openRo(${JSON.stringify(file)});
        for (let page = 1; page < 2000; page += 2) mapping.advise(page * 4096, 4096, MmapAdvice.Random);
        mapping.close();
        console.log(JSON.stringify({ refused, peak, spare }));`);
      assert.equal(result.signal, null, result.stderr);
      assert.equal(result.status, 0, result.stderr);
      const { refused, peak, spare } = JSON.parse(result.stdout) as { refused: number[]; peak: number; spare: number };
      assert.ok(refused.every((count) => count === 2000), `every worker reached the budget: ${refused.join(", ")}`);
      assert.ok(peak < limit - 4000, `maps lines ${peak} stay below ${limit} - 4000`);
      assert.equal(spare, 64 * MiB);
    });

    it("a guest's create of an impossible size leaks no descriptor and leaves the file as it was", () => {
      const dir = temp.file("create-big");
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "precious"), "keep me");
      const guest = startProbe({ grants: [{ guest: "/w", host: dir, access: "rw" }] });
      const fds = () => fs.readdirSync("/proc/self/fd").length;
      const before = fds();
      for (let i = 0; i < 50; i++) assert.equal(guest.create("/w/precious", 1n << 50n)[0], E.io);
      assert.equal(fds(), before);
      assert.equal(fs.readFileSync(path.join(dir, "precious"), "utf8"), "keep me");
      guest.mmap.close();
    });

    it("scattered lock() calls count against the mapping budget like advice", () => {
      const file = temp.file("locks");
      fs.writeFileSync(file, "");
      fs.truncateSync(file, 512 * MiB);
      const mapping = MemoryMappedFile.openRo(file);
      let refused = 0;
      for (let i = 0; i < 40_000 && refused === 0; i++) {
        try {
          mapping.lock(i * 8192, 1);
        } catch (error) {
          assert.equal((error as MmapError).code, "ERR_MMAP_MAP_COUNT");
          refused++;
        }
      }
      assert.equal(refused, 1, "the budget must stop the splits");
      assert.equal(Buffer.alloc(16 * MiB).length, 16 * MiB);
      mapping.unlock();
      mapping.close();
    });

    it("openOrCreate on a dangling symbolic link fails with ENOENT instead of spinning", () => {
      const link = temp.file("dangling");
      fs.symlinkSync(temp.file("nowhere/x"), link);
      expectCode(() => MemoryMappedFile.openOrCreate(link, 4096), "ENOENT");
    });

    it("opening a FIFO from Node neither blocks nor maps: ENODEV", () => {
      const fifo = temp.file("fifo");
      spawnSync("mkfifo", [fifo]);
      const started = performance.now();
      expectCode(() => MemoryMappedFile.openRo(fifo), "ENODEV");
      expectCode(() => MemoryMappedFile.openRw(fifo), "ENODEV");
      assert.ok(performance.now() - started < 2000);
    });

    it("a closed guest handle stays badf while its slot is reused thousands of times", () => {
      const dir = temp.file("reuse");
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "f"), "data");
      const guest = startProbe({ grants: [{ guest: "/d", host: dir }] });
      const seen = new Set<number>();
      const [, first] = guest.open("/d/f", 0);
      guest.g.close(first);
      seen.add(first);
      for (let i = 0; i < 20_000; i++) {
        const [errno, handle] = guest.open("/d/f", 0);
        assert.equal(errno, E.success);
        assert.ok(!seen.has(handle), `handle ${handle} came back after ${i} opens`);
        seen.add(handle);
        guest.g.close(handle);
      }
      assert.equal(guest.readText(first, 0n, 1)[0], E.badf);
      guest.mmap.close();
    });
  });

  it("durability: write + flush + SIGKILL, 100 times, never loses a flushed byte", async () => {
    const file = temp.file("durable");
    fs.writeFileSync(file, Buffer.alloc(64 * 1024));
    const script = `
      import { MemoryMappedFile } from ${JSON.stringify(libraryUrl)};
      const [file, round] = process.argv.slice(1);
      const mapping = MemoryMappedFile.openRw(file);
      const at = (Number(round) * 613) % (64 * 1024 - 16);
      mapping.write(at, Buffer.from(String(round).padStart(16, "#")));
      mapping.flush();
      process.stdout.write("flushed\\n");
      setInterval(() => {}, 1000);`;
    for (let round = 0; round < 100; round++) {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script, file, String(round)], { stdio: ["ignore", "pipe", "inherit"] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (data: Buffer) => { if (data.includes("flushed")) resolve(); });
        child.on("exit", (code) => reject(new Error(`round ${round}: child exited with ${code}`)));
      });
      const exited = new Promise((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
      child.kill("SIGKILL");
      assert.equal(await exited, "SIGKILL");
      const at = (round * 613) % (64 * 1024 - 16);
      assert.equal(fs.readFileSync(file).subarray(at, at + 16).toString(), String(round).padStart(16, "#"), `round ${round}`);
    }
  });
});

// The addon trusts the core's checks but still looks at every argument of the copies
// itself (a bug in the host must not become a wild pointer). These calls bypass the core.
describe("hardening, on every platform: the addon refuses bad arguments from the host itself", () => {
  let temp: ReturnType<typeof tempDir>;
  let fd: number;
  let segment: ArrayBuffer;
  beforeEach(() => {
    temp = tempDir("addon");
    const file = temp.file("data");
    fs.writeFileSync(file, Buffer.alloc(8192, 0x61));
    fd = fs.openSync(file, "r+");
    segment = native.map(fd, 0, 8192, 1) as ArrayBuffer; // rw
    assert.ok(segment instanceof ArrayBuffer);
  });
  afterEach(() => {
    native.unmap(segment);
    fs.closeSync(fd);
    temp.remove();
  });
  const errorName = (status: number) => (status < 0 ? getSystemErrorName(status) : String(status));

  for (const copy of ["copyOut", "copyIn"] as const) {
    it(`${copy}: bad offsets, lengths, buffers and counts are EINVAL or EBADF, and nothing is copied`, () => {
      const call = native[copy] as (...args: unknown[]) => number;
      const bytes = new Uint8Array(16).fill(0x7a);
      const cases: Array<[unknown[], string]> = [
        [[segment, Number.NaN, 4, bytes, 0], "EINVAL"],
        [[segment, -1, 4, bytes, 0], "EINVAL"],
        [[segment, 2 ** 64, 4, bytes, 0], "EINVAL"],
        [[segment, "0", 4, bytes, 0], "EINVAL"],
        [[segment, 0.5, 4, bytes, 0], "EINVAL"],
        [[segment, 2 * native.pageSize() - 2, 4, bytes, 0], "EINVAL"], // past the mapped page
        [[segment, 0, 17, bytes, 0], "EINVAL"], // more than the typed array holds
        [[segment, 0, 4, bytes, 13], "EINVAL"],
        [[segment, 0, 4, bytes, -1], "EINVAL"],
        [[segment, 0, 4, new Uint16Array(8), 0], "EINVAL"],
        [[segment, 0, 4, new DataView(bytes.buffer), 0], "EINVAL"],
        [[segment, 0, 4, [1, 2, 3, 4], 0], "EINVAL"],
        [[segment, 0, 4, bytes], "EINVAL"], // too few arguments
        [[new ArrayBuffer(8192), 0, 4, bytes, 0], "EBADF"], // not a mapping
        [[bytes, 0, 4, bytes, 0], "EBADF"],
      ];
      for (const [args, expected] of cases) {
        assert.equal(errorName(call(...args)), expected, `${copy}(${args.map((a) => typeof a).join(", ")})`);
      }
      assert.deepEqual([...bytes], new Array(16).fill(0x7a), "the typed array was written");
      assert.deepEqual(new Uint8Array(segment, 0, 8192).every((b) => b === 0x61), true, "the mapping was written");
      // Still usable afterwards, on a typed array at an offset into its buffer.
      const window = new Uint8Array(new ArrayBuffer(32), 8, 16);
      if (copy === "copyIn") window.fill(0x62);
      assert.equal(call(segment, 4096, 16, window, 0, "an extra argument is ignored"), 0);
      assert.equal(copy === "copyOut" ? window.every((b) => b === 0x61) : new Uint8Array(segment, 4096, 16).every((b) => b === 0x62), true);
      native.unmap(segment);
      assert.equal(errorName(call(segment, 0, 4, bytes, 0)), "EBADF", "after unmap");
    });
  }

  it("map, readFile, adviseFile and setSplitAreas refuse sizes and offsets that are not safe integers", () => {
    const bad = [Number.NaN, -1, 0.5, 2 ** 64, "0"];
    const target = new Uint8Array(16);
    for (const value of bad) {
      const label = `${typeof value} ${String(value)}`;
      assert.equal(errorName(native.map(fd, value as number, 4096, 0) as number), "EINVAL", `map offset ${label}`);
      assert.equal(errorName(native.map(fd, 0, value as number, 0) as number), "EINVAL", `map length ${label}`);
      assert.equal(errorName(native.readFile(fd, value as number, 4, target, 0)), "EINVAL", `readFile position ${label}`);
      assert.equal(errorName(native.adviseFile(fd, value as number, 0, 0)), "EINVAL", `adviseFile offset ${label}`);
      assert.equal(errorName(native.adviseFile(fd, 0, value as number, 0)), "EINVAL", `adviseFile length ${label}`);
      assert.equal(errorName(native.setSplitAreas(segment, value as number)), "EINVAL", `setSplitAreas ${label}`);
    }
    assert.equal(native.readFile(fd, 0, 4, target, 0), 4);
    assert.deepEqual([...target.subarray(0, 4)], [0x61, 0x61, 0x61, 0x61]);
  });

  it("openBeneath refuses paths that are not strings or hold a NUL byte (which would end the path early)", () => {
    const base = temp.dir;
    for (const [args, label] of [
      [[base, "data\0/../../x", 0], "NUL in the relative path"],
      [[`${base}\0`, "data", 0], "NUL in the base"],
      [[base, 7, 0], "a number as the path"],
      [[undefined, "data", 0], "no base"],
      [[base, "data", "0"], "flags as a string"],
      [[base, "data"], "too few arguments"],
    ] as Array<[unknown[], string]>) {
      assert.equal(errorName((native.openBeneath as (...a: unknown[]) => number)(...args)), "EINVAL", label);
    }
  });
});

describeOnLinux("hardening: openBeneath keeps every walk inside its folder (openat2 RESOLVE_BENEATH)", "openat2 (Linux 5.6)", () => {
  let temp: ReturnType<typeof tempDir>;
  let base: string;
  const opened: number[] = [];
  const openIn = (folder: string, relative: string, flags = fs.constants.O_RDONLY) => {
    const status = native.openBeneath(folder, relative, flags);
    if (status >= 0) opened.push(status);
    return status;
  };
  const open = (relative: string, flags = fs.constants.O_RDONLY) => openIn(base, relative, flags);
  const outcome = (status: number) => (status < 0 ? getSystemErrorName(status) : "fd");
  beforeEach(function () {
    temp = tempDir("beneath");
    base = path.join(fs.realpathSync(temp.dir), "base"); // as a grant's folder is: no link on its path
    fs.mkdirSync(path.join(base, "sub"), { recursive: true });
    fs.writeFileSync(path.join(base, "sub", "in.txt"), "inside");
    fs.writeFileSync(temp.file("secret"), "secret");
    fs.symlinkSync("sub/in.txt", path.join(base, "relative-in"));
    fs.symlinkSync("../secret", path.join(base, "relative-out"));
    fs.symlinkSync(temp.file("secret"), path.join(base, "absolute-out"));
    fs.symlinkSync(path.join(base, "sub", "in.txt"), path.join(base, "absolute-in"));
    const probe = outcome(open("sub/in.txt"));
    if (probe === "ENOSYS" || probe === "EPERM") missingPrerequisite(this, `openat2 is not available here (${probe})`);
  });
  afterEach(() => {
    for (const fd of opened.splice(0)) fs.closeSync(fd);
    temp.remove();
  });

  it("opens what lies inside, through relative links too, and the descriptor is that file", () => {
    for (const relative of ["sub/in.txt", "relative-in", "sub/../sub/in.txt"]) {
      const fd = open(relative);
      assert.equal(outcome(fd), "fd", relative);
      assert.equal(fs.readFileSync(fd, "utf8"), "inside", relative);
    }
  });

  it("refuses every way out with EXDEV, also absolute links that point back inside (the caller walks those itself)", () => {
    for (const relative of ["../secret", "sub/../../secret", "relative-out", "absolute-out", "absolute-in", "/etc/hostname"]) {
      assert.equal(outcome(open(relative)), "EXDEV", relative);
    }
  });

  it("never follows /proc's links to open files (RESOLVE_NO_MAGICLINKS: ELOOP)", () => {
    const fd = fs.openSync(temp.file("secret"), "r");
    try {
      assert.equal(outcome(openIn(`/proc/${process.pid}`, `fd/${fd}`)), "ELOOP");
    } finally {
      fs.closeSync(fd);
    }
  });

  it("never walks from a folder whose own path now leads through a link (it was swapped): EXDEV", () => {
    fs.renameSync(base, temp.file("moved"));
    fs.mkdirSync(temp.file("other"));
    fs.writeFileSync(temp.file("other/in.txt"), "other");
    fs.symlinkSync(temp.file("other"), base);
    assert.equal(outcome(open("in.txt")), "EXDEV", "a link in the folder's place");
    const linkedParent = temp.file("linked");
    fs.symlinkSync(temp.dir, linkedParent);
    assert.equal(outcome(openIn(path.join(linkedParent, "moved"), "sub/in.txt")), "EXDEV", "a link further up");
    fs.unlinkSync(base);
    fs.renameSync(temp.file("other"), base);
    const fd = open("in.txt");
    assert.equal(outcome(fd), "fd", "another folder at the path (no link) is the path's folder");
    assert.equal(fs.readFileSync(fd, "utf8"), "other");
  });

  it("creates inside, never through a link in the last place, and never outside", () => {
    const create = fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW;
    assert.equal(outcome(open("sub/new.bin", create)), "fd");
    assert.equal(fs.existsSync(path.join(base, "sub", "new.bin")), true);
    assert.equal(outcome(open("relative-in", create)), "ELOOP", "a link in the last place");
    assert.equal(outcome(open("../made-outside", create)), "EXDEV");
    assert.equal(outcome(open("missing/x", create)), "ENOENT");
    assert.deepEqual(fs.readdirSync(temp.dir).sort(), ["base", "secret"], "nothing was made outside");
  });
});
