// Model-based random testing: random sequences of calls, valid and invalid, against the
// real API and a plain reference model (tests/model/). Every result and every byte must
// equal the model's. Failing seeds are replayed from tests/model/regressions.json.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { MemoryMappedFile, MmapAdvice, MmapError } from "../build/lib/index.js";
import {
  type FileModel, type MappingModel, type Mode, type Outcome, PAGE, adviceOutcome, dropPages, operand, owesReport,
  rangeOutcome, resized, sizeOutcome, touch,
} from "./model/api-model.js";
import { modelTests, regressions, type Regression } from "./model/suite.js";
import { suiteTempDir } from "./helpers.js";

interface Real {
  dir: string;
  files: Map<string, FileModel>;
  handles: Array<{ real: MemoryMappedFile; model: MappingModel }>;
}
type Model = Record<string, never>;
type Command = fc.Command<Model, Real>;

const PATHS = ["a", "b", "c", "d"];
let calls = 0;

/** Runs `call` and checks it against the expected outcome; returns the value on success. */
function expectOutcome(call: () => unknown, expected: Outcome, what: string): unknown {
  calls++;
  let value: unknown;
  let error: unknown;
  try {
    value = call();
  } catch (caught) {
    error = caught;
  }
  if ("code" in expected) {
    assert.ok(error instanceof MmapError, `${what}: expected ${expected.code}, got ${error ? String(error) : "success"}`);
    assert.equal(error.code, expected.code, `${what}: ${error.message}`);
    return undefined;
  }
  if (error) assert.fail(`${what}: expected success, got ${String(error)}`);
  return value;
}

function pick<T>(list: T[], index: number): T | undefined {
  return list.length === 0 ? undefined : list[index % list.length];
}

const show = (value: unknown) => (typeof value === "bigint" ? `${value}n` : typeof value === "string" ? JSON.stringify(value) : String(value));

const TRUNCATED: Outcome = { code: "ERR_MMAP_TRUNCATED" };

/** The file's bytes on disk: all of them, or the part left by a truncation beneath its mapping. */
function onDisk(file: FileModel, mapping: MappingModel): Uint8Array {
  return mapping.shrunk ? file.bytes.subarray(0, mapping.shrunk.size) : file.bytes;
}

// Offsets and lengths: mostly plausible values, some at the edges, some invalid.
const operandArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 3 * PAGE + 100 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE, 3 * PAGE) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: BigInt(3 * PAGE) }) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(
    -1, -0.5, 0.5, Number.NaN, Infinity, -Infinity, 2 ** 53, 1e300, Number.MAX_SAFE_INTEGER, "1", null, undefined,
    -1n, 2n ** 64n, 2n ** 64n - 1n, 2n ** 63n, {}, true) },
);
const sizeArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 3 * PAGE + 100 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, 0.5, Number.NaN, 2 ** 53, 2n ** 60n, "10", undefined) },
);
const adviceArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom<unknown>(...Object.values(MmapAdvice)) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(6, -1, 1.5, Number.NaN, "3", undefined, 99) },
);
const modeArb = fc.constantFrom<Mode>("ro", "rw", "cow");

class Open implements Command {
  constructor(readonly file: string, readonly mode: Mode) {}
  check = () => true;
  run(_m: Model, r: Real): void {
    const model = r.files.get(this.file);
    if (model?.open) return; // the model keeps one open mapping per file
    const full = path.join(r.dir, this.file);
    const open = { ro: MemoryMappedFile.openRo, rw: MemoryMappedFile.openRw, cow: MemoryMappedFile.openCow }[this.mode];
    if (!model) {
      expectOutcome(() => open(full), { code: "ENOENT" }, this.toString());
      return;
    }
    const real = expectOutcome(() => open(full), { value: true }, this.toString()) as MemoryMappedFile;
    const mapping: MappingModel = { path: this.file, mode: this.mode, bytes: this.mode === "rw" ? model.bytes : model.bytes.slice(), closed: false };
    model.open = mapping;
    r.handles.push({ real, model: mapping });
  }
  toString = () => `open${this.mode}(${this.file})`;
}

class Create implements Command {
  constructor(readonly file: string, readonly size: unknown) {}
  check = () => true;
  run(_m: Model, r: Real): void {
    if (r.files.get(this.file)?.open) return;
    const expected = sizeOutcome(this.size);
    const real = expectOutcome(() => MemoryMappedFile.createRw(path.join(r.dir, this.file), this.size as number),
      "code" in expected ? expected : { value: true }, this.toString()) as MemoryMappedFile | undefined;
    if (!real || "code" in expected) return;
    const file: FileModel = { bytes: new Uint8Array(expected.size), open: undefined };
    const mapping: MappingModel = { path: this.file, mode: "rw", bytes: file.bytes, closed: false };
    file.open = mapping;
    r.files.set(this.file, file);
    r.handles.push({ real, model: mapping });
  }
  toString = () => `createRw(${this.file}, ${show(this.size)})`;
}

/** A command on one of the mappings made so far, open or closed. */
abstract class OnHandle implements Command {
  constructor(readonly handle: number) {}
  check = () => true;
  run(_m: Model, r: Real): void {
    const target = pick(r.handles, this.handle);
    if (target) this.apply(target.real, target.model, r);
  }
  abstract apply(real: MemoryMappedFile, model: MappingModel, r: Real): void;
}

class Close extends OnHandle {
  apply(real: MemoryMappedFile, model: MappingModel, r: Real): void {
    expectOutcome(() => real.close(), { value: undefined }, this.toString());
    if (model.closed) return;
    model.closed = true;
    const file = r.files.get(model.path)!;
    file.open = undefined;
    // What an rw mapping wrote is in the file; ro and cow never change it.
    file.bytes = onDisk(file, model).slice();
    assert.deepEqual(fs.readFileSync(path.join(r.dir, model.path)), Buffer.from(file.bytes), `${this}: file contents`);
  }
  toString = () => `close(#${this.handle})`;
}

class Read extends OnHandle {
  constructor(handle: number, readonly offset: unknown, readonly length: unknown) { super(handle); }
  apply(real: MemoryMappedFile, model: MappingModel): void {
    let expected: ReturnType<typeof rangeOutcome> = rangeOutcome(model, this.offset, this.length, "read");
    if (!("code" in expected) && (owesReport(model) || touch(model, expected.start, expected.count, true))) expected = TRUNCATED as { code: string };
    const value = expectOutcome(() => real.read(this.offset as number, this.length as number), "code" in expected ? expected : { value: 0 }, this.toString());
    if (!("code" in expected)) assert.deepEqual(value, model.bytes.slice(expected.start, expected.start + expected.count), this.toString());
  }
  toString = () => `read(#${this.handle}, ${show(this.offset)}, ${show(this.length)})`;
}

class ReadInto extends OnHandle {
  constructor(handle: number, readonly offset: unknown, readonly targetLength: number) { super(handle); }
  apply(real: MemoryMappedFile, model: MappingModel): void {
    const target = new Uint8Array(this.targetLength).fill(0xee);
    let expected: Outcome;
    let count = 0;
    const start = operand(this.offset);
    if (model.closed) expected = { code: "ERR_MMAP_CLOSED" };
    else if (start === undefined) expected = { code: "ERR_MMAP_INVALID_ARGUMENT" };
    else if (start > BigInt(model.bytes.length)) expected = { code: "ERR_MMAP_OUT_OF_BOUNDS" };
    else if (owesReport(model)) expected = TRUNCATED;
    else {
      count = Math.min(this.targetLength, model.bytes.length - Number(start));
      expected = touch(model, Number(start), count, true) ? TRUNCATED : { value: count };
    }
    const value = expectOutcome(() => real.readInto(this.offset as number, target), expected, this.toString());
    if (!("code" in expected)) {
      assert.equal(value, count, this.toString());
      const want = new Uint8Array(this.targetLength).fill(0xee);
      want.set(model.bytes.subarray(Number(start), Number(start) + count));
      assert.deepEqual(target, want, this.toString());
    }
  }
  toString = () => `readInto(#${this.handle}, ${show(this.offset)}, [${this.targetLength}])`;
}

class Write extends OnHandle {
  constructor(handle: number, readonly offset: unknown, readonly data: Uint8Array) { super(handle); }
  apply(real: MemoryMappedFile, model: MappingModel): void {
    const range = rangeOutcome(model, this.offset, this.data.length, "write");
    let expected: Outcome = "code" in range ? range : { value: undefined };
    if (!("code" in range)) {
      if (owesReport(model)) expected = TRUNCATED;
      else {
        // The copy runs to its end: past the new size it writes into zero pages of this process.
        if (touch(model, range.start, range.count, true)) expected = TRUNCATED;
        model.bytes.set(this.data, range.start);
      }
    }
    expectOutcome(() => real.write(this.offset as number, this.data), expected, this.toString());
  }
  toString = () => `write(#${this.handle}, ${show(this.offset)}, [${this.data.length}])`;
}

class Advise extends OnHandle {
  constructor(handle: number, readonly offset: unknown, readonly length: unknown, readonly advice: unknown, readonly allowDiscard: boolean) { super(handle); }
  apply(real: MemoryMappedFile, model: MappingModel, r: Real): void {
    // Populating pages a truncation took away is the kernel's error, not one this model knows.
    if (model.shrunk && this.advice === MmapAdvice.PopulateRead) return;
    const range = rangeOutcome(model, this.offset, this.length, "advise");
    const expected = "code" in range ? range : owesReport(model) ? TRUNCATED : adviceOutcome(model, this.advice, this.allowDiscard);
    expectOutcome(() => real.advise(this.offset as number, this.length as number, this.advice as 0, { allowDiscard: this.allowDiscard }),
      expected ?? { value: undefined }, this.toString());
    if (!expected && !("code" in range) && this.advice === MmapAdvice.DontNeed) {
      dropPages(model, r.files.get(model.path)!, range.start, range.count);
    }
  }
  toString = () => `advise(#${this.handle}, ${show(this.offset)}, ${show(this.length)}, ${show(this.advice)}, ${this.allowDiscard})`;
}

class Flush extends OnHandle {
  constructor(handle: number, readonly offset: unknown, readonly length: unknown) { super(handle); }
  apply(real: MemoryMappedFile, model: MappingModel): void {
    const range = rangeOutcome(model, this.offset, this.length, "flush");
    const expected = "code" in range ? range : owesReport(model) ? TRUNCATED : range;
    expectOutcome(() => real.flushRange(this.offset as number, this.length as number), "code" in expected ? expected : { value: undefined }, this.toString());
  }
  toString = () => `flushRange(#${this.handle}, ${show(this.offset)}, ${show(this.length)})`;
}

class Resize extends OnHandle {
  constructor(handle: number, readonly size: unknown) { super(handle); }
  apply(real: MemoryMappedFile, model: MappingModel, r: Real): void {
    const size = sizeOutcome(this.size);
    const expected: Outcome = model.closed ? { code: "ERR_MMAP_CLOSED" } : "code" in size ? size
      : model.mode !== "rw" ? { code: "ERR_MMAP_INVALID_MODE" } : { value: undefined };
    const views: Uint8Array[] = [];
    if (!model.closed) {
      const view = expectOutcome(() => real.view(), owesReport(model) ? TRUNCATED : { value: 0 }, `${this}: view`);
      if (view) views.push(view as Uint8Array);
    }
    expectOutcome(() => real.resize(this.size as number), expected, this.toString());
    if ("code" in expected || "code" in size) return;
    for (const view of views) assert.equal(view.length, 0, `${this}: an old view survived`);
    const file = r.files.get(model.path)!;
    file.bytes = resized(onDisk(file, model), size.size);
    model.bytes = file.bytes;
    model.shrunk = undefined;
    assert.equal(real.length, size.size);
  }
  toString = () => `resize(#${this.handle}, ${show(this.size)})`;
}

class View extends OnHandle {
  constructor(handle: number, readonly offset: unknown, readonly length: unknown) { super(handle); }
  apply(real: MemoryMappedFile, model: MappingModel): void {
    const absentLength = this.length === undefined;
    const expected = absentLength
      ? rangeOutcome(model, this.offset ?? 0, Math.max(0, model.bytes.length - Number(operand(this.offset ?? 0) ?? 0)), "read")
      : rangeOutcome(model, this.offset ?? 0, this.length, "read");
    if (absentLength && !model.closed && operand(this.offset ?? 0) !== undefined && operand(this.offset ?? 0)! > BigInt(model.bytes.length)) {
      expectOutcome(() => real.view(this.offset as number), { code: "ERR_MMAP_OUT_OF_BOUNDS" }, this.toString());
      return;
    }
    const outcome: Outcome = "code" in expected ? expected : owesReport(model) ? TRUNCATED : { value: 0 };
    const value = expectOutcome(() => real.view(this.offset as number, this.length as number), outcome, this.toString());
    if ("code" in outcome) return;
    const range = expected as { start: number; count: number };
    touch(model, range.start, range.count, false); // reading every byte of the view below
    assert.deepEqual(new Uint8Array(value as Uint8Array), model.bytes.slice(range.start, range.start + range.count), this.toString());
  }
  toString = () => `view(#${this.handle}, ${show(this.offset)}, ${show(this.length)})`;
}

class Residency extends OnHandle {
  apply(real: MemoryMappedFile, model: MappingModel): void {
    const expected: Outcome = model.closed ? { code: "ERR_MMAP_CLOSED" } : owesReport(model) ? TRUNCATED : { value: 0 };
    const value = expectOutcome(() => real.residency(), expected, this.toString());
    if ("code" in expected) return;
    const { residentPages, totalPages } = value as { residentPages: number; totalPages: number };
    assert.equal(totalPages, Math.ceil(model.bytes.length / PAGE), this.toString());
    assert.ok(residentPages >= 0 && residentPages <= totalPages, this.toString());
  }
  toString = () => `residency(#${this.handle})`;
}

/** Another process truncates a file to a page multiple, beneath its rw mapping if one is open. */
class Truncate implements Command {
  constructor(readonly file: string, readonly pages: number) {}
  check = () => true;
  run(_m: Model, r: Real): void {
    const file = r.files.get(this.file);
    const mapping = file?.open;
    if (!file || (mapping && (mapping.mode !== "rw" || mapping.shrunk))) return; // private pages: not modelled
    const size = Math.min(this.pages * PAGE, Math.floor(file.bytes.length / PAGE) * PAGE);
    fs.truncateSync(path.join(r.dir, this.file), size);
    if (mapping) mapping.shrunk = { size, replaced: new Set(), lost: false, reported: false };
    else file.bytes = file.bytes.slice(0, size);
  }
  toString = () => `truncate(${this.file}, ${this.pages} pages)`;
}

const handleArb = fc.nat({ max: 50 });
const fileArb = fc.constantFrom(...PATHS);
const commands = [
  fc.tuple(fileArb, modeArb).map(([file, mode]) => new Open(file, mode)),
  fc.tuple(fileArb, sizeArb).map(([file, size]) => new Create(file, size)),
  handleArb.map((h) => new Close(h)),
  fc.tuple(handleArb, operandArb, operandArb).map(([h, o, l]) => new Read(h, o, l)),
  fc.tuple(handleArb, operandArb, fc.nat({ max: 2 * PAGE })).map(([h, o, n]) => new ReadInto(h, o, n)),
  fc.tuple(handleArb, operandArb, fc.uint8Array({ maxLength: 3 * PAGE })).map(([h, o, d]) => new Write(h, o, d)),
  fc.tuple(handleArb, operandArb, operandArb, adviceArb, fc.boolean()).map(([h, o, l, a, d]) => new Advise(h, o, l, a, d)),
  fc.tuple(handleArb, operandArb, operandArb).map(([h, o, l]) => new Flush(h, o, l)),
  fc.tuple(handleArb, sizeArb).map(([h, s]) => new Resize(h, s)),
  fc.tuple(handleArb, fc.option(operandArb), fc.option(operandArb)).map(([h, o, l]) => new View(h, o ?? undefined, l ?? undefined)),
  handleArb.map((h) => new Residency(h)),
  fc.tuple(fileArb, fc.nat({ max: 3 })).map(([file, pages]) => new Truncate(file, pages)),
];

function property(dir: string, regression?: Regression) {
  return fc.property(fc.commands(commands, { maxCommands: 2000, size: "max", replayPath: regression?.replayPath }), (cmds) => {
    const run = fs.mkdtempSync(path.join(dir, "run-"));
    const real: Real = { dir: run, files: new Map(), handles: [] };
    try {
      fc.modelRun(() => ({ model: {}, real }), cmds);
    } finally {
      for (const { real: mapping } of real.handles) mapping.close();
      fs.rmSync(run, { recursive: true, force: true });
    }
  });
}

describe("model: the Node API against a byte-array model", function () {
  this.timeout(600_000);
  const temp = suiteTempDir("model", "all");
  modelTests(() => temp.dir, {
    regressions: regressions.api, property, what: "calls", calls: () => calls, resetCalls: () => { calls = 0; },
    runsPerAssert: 20, verbose: 1,
  });
});
