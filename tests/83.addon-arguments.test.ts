// The addon trusts the core's checks but still looks at every argument itself (a bug in
// the host must not become a wild pointer): these calls bypass the core.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { getSystemErrorName } from "node:util";
import { native } from "../build/lib/native.js";
import { tempDir } from "./helpers.js";

describe("addon arguments, on every platform: the addon refuses bad arguments from the host itself", () => {
  let temp: ReturnType<typeof tempDir>;
  let fd: number;
  let segment: number; // the region's id
  let view: ArrayBuffer;
  beforeEach(() => {
    temp = tempDir("addon");
    const file = temp.file("data");
    fs.writeFileSync(file, Buffer.alloc(8192, 0x61));
    fd = fs.openSync(file, "r+");
    segment = native.map(fd, 0, 8192, 1, {}); // rw
    assert.ok(segment >= 0, `map failed: ${segment}`);
    view = native.view(segment) as ArrayBuffer;
    assert.ok(view instanceof ArrayBuffer);
  });
  afterEach(() => {
    native.unmap(segment, view);
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
        [[segment + 1, 0, 4, bytes, 0], "EBADF"], // not a mapping
        [[segment ^ (1 << 20), 0, 4, bytes, 0], "EBADF"], // the same slot, another generation
        [[-1, 0, 4, bytes, 0], "EBADF"],
        [[0.5, 0, 4, bytes, 0], "EBADF"],
        [[view, 0, 4, bytes, 0], "EBADF"],
      ];
      for (const [args, expected] of cases) {
        assert.equal(errorName(call(...args)), expected, `${copy}(${args.map((a) => typeof a).join(", ")})`);
      }
      assert.deepEqual([...bytes], new Array(16).fill(0x7a), "the typed array was written");
      assert.deepEqual(new Uint8Array(view, 0, 8192).every((b) => b === 0x61), true, "the mapping was written");
      // Still usable afterwards, on a typed array at an offset into its buffer.
      const window = new Uint8Array(new ArrayBuffer(32), 8, 16);
      if (copy === "copyIn") window.fill(0x62);
      assert.equal(call(segment, 4096, 16, window, 0, "an extra argument is ignored"), 0);
      assert.equal(copy === "copyOut" ? window.every((b) => b === 0x61) : new Uint8Array(view, 4096, 16).every((b) => b === 0x62), true);
      native.unmap(segment, view);
      assert.equal(view.byteLength, 0, "unmap detached the view");
      assert.equal(errorName(call(segment, 0, 4, bytes, 0)), "EBADF", "after unmap");
    });
  }

  for (const wrong of [undefined, new ArrayBuffer(8192), {}, 7]) {
    it(`unmap(id, ${typeof wrong}) of a region with a live view leaves it mapped for that view`, () => {
      const bytes = new Uint8Array(view, 0, 4);
      const areas = native.areasInUse();
      assert.equal(native.unmap(segment, wrong as ArrayBuffer), 0);
      assert.deepEqual([...bytes], [0x61, 0x61, 0x61, 0x61], "the view still reads the mapping");
      assert.equal(native.areasInUse(), areas, "still mapped, still counted");
      assert.equal(errorName(native.copyOut(segment, 0, 4, new Uint8Array(4), 0)), "EBADF", "no call may use it");
      assert.equal(errorName(native.view(segment) as number), "EBADF");
      assert.equal(native.unmap(segment, view), 0, "a second unmap is harmless");
      assert.equal(bytes.length, 4, "and does not detach a view it gave up on");
    });
  }

  it("view and unmap refuse ids that name no region", () => {
    for (const id of [segment + 1, -1, 2 ** 31, Number.NaN, "0", undefined]) {
      assert.equal(errorName(native.view(id as number) as number), "EBADF", `view(${String(id)})`);
      assert.equal(errorName(native.unmap(id as number, undefined)), "EBADF", `unmap(${String(id)})`);
    }
  });

  it("guestBase, guestReserved and guestMap refuse what is not a WebAssembly.Memory", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    for (const wrong of [undefined, 7, {}, new ArrayBuffer(65536), new Uint8Array(16)]) {
      assert.equal(errorName(native.guestBase(wrong as WebAssembly.Memory)), "EINVAL", `guestBase(${String(wrong)})`);
      assert.equal(errorName(native.guestReserved(wrong as WebAssembly.Memory)), "EINVAL", `guestReserved(${String(wrong)})`);
      assert.equal(errorName(native.guestMap(wrong as WebAssembly.Memory, 0, 4096, fd, 0, false)), "EINVAL", `guestMap(${String(wrong)})`);
    }
    assert.ok([0, 1].includes(native.guestReserved(memory)), "a real memory gets an answer");
  });

  it("map, readFile, adviseFile and setSplitAreas refuse sizes and offsets that are not safe integers", () => {
    const bad = [Number.NaN, -1, 0.5, 2 ** 64, "0"];
    const target = new Uint8Array(16);
    for (const value of bad) {
      const label = `${typeof value} ${String(value)}`;
      assert.equal(errorName(native.map(fd, value as number, 4096, 0, {})), "EINVAL", `map offset ${label}`);
      assert.equal(errorName(native.map(fd, 0, value as number, 0, {})), "EINVAL", `map length ${label}`);
      assert.equal(errorName(native.readFile(fd, value as number, 4, target, 0)), "EINVAL", `readFile position ${label}`);
      assert.equal(errorName(native.adviseFile(fd, value as number, 0, 0)), "EINVAL", `adviseFile offset ${label}`);
      assert.equal(errorName(native.adviseFile(fd, 0, value as number, 0)), "EINVAL", `adviseFile length ${label}`);
      assert.equal(errorName(native.setSplitAreas(segment, value as number)), "EINVAL", `setSplitAreas ${label}`);
    }
    assert.equal(errorName(native.map(fd, 0, 4096, 0, undefined as unknown as object)), "EINVAL", "map without an owner");
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
