// Nothing lost, nothing crashed: a flushed byte survives SIGKILL, and a view whose buffer
// was transferred or a worker ended in the middle of a flush leaves the process healthy.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { describeOnLinux, libraryUrl, runModuleScript, suiteTempDir } from "./helpers.js";

describeOnLinux("durability: a flushed byte survives SIGKILL of the process", "SIGKILL of a child process", function () {
  this.timeout(300_000);
  const temp = suiteTempDir("durability");

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

describeOnLinux("teardown: a transferred view and a worker ended mid-flush stay safe", "the addon's POSIX build in a child process", function () {
  this.timeout(300_000);
  const temp = suiteTempDir("teardown");

  it("a view buffer is never moved by a transfer (copied or refused): close() and GC stay safe", () => {
    const file = temp.file("transfer");
    fs.writeFileSync(file, Buffer.alloc(8192, 3));
    const result = runModuleScript(`
      import { MemoryMappedFile } from ${JSON.stringify(libraryUrl)};
      const mapping = MemoryMappedFile.openRw(${JSON.stringify(file)});
      const view = mapping.view();
      let moved;
      try {
        moved = new Uint8Array(structuredClone(view.buffer, { transfer: [view.buffer] }));
      } catch (error) {
        moved = error.name; // Node 22 and later refuse to transfer an external buffer
      }
      mapping.close();
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
      console.log(view.length, typeof moved === "string" ? moved : moved[5]);`);
    assert.equal(result.signal, null, result.stderr);
    assert.match(result.stdout, /^0 (3|DataCloneError)\n$/);
  });

  it("terminating a worker during flushAsync() does not abort the process", () => {
    const file = temp.file("worker-flush");
    const result = runModuleScript(`
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
});
