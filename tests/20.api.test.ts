// The host API: behaviour visible in the file and in the mapping.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { MemoryMappedFile, MmapAdvice, MmapError, createMmap, pageSize } from "../build/lib/index.js";
import { native } from "../build/lib/native.js";
import { expectCode, suiteTempDir } from "./helpers.js";

describe("api: advise on each mode, at the range edges, unaligned, and refused", () => {
  const temp = suiteTempDir("advise");

  it("Sequential over a new 4096-byte rw mapping", () => {
    const file = MemoryMappedFile.createRw(temp.file("a"), 4096);
    assert.equal(pageSize() > 0 && 0 % pageSize(), 0);
    file.advise(0, file.length, MmapAdvice.Sequential);
    assert.equal(file.mode, "rw");
    file.close();
  });

  it("on one file: Sequential on rw, Random on ro, WillNeed on cow", () => {
    const path = temp.file("modes");
    const rw = createMmap(path, 4096);
    rw.advise(0, 4096, MmapAdvice.Sequential);
    rw.close();
    const ro = MemoryMappedFile.openRo(path);
    ro.advise(0, 4096, MmapAdvice.Random);
    ro.close();
    const cow = MemoryMappedFile.openCow(path);
    cow.advise(0, 4096, MmapAdvice.WillNeed);
    cow.close();
  });

  it("length 0 is a no-op, even at an offset past the end", () => {
    const file = MemoryMappedFile.createRw(temp.file("z"), 4096);
    file.advise(0, 0, MmapAdvice.WillNeed);
    file.advise(1e6, 0, MmapAdvice.DontNeed);
    file.close();
  });

  it("a range past the end is ERR_MMAP_OUT_OF_BOUNDS", () => {
    const file = MemoryMappedFile.createRw(temp.file("oob"), 4096);
    expectCode(() => file.advise(4000, 200, MmapAdvice.Normal), "ERR_MMAP_OUT_OF_BOUNDS");
    expectCode(() => file.advise(4097, 1, MmapAdvice.Normal), "ERR_MMAP_OUT_OF_BOUNDS");
    expectCode(() => file.advise(1n, 2n ** 64n - 1n, MmapAdvice.Normal), "ERR_MMAP_OUT_OF_BOUNDS");
    file.close();
  });

  it("needs no alignment: advise(1, 10, …) succeeds for every advice", () => {
    const file = MemoryMappedFile.createRw(temp.file("unaligned"), 3 * 4096 + 7);
    for (const advice of Object.values(MmapAdvice)) file.advise(1, 10, advice);
    file.advise(4095, 4096 + 2, MmapAdvice.WillNeed);
    file.advise(3 * 4096 + 1, 6, MmapAdvice.Random);
    file.close();
  });

  it("refuses bad advice and bad operands with ERR_MMAP_INVALID_ARGUMENT", () => {
    const file = MemoryMappedFile.createRw(temp.file("bad"), 4096);
    for (const advice of [6, -1, 1.5, Number.NaN, "3", undefined]) {
      expectCode(() => file.advise(0, 1, advice as never), "ERR_MMAP_INVALID_ARGUMENT");
    }
    for (const value of [-1, 0.5, Number.NaN, 2 ** 53, "0", null, -1n, 2n ** 64n]) {
      expectCode(() => file.advise(value as never, 1, MmapAdvice.Normal), "ERR_MMAP_INVALID_ARGUMENT");
      expectCode(() => file.read(0, value as never), "ERR_MMAP_INVALID_ARGUMENT");
    }
    file.close();
  });
});

describe("api: reading and writing", () => {
  const temp = suiteTempDir("rw");

  it("rw write + flush puts the bytes in the file", () => {
    const path = temp.file("w");
    const file = MemoryMappedFile.createRw(path, 10_000);
    file.write(4090, Buffer.from("across a page boundary"));
    file.flush();
    assert.equal(fs.readFileSync(path).subarray(4090, 4112).toString(), "across a page boundary");
    assert.deepEqual(Buffer.from(file.read(4090, 6)), Buffer.from("across"));
    file.close();
  });

  it("read copies, view does not, readInto fills what fits", () => {
    const path = temp.file("r");
    fs.writeFileSync(path, Buffer.from("0123456789"));
    const file = MemoryMappedFile.openRw(path);
    const copy = file.read(2, 3);
    const view = file.view(2, 3);
    file.write(2, Buffer.from("X"));
    assert.equal(Buffer.from(copy).toString(), "234");
    assert.equal(Buffer.from(view).toString(), "X34");
    const target = new Uint8Array(4);
    assert.equal(file.readInto(8, target), 2);
    assert.equal(Buffer.from(target.subarray(0, 2)).toString(), "89");
    assert.equal(file.readInto(10, target), 0);
    // An empty target has no memory at all; found by the model test under UBSan.
    assert.equal(file.readInto(3, new Uint8Array(0)), 0);
    expectCode(() => file.readInto(11, target), "ERR_MMAP_OUT_OF_BOUNDS");
    expectCode(() => file.readInto(0, [1, 2] as never), "ERR_MMAP_INVALID_ARGUMENT");
    expectCode(() => file.readInto(undefined as never, target), "ERR_MMAP_INVALID_ARGUMENT"); // found by the model test
    expectCode(() => file.write(0, "text" as never), "ERR_MMAP_INVALID_ARGUMENT");
    expectCode(() => file.write(9, Buffer.from("ab")), "ERR_MMAP_OUT_OF_BOUNDS");
    file.close();
  });

  it("chunks are zero-copy views, in order, covering the file", () => {
    const path = temp.file("c");
    const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
    fs.writeFileSync(path, data);
    const file = MemoryMappedFile.openRo(path);
    const chunks = [...file.chunks(4096)];
    assert.deepEqual(chunks.map((chunk) => chunk.length), [4096, 4096, 1808]);
    assert.ok(Buffer.concat(chunks).equals(data));
    expectCode(() => file.chunks(0), "ERR_MMAP_INVALID_ARGUMENT");
    file.close();
  });

  it("cow writes stay private and never reach the file", () => {
    const path = temp.file("cow");
    fs.writeFileSync(path, Buffer.alloc(8192, 1));
    const cow = MemoryMappedFile.openCow(path);
    cow.write(0, Buffer.alloc(8192, 2));
    cow.view()[100] = 3;
    cow.flush(); // nothing to write for cow
    assert.equal(cow.read(100, 1)[0], 3);
    cow.close();
    assert.ok(fs.readFileSync(path).equals(Buffer.alloc(8192, 1)));
  });

  it("ro refuses write(); a write through a view neither crashes nor changes the file", () => {
    const path = temp.file("ro");
    fs.writeFileSync(path, Buffer.alloc(4096, 7));
    const ro = MemoryMappedFile.openRo(path);
    expectCode(() => ro.write(0, Buffer.from([1])), "ERR_MMAP_INVALID_MODE");
    expectCode(() => ro.resize(10), "ERR_MMAP_INVALID_MODE");
    ro.view().fill(9);
    ro.flush();
    ro.close();
    assert.ok(fs.readFileSync(path).equals(Buffer.alloc(4096, 7)));
  });
});

// Electron's V8 memory cage refuses buffers over memory it did not allocate; the addon
// takes that path on demand here.
describe("api: a runtime that refuses external buffers", () => {
  const temp = suiteTempDir("cage");
  beforeEach(() => native.refuseExternalBuffers(true));
  afterEach(() => native.refuseExternalBuffers(false));

  it("opening, copying and flushing work; view() and chunks() throw ERR_MMAP_NO_EXTERNAL_BUFFERS", () => {
    const path = temp.file("caged");
    const file = MemoryMappedFile.createRw(path, 8192);
    file.write(4000, Buffer.from("across a page"));
    file.flush();
    assert.equal(Buffer.from(file.read(4000, 13)).toString(), "across a page");
    const target = new Uint8Array(13);
    assert.equal(file.readInto(4000, target), 13);
    assert.equal(Buffer.from(target).toString(), "across a page");
    expectCode(() => file.view(), "ERR_MMAP_NO_EXTERNAL_BUFFERS");
    expectCode(() => file.view(0, 1), "ERR_MMAP_NO_EXTERNAL_BUFFERS");
    expectCode(() => [...file.chunks(4096)], "ERR_MMAP_NO_EXTERNAL_BUFFERS");
    assert.equal(file.residency().totalPages, 8192 / pageSize());
    file.close();
    assert.equal(fs.readFileSync(path).subarray(4000, 4013).toString(), "across a page");
  });
});

describe("api: lifecycle", () => {
  const temp = suiteTempDir("life");

  it("after close() views have length 0, every method is ERR_MMAP_CLOSED, close() again is harmless", async () => {
    const file = MemoryMappedFile.createRw(temp.file("c"), 8192);
    const views = [file.view(), file.view(100, 10), ...file.chunks(4096)];
    file.close();
    for (const view of views) assert.equal(view.length, 0);
    assert.equal(file.length, 0);
    assert.ok(file.closed);
    const calls: Array<() => unknown> = [
      () => file.advise(0, 1, MmapAdvice.Normal), () => file.read(0, 1), () => file.readInto(0, new Uint8Array(1)),
      () => file.write(0, new Uint8Array(1)), () => file.view(), () => file.chunks(10), () => file.flush(),
      () => file.flushRange(0, 1), () => file.resize(10), () => file.residency(), () => file.lock(), () => file.unlock(),
    ];
    for (const call of calls) expectCode(call, "ERR_MMAP_CLOSED");
    await assert.rejects(file.flushAsync(), (error: MmapError) => error.code === "ERR_MMAP_CLOSED");
    file.close();
    file[Symbol.dispose]();
  });

  it("using-style disposal closes the mapping", () => {
    const file = MemoryMappedFile.createRw(temp.file("d"), 4096);
    const view = file.view();
    file[Symbol.dispose]();
    assert.equal(view.length, 0);
  });

  it("resize: old views get length 0; file and mapping have the new length", () => {
    const path = temp.file("r");
    const file = MemoryMappedFile.createRw(path, 4096);
    file.write(0, Buffer.from("keep"));
    const old = file.view();
    file.resize(3 * 4096 + 5);
    assert.equal(old.length, 0);
    assert.equal(file.length, 3 * 4096 + 5);
    assert.equal(fs.statSync(path).size, 3 * 4096 + 5);
    assert.equal(file.view().length, 3 * 4096 + 5);
    file.write(3 * 4096, Buffer.from("tail!"));
    file.resize(100);
    assert.equal(fs.statSync(path).size, 100);
    expectCode(() => file.read(100, 1), "ERR_MMAP_OUT_OF_BOUNDS");
    file.flush();
    assert.equal(fs.readFileSync(path).subarray(0, 4).toString(), "keep");
    file.resize(0);
    assert.equal(file.length, 0);
    assert.equal(file.view().length, 0);
    file.close();
    expectCode(() => MemoryMappedFile.openCow(path).resize(1), "ERR_MMAP_INVALID_MODE");
  });

  it("a zero-length file opens with length 0", () => {
    const path = temp.file("empty");
    fs.writeFileSync(path, "");
    for (const file of [MemoryMappedFile.openRo(path), MemoryMappedFile.openRw(path), MemoryMappedFile.openCow(path)]) {
      assert.equal(file.length, 0);
      assert.equal(file.view().length, 0);
      assert.equal(file.read(0, 0).length, 0);
      assert.deepEqual([...file.chunks(10)], []);
      assert.deepEqual(file.residency(), { residentPages: 0, totalPages: 0, pageSize: pageSize() });
      file.flush();
      file.close();
    }
  });

  it("openOrCreate maps an existing file or creates one; createRw truncates", () => {
    const path = temp.file("oc");
    const created = MemoryMappedFile.openOrCreate(path, 1000);
    assert.equal(created.length, 1000);
    created.write(0, Buffer.from("x"));
    created.close();
    const existing = MemoryMappedFile.openOrCreate(path, 5);
    assert.equal(existing.length, 1000);
    assert.equal(existing.read(0, 1)[0], "x".charCodeAt(0));
    existing.close();
    const truncated = MemoryMappedFile.createRw(path, 10);
    assert.equal(truncated.length, 10);
    assert.equal(truncated.read(0, 1)[0], 0);
    truncated.close();
  });

  it("OS failures carry the errno name, errno, syscall and path like fs errors", () => {
    const missing = temp.file("missing");
    const error = expectCode(() => MemoryMappedFile.openRo(missing), "ENOENT");
    assert.equal(error.errno, -2);
    assert.equal(error.syscall, "open");
    assert.equal(error.path, missing);
    const dir = expectCode(() => MemoryMappedFile.openRo(temp.dir), "EISDIR");
    assert.equal(dir.path, temp.dir);
    expectCode(() => MemoryMappedFile.openRw(temp.dir), "EISDIR");
    expectCode(() => MemoryMappedFile.openRo(""), "ERR_MMAP_INVALID_ARGUMENT");
    expectCode(() => MemoryMappedFile.createRw(temp.file("neg"), -1), "ERR_MMAP_INVALID_ARGUMENT");
    assert.equal(fs.existsSync(temp.file("neg")), false, "a refused createRw creates nothing");
  });
});
