// The core (build/core.wasm), tested through the compiled WebAssembly.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ACTION_NONE, Mode, Op, Optional, Platform, SEGMENT_SIZE, Status, checked, coreExports as core, prepareRange, prepareSize,
} from "../build/lib/core.js";
import { MmapAdvice } from "../build/lib/index.js";
import { suiteTempDir } from "./helpers.js";

const U64_MAX = 2n ** 64n - 1n;
const PAGE = 4096n;
const u64 = (value: bigint) => BigInt.asUintN(64, value);
const action = (name: string) => (core[name] as WebAssembly.Global).value as number;

describe("core: sliceRange (u64, subtraction form)", () => {
  const cases: Array<[bigint, bigint, bigint, number, string]> = [
    [0n, 0n, 0n, Status.proceed, "empty range of an empty mapping"],
    [0n, 1n, 0n, Status.outOfBounds, "one byte of an empty mapping"],
    [1n, 0n, 0n, Status.outOfBounds, "offset past the end, even with length 0"],
    [0n, PAGE - 1n, PAGE - 1n, Status.proceed, "whole mapping of page - 1 bytes"],
    [PAGE - 2n, 1n, PAGE - 1n, Status.proceed, "last byte of page - 1"],
    [PAGE - 1n, 1n, PAGE - 1n, Status.outOfBounds, "one past page - 1"],
    [PAGE - 1n, 0n, PAGE - 1n, Status.proceed, "empty range at the end"],
    [2n ** 53n - 1n, 1n, 2n ** 53n, Status.proceed, "last byte below 2^53"],
    [2n ** 53n, 1n, 2n ** 53n, Status.outOfBounds, "first byte at 2^53"],
    [2n ** 53n + 1n, 0n, 2n ** 53n, Status.outOfBounds, "offset just above 2^53"],
    [U64_MAX, 0n, U64_MAX, Status.proceed, "empty range at 2^64 - 1"],
    [U64_MAX - 1n, 1n, U64_MAX, Status.proceed, "last byte of a 2^64 - 1 mapping"],
    [U64_MAX, 1n, U64_MAX, Status.outOfBounds, "offset + len = 2^64 overflows to 0"],
    [1n, U64_MAX, U64_MAX, Status.outOfBounds, "len 2^64 - 1 from offset 1 overflows"],
    [1n, U64_MAX, 10n, Status.outOfBounds, "overflow that wraps below a small total"],
    [2n ** 63n, 2n ** 63n, U64_MAX, Status.outOfBounds, "2^63 + 2^63 overflows to 0"],
    [2n ** 63n, 2n ** 63n - 1n, U64_MAX, Status.proceed, "2^63 + 2^63 - 1 is exactly 2^64 - 1"],
    [U64_MAX, U64_MAX, U64_MAX, Status.outOfBounds, "both operands at 2^64 - 1"],
    [0n, U64_MAX, U64_MAX, Status.proceed, "whole 2^64 - 1 mapping"],
  ];
  for (const [offset, len, total, expected, why] of cases) {
    it(`${why}: (${offset}, ${len}, ${total})`, () => {
      assert.equal(core.sliceRange(offset, len, total), expected);
    });
  }
});

describe("core: page alignment", () => {
  it("aligns the start down and the end up, clamped to the mapping", () => {
    assert.equal(u64(core.alignDown(0n, PAGE)), 0n);
    assert.equal(u64(core.alignDown(PAGE - 1n, PAGE)), 0n);
    assert.equal(u64(core.alignDown(PAGE + 1n, PAGE)), PAGE);
    assert.equal(u64(core.alignDown(2n ** 53n + 5n, PAGE)), 2n ** 53n);
    assert.equal(u64(core.alignUp(11n, PAGE, 4096n)), PAGE);
    assert.equal(u64(core.alignUp(PAGE + 1n, PAGE, 3n * PAGE)), 2n * PAGE);
    assert.equal(u64(core.alignUp(10_000n, PAGE, 10_000n)), 3n * PAGE);
  });

  it("prepareRange gives a page-aligned cover of an unaligned range", () => {
    assert.equal(prepareRange(Op.advise, Mode.rw, 1, 10, 8192, 4096), Status.proceed);
    assert.deepEqual([checked.start(), checked.count(), checked.alignedStart(), checked.alignedEnd()], [1, 10, 0, 4096]);
    assert.equal(prepareRange(Op.advise, Mode.rw, 4095, 2, 8192, 4096), Status.proceed);
    assert.deepEqual([checked.alignedStart(), checked.alignedEnd()], [0, 8192]);
    assert.equal(prepareRange(Op.advise, Mode.ro, 5000, 100, 5100, 4096), Status.proceed);
    assert.deepEqual([checked.alignedStart(), checked.alignedEnd()], [4096, 8192]);
  });
});

describe("core: operands from JavaScript", () => {
  it("accepts non-negative safe integers and u64 bigints", () => {
    for (const value of [0, 1, 4095, Number.MAX_SAFE_INTEGER]) assert.equal(core.isOperandNumber(value), 1, String(value));
    assert.equal(prepareRange(Op.read, Mode.ro, 0n, 10n, 10, 4096), Status.proceed);
    assert.equal(prepareRange(Op.read, Mode.ro, U64_MAX, 1n, 10, 4096), Status.outOfBounds);
  });

  it("refuses everything else as INVALID_ARGUMENT", () => {
    const bad: unknown[] = [-1, 0.5, Number.NaN, Infinity, -Infinity, 2 ** 53, 1e300, "1", null, {}, [], -1n, 2n ** 64n, true];
    for (const value of bad) {
      assert.equal(prepareRange(Op.read, Mode.ro, value, 1, 10, 4096), Status.invalidArgument, `offset ${String(value)}`);
      assert.equal(prepareRange(Op.read, Mode.ro, 0, value, 10, 4096), Status.invalidArgument, `length ${String(value)}`);
    }
    assert.equal(prepareRange(Op.read, Mode.ro, undefined, 1, 10, 4096), Status.invalidArgument, "required offset left out");
  });

  it("treats absent optional operands as 'from 0' and 'to the end'", () => {
    assert.equal(prepareRange(Op.view, Mode.ro, undefined, undefined, 10, 4096, Optional.both), Status.proceed);
    assert.deepEqual([checked.start(), checked.count()], [0, 10]);
    assert.equal(prepareRange(Op.view, Mode.ro, 4, undefined, 10, 4096, Optional.both), Status.proceed);
    assert.deepEqual([checked.start(), checked.count()], [4, 6]);
    assert.equal(prepareRange(Op.view, Mode.ro, 11, undefined, 10, 4096, Optional.both), Status.outOfBounds);
  });

  it("makes a zero length a no-op, before the bounds check", () => {
    assert.equal(prepareRange(Op.advise, Mode.rw, 0, 0, 4096, 4096), Status.nothingToDo);
    assert.equal(prepareRange(Op.advise, Mode.rw, 1e9, 0, 4096, 4096), Status.nothingToDo);
  });

  it("checks sizes: safe integers only, chunks at least one byte", () => {
    assert.equal(prepareSize(Op.resize, Mode.rw, 2 ** 40), Status.proceed);
    assert.equal(checked.count(), 2 ** 40);
    assert.equal(prepareSize(Op.resize, Mode.rw, 2n ** 53n), Status.invalidArgument);
    assert.equal(prepareSize(Op.resize, Mode.rw, -1), Status.invalidArgument);
    assert.equal(prepareSize(Op.chunks, Mode.ro, 0), Status.invalidArgument);
    assert.equal(prepareSize(Op.resize, Mode.ro, 10), Status.invalidMode);
    assert.equal(prepareSize(Op.resize, Mode.closed, 10), Status.closed);
  });
});

describe("core: mode rules", () => {
  const ops = Object.entries(Op);
  const expected: Record<string, Record<string, number>> = {
    ro: { write: Status.invalidMode, resize: Status.invalidMode, flush: Status.nothingToDo },
    cow: { resize: Status.invalidMode, flush: Status.nothingToDo },
    rw: {},
  };
  for (const [modeName, refusals] of Object.entries(expected)) {
    it(`${modeName}: ${JSON.stringify(refusals)}, everything else proceeds`, () => {
      for (const [opName, op] of ops) {
        const want = refusals[opName] ?? Status.proceed;
        assert.equal(core.modeAllows(Mode[modeName as "ro"], op), want, `${modeName} ${opName}`);
      }
    });
  }

  it("a closed mapping refuses everything with CLOSED, before looking at operands", () => {
    for (const [, op] of ops) assert.equal(core.modeAllows(Mode.closed, op), Status.closed);
    assert.equal(prepareRange(Op.read, Mode.closed, "garbage", -1, 10, 4096), Status.closed);
    assert.equal(core.adviceAction(Platform.linux, 0, Mode.closed, 0), Status.closed);
  });
});

describe("core: advice → action tables", () => {
  const A = {
    none: ACTION_NONE, normal: action("ACTION_MADV_NORMAL"), sequential: action("ACTION_MADV_SEQUENTIAL"),
    random: action("ACTION_MADV_RANDOM"), willneed: action("ACTION_MADV_WILLNEED"),
    dontneed: action("ACTION_MADV_DONTNEED"), prefetch: action("ACTION_PREFETCH_VIRTUAL_MEMORY"),
  };
  const portable = {
    [MmapAdvice.Normal]: A.normal, [MmapAdvice.Sequential]: A.sequential, [MmapAdvice.Random]: A.random,
    [MmapAdvice.WillNeed]: A.willneed, [MmapAdvice.DontNeed]: A.dontneed, [MmapAdvice.NoReuse]: A.none,
  };
  const extras = [MmapAdvice.HugePage, MmapAdvice.NoHugePage, MmapAdvice.Cold, MmapAdvice.PageOut, MmapAdvice.PopulateRead];

  it("linux: madvise for all, including the Linux-only values", () => {
    for (const [advice, want] of Object.entries(portable)) assert.equal(core.platformAction(Platform.linux, Number(advice)), want);
    const seen = new Set(extras.map((advice) => core.platformAction(Platform.linux, advice)));
    assert.equal(seen.size, extras.length, "each Linux-only advice has its own action");
    assert.ok(!seen.has(A.none));
  });

  for (const platform of ["darwin", "freebsd"] as const) {
    it(`${platform}: madvise for the portable five, no-ops for the rest`, () => {
      for (const [advice, want] of Object.entries(portable)) assert.equal(core.platformAction(Platform[platform], Number(advice)), want);
      for (const advice of extras) assert.equal(core.platformAction(Platform[platform], advice), A.none);
    });
  }

  it("win32: WillNeed → PrefetchVirtualMemory, everything else a no-op", () => {
    for (const advice of Object.values(MmapAdvice)) {
      assert.equal(core.platformAction(Platform.win32, advice), advice === MmapAdvice.WillNeed ? A.prefetch : A.none);
    }
  });

  it("other platforms: every advice is a no-op", () => {
    for (const advice of Object.values(MmapAdvice)) assert.equal(core.platformAction(Platform.other, advice), A.none);
  });

  it("refuses unknown advice and DontNeed on cow unless allowed", () => {
    for (const advice of [-1, 6, 15, 21, 255, 1.5, Number.NaN, 1e10]) {
      assert.equal(core.adviceAction(Platform.linux, advice, Mode.rw, 0), Status.invalidArgument, String(advice));
    }
    assert.equal(core.planAdvice(Platform.linux, MmapAdvice.DontNeed, Mode.cow, 0), Status.discardsPrivateWrites);
    assert.equal(core.planAdvice(Platform.win32, MmapAdvice.DontNeed, Mode.cow, 0), Status.discardsPrivateWrites);
    assert.equal(core.planAdvice(Platform.linux, MmapAdvice.DontNeed, Mode.cow, 1), A.dontneed);
    assert.equal(core.planAdvice(Platform.linux, MmapAdvice.DontNeed, Mode.ro, 0), A.dontneed);
    assert.equal(core.planAdvice(Platform.linux, MmapAdvice.DontNeed, Mode.rw, 0), A.dontneed);
  });
});

describe("core: the chunk plan for WillNeed", () => {
  const walk = (start: number, end: number, maxPiece: number) => {
    const pieces: number[] = [];
    for (let pos = start; pos < end; pos += pieces[pieces.length - 1]!) pieces.push(core.nextPiece(pos, end, maxPiece));
    return pieces;
  };

  it("splits a range into read-ahead-window chunks that cover it exactly", () => {
    const window = 8 * 2 ** 20;
    const chunk = core.actionPiece(action("ACTION_MADV_WILLNEED"), window, 4096);
    assert.equal(chunk, window);
    const pieces = walk(0, 64 * 2 ** 20, chunk);
    assert.equal(pieces.length, 8);
    assert.ok(pieces.every((piece) => piece === window));
    assert.deepEqual(walk(4096, 4096 + 3 * window + 4096, window), [window, window, window, 4096]);
  });

  it("uses a safe default window, whole pages, at least one page, at most a segment", () => {
    assert.equal(u64(core.prefetchChunk(0n, PAGE)), 128n * 1024n);
    assert.equal(u64(core.prefetchChunk(5000n, PAGE)), PAGE);
    assert.equal(u64(core.prefetchChunk(100n, PAGE)), PAGE);
    assert.equal(u64(core.prefetchChunk(2n ** 40n, PAGE)), BigInt(SEGMENT_SIZE));
    assert.equal(u64(core.actionChunk(action("ACTION_MADV_RANDOM"), 8n << 20n, PAGE)), 0n, "only WillNeed is chunked");
  });

  it("never crosses a segment boundary, and views may not either", () => {
    assert.equal(SEGMENT_SIZE, 2 ** 32);
    assert.deepEqual(walk(2 ** 32 - 4096, 2 ** 32 + 8192, 0), [4096, 8192]);
    assert.equal(u64(core.pieceLength(2n ** 32n - 1n, 2n ** 33n + 5n, 0n)), 1n);
    assert.equal(prepareRange(Op.view, Mode.ro, 2 ** 32 - 1, 2, 2 ** 33, 4096), Status.viewSpansSegments);
    assert.equal(prepareRange(Op.read, Mode.ro, 2 ** 32 - 1, 2, 2 ** 33, 4096), Status.proceed);
  });
});

describe("core: reproducible build", function () {
  this.timeout(120_000);
  const temp = suiteTempDir("core-build", "all");

  for (const [entry, target, built] of [["assembly/host.ts", "core", "core.wasm"], ["assembly/guest.ts", "guest", "guest.wasm"]]) {
    it(`${entry}: two builds give identical bytes, equal to build/${built}`, () => {
      const root = path.resolve(import.meta.dirname, "..");
      const asc = path.join(root, "node_modules", ".bin", "asc");
      const outputs = ["a.wasm", "b.wasm"].map((name) => {
        const out = temp.file(`${target}-${name}`);
        execFileSync(asc, [entry!, "--config", "asconfig.json", "--target", target!, "--outFile", out], { cwd: root, stdio: "pipe" });
        return fs.readFileSync(out);
      });
      assert.ok(outputs[0]!.length > 1000);
      assert.ok(outputs[0]!.equals(outputs[1]!), "the two builds differ");
      assert.ok(outputs[0]!.equals(fs.readFileSync(path.join(root, "build", built!))), `build/${built} is stale or differs`);
    });
  }
});
