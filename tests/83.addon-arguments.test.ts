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
