// Limits: running into a limit of the system (RLIMIT_MEMLOCK, vm.max_map_count, the
// address space) or of a guest (maxHandles, maxMappedBytes) gives an error, never a dead
// process, and leaks nothing: the engine can still allocate, and mapping works again.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { MemoryMappedFile, MmapAdvice, MmapError } from "../build/lib/index.js";
import { MiB, describeOnLinux, expectCode, libraryUrl, mapsLineCount, missingPrerequisite, runModuleScript, suiteTempDir } from "./helpers.js";
import { E, startProbe } from "./probe.js";

describeOnLinux("limits: running out of a resource is an error, not a dead process", "/proc/self (maps, fd, status) and vm.max_map_count", function () {
  this.timeout(300_000);
  const temp = suiteTempDir("limits");

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

  it("worker threads share one mapping budget: scattered advice in three workers does not exhaust vm.max_map_count", () => {
    // Each thread used to count its own splits, so three workers together split past the
    // limit and V8 died ("Committing semi space failed").
    const file = temp.file("worker-splits");
    fs.writeFileSync(file, "");
    fs.truncateSync(file, 256 * MiB);
    const limit = Number(fs.readFileSync("/proc/sys/vm/max_map_count", "utf8"));
    const result = runModuleScript(`
      import { Worker } from "node:worker_threads";
      import * as fs from "node:fs";
      const { MemoryMappedFile, MmapAdvice } = await import(${JSON.stringify(libraryUrl)});
      const lines = () => fs.readFileSync("/proc/self/maps", "utf8").split("\\n").length - 1;
      const source = \`
        const { MemoryMappedFile, MmapAdvice } = await import(${JSON.stringify(libraryUrl)});
        const { parentPort, workerData } = await import("node:worker_threads");
        const mapping = MemoryMappedFile.openRo(${JSON.stringify(file)});
        // Every worker maps before any splits: a late one could not map at all.
        parentPort.postMessage("mapped");
        await new Promise((resolve) => parentPort.once("message", resolve));
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
      const message = (w) => new Promise((resolve, reject) => { w.once("message", resolve); w.once("error", reject); });
      await Promise.all(workers.map(message));
      for (const w of workers) w.postMessage("split");
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
});
