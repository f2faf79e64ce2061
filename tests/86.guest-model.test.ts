// Model-based random testing of the guest ABI: random calls from a real guest
// (tests/guests/probe.ts), valid and invalid (bad handles, foreign and closed handles,
// pointers past memory, offsets that overflow u64, unknown advice), against a plain
// model: a byte array per file and per handle. Every errno and every byte must match.
// Version 2's guest mappings join in: map, unmap, sync, madvise, and the guest's own
// stores through them, twice: in place, where shared pages must always show the file
// model, and with copies forced, where the file must hold what the guest memory held at
// each write-back (sync, unmap, flush of the handle) and nothing else.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { suiteTempDir } from "./helpers.js";
import { modelTests, regressions, type Regression } from "./model/suite.js";
import { DATA, E, startProbe, type Probe } from "./probe.js";

const U64 = 2n ** 64n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const FILES = ["a", "b", "c"];
const PAGE = 4096;

type Exports = Record<string, (...args: never[]) => number> & { memory: WebAssembly.Memory };
interface Handle { value: number; file: string; mode: number; bytes: Uint8Array; closed: boolean }
interface Real {
  dir: string;
  probe: Probe;
  g: Exports;
  other: Exports;
  size: number;
  files: Map<string, { bytes: Uint8Array; open: Handle | undefined }>;
  handles: Handle[];
  foreign: number[];
  /** Guest mappings made so far (version 2), live or released. */
  maps: GuestMap[];
  /** map_kind: the file's pages in place, or copies. */
  inPlace: boolean;
  close(): void;
}
type Command = fc.Command<Record<string, never>, Real>;
let calls = 0;

/** A probe guest with 31 pages of memory: the 2 MiB pointers of ptrArb lie beyond it. */
function instance(dir: string, guestMappings: "auto" | "copy"): Probe {
  return startProbe({ grants: [{ guest: "/g", host: dir, access: "rw" }], guestMappings }, 31);
}

const call = (g: Exports, name: string, ...args: unknown[]) => {
  calls++;
  return (g[name] as (...a: unknown[]) => number)(...args);
};

function inMemory(r: Real, ptr: number, len: number): boolean {
  return ptr + len <= r.size;
}

function inRange(offset: bigint, len: bigint, total: number): boolean {
  return offset <= BigInt(total) && len <= BigInt(total) - offset;
}

const u64Arb = fc.oneof(
  { weight: 8, arbitrary: fc.bigInt({ min: 0n, max: BigInt(3 * PAGE + 50) }) },
  { weight: 1, arbitrary: fc.constantFrom(0n, U64 - 1n, 2n ** 63n, 2n ** 53n, 2n ** 32n, MAX_SAFE) },
);
const ptrArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: DATA, max: DATA + PAGE }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, -8, 0x7fffffff, 2 * 1024 * 1024 - 4, 2 * 1024 * 1024, 2 * 1024 * 1024 + 1) },
);
const lenArb = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 2 * PAGE }) }, { weight: 1, arbitrary: fc.constantFrom(-1, 0x7fffffff) });
const handleArb = fc.oneof(
  { weight: 8, arbitrary: fc.nat({ max: 30 }).map((i) => ({ kind: "own" as const, i })) },
  { weight: 1, arbitrary: fc.nat({ max: 5 }).map((i) => ({ kind: "foreign" as const, i })) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, -1, 12345).map((value) => ({ kind: "raw" as const, i: value })) },
);
type HandleChoice = { kind: "own" | "foreign" | "raw"; i: number };

function resolve(r: Real, choice: HandleChoice): { value: number; model: Handle | undefined } {
  if (choice.kind === "own" && r.handles.length > 0) {
    const model = r.handles[choice.i % r.handles.length]!;
    return { value: model.value, model: model.closed ? undefined : model };
  }
  if (choice.kind === "foreign" && r.foreign.length > 0) return { value: r.foreign[choice.i % r.foreign.length]!, model: undefined };
  return { value: choice.i, model: undefined };
}

const u32 = (value: number) => value >>> 0;

class Open implements Command {
  constructor(readonly file: string, readonly mode: number, readonly variant: number) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    const entry = r.files.get(this.file);
    if (entry?.open) return;
    // A cow handle's pages that it never wrote show the file; a store through a shared
    // guest mapping would change them, which this model does not follow.
    if (this.mode === 2 && mapsOf(r, this.file).some(shared)) return;
    const variants: Array<[string | Uint8Array, number | undefined]> = [
      [`/g/${this.file}`, undefined], [`/g/../g/./${this.file}`, undefined], [`/etc/${this.file}`, E.notcapable],
      [`g/${this.file}`, E.notcapable], [`/g/${this.file}\0`, E.inval], [new Uint8Array([0x2f, 0x67, 0x2f, 0xff]), E.ilseq], ["/g", E.isdir],
    ];
    const [guestPath, refusal] = variants[this.variant % variants.length]!;
    calls++;
    const [errno, value] = r.probe.open(guestPath, this.mode);
    const expected = this.mode < 0 || this.mode > 2 ? E.inval : refusal ?? (entry ? E.success : E.noent);
    assert.equal(errno, expected, this.toString());
    if (errno !== E.success) return;
    const handle: Handle = { value, file: this.file, mode: this.mode, bytes: this.mode === 2 ? entry!.bytes.slice() : entry!.bytes, closed: false };
    entry!.open = handle;
    r.handles.push(handle);
  }
  toString = () => `open(${this.file}, mode ${this.mode}, variant ${this.variant})`;
}

class Create implements Command {
  constructor(readonly file: string, readonly size: bigint) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    // A guest mapping outlives its handle: truncating its file would take its pages away.
    if (r.files.get(this.file)?.open || mapsOf(r, this.file).length > 0) return;
    calls++;
    const [errno, value] = r.probe.create(`/g/${this.file}`, this.size);
    assert.equal(errno, this.size > MAX_SAFE ? E.inval : E.success, this.toString());
    if (errno !== E.success) return;
    const entry = { bytes: new Uint8Array(Number(this.size)), open: undefined as Handle | undefined };
    const handle: Handle = { value, file: this.file, mode: 1, bytes: entry.bytes, closed: false };
    entry.open = handle;
    r.files.set(this.file, entry);
    r.handles.push(handle);
  }
  toString = () => `create(${this.file}, ${this.size})`;
}

class Close implements Command {
  constructor(readonly handle: HandleChoice) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    const { value, model } = resolve(r, this.handle);
    assert.equal(call(r.g, "close", value), model ? E.success : E.badf, this.toString());
    if (!model) return;
    model.closed = true;
    const entry = r.files.get(model.file)!;
    entry.open = undefined;
    assert.deepEqual(fs.readFileSync(path.join(r.dir, model.file)), Buffer.from(entry.bytes), `${this}: file contents`);
  }
  toString = () => `close(${JSON.stringify(this.handle)})`;
}

class Read implements Command {
  constructor(readonly handle: HandleChoice, readonly offset: bigint, readonly ptr: number, readonly len: number) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    const { value, model } = resolve(r, this.handle);
    const errno = call(r.g, "read", value, this.offset, this.ptr, this.len);
    const expected = !model ? E.badf : !inMemory(r, u32(this.ptr), u32(this.len)) ? E.fault
      : !inRange(this.offset, BigInt(u32(this.len)), model.bytes.length) ? E.range : E.success;
    assert.equal(errno, expected, this.toString());
    if (expected === E.success) {
      const got = new Uint8Array(r.g.memory.buffer, u32(this.ptr), u32(this.len));
      const at = Number(this.offset);
      assert.deepEqual(Buffer.from(got), Buffer.from(model!.bytes.subarray(at, at + u32(this.len))), this.toString());
      wroteGuestMemory(r, u32(this.ptr), u32(this.len));
    }
  }
  toString = () => `read(${JSON.stringify(this.handle)}, ${this.offset}, ${this.ptr}, ${this.len})`;
}

class Write implements Command {
  constructor(readonly handle: HandleChoice, readonly offset: bigint, readonly ptr: number, readonly len: number, readonly fill: number) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    const { value, model } = resolve(r, this.handle);
    const ptr = u32(this.ptr);
    const len = u32(this.len);
    if (inMemory(r, ptr, len)) {
      new Uint8Array(r.g.memory.buffer, ptr, len).fill(this.fill);
      wroteGuestMemory(r, ptr, len);
    }
    const errno = call(r.g, "write", value, this.offset, this.ptr, this.len);
    const expected = !model ? E.badf : model.mode === 0 ? E.acces : !inMemory(r, ptr, len) ? E.fault
      : !inRange(this.offset, BigInt(len), model.bytes.length) ? E.range : E.success;
    assert.equal(errno, expected, this.toString());
    if (expected === E.success) model!.bytes.fill(this.fill, Number(this.offset), Number(this.offset) + len);
  }
  toString = () => `write(${JSON.stringify(this.handle)}, ${this.offset}, ${this.ptr}, ${this.len})`;
}

class Advise implements Command {
  constructor(readonly handle: HandleChoice, readonly offset: bigint, readonly len: bigint, readonly advice: number) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    const { value, model } = resolve(r, this.handle);
    const errno = call(r.g, "advise", value, this.offset, this.len, this.advice);
    const expected = !model ? E.badf : this.advice < 0 || this.advice > 5 ? E.inval : this.len === 0n ? E.success
      : !inRange(this.offset, this.len, model.bytes.length) ? E.range : this.advice === 4 && model.mode === 2 ? E.notsup : E.success;
    assert.equal(errno, expected, this.toString());
    if (expected === E.success && this.advice === 4 && model!.mode === 0 && this.len > 0n) {
      // DontNeed on a private mapping shows the file's pages again (ro has no private writes anyway).
      const from = Math.floor(Number(this.offset) / PAGE) * PAGE;
      const to = Math.min(Math.ceil(Number(this.offset + this.len) / PAGE) * PAGE, model!.bytes.length);
      model!.bytes.set(r.files.get(model!.file)!.bytes.subarray(from, to), from);
    }
  }
  toString = () => `advise(${JSON.stringify(this.handle)}, ${this.offset}, ${this.len}, ${this.advice})`;
}

class Flush implements Command {
  constructor(readonly handle: HandleChoice, readonly offset: bigint, readonly len: bigint) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    const { value, model } = resolve(r, this.handle);
    const expected = !model ? E.badf : this.len === 0n ? E.success : !inRange(this.offset, this.len, model.bytes.length) ? E.range : E.success;
    assert.equal(call(r.g, "flush", value, this.offset, this.len), expected, this.toString());
    if (expected !== E.success || this.len === 0n || model!.mode !== 1) return;
    // The handle's shared mappings are written back too, in the core's entry order.
    const own = r.maps.filter((m) => m.live && shared(m) && m.handle === model).sort((a, b) => a.entry - b.entry);
    for (const m of own) writeBack(r, m, m.addr, m.addr + m.len);
    assert.deepEqual(fs.readFileSync(path.join(r.dir, model!.file)), Buffer.from(r.files.get(model!.file)!.bytes), `${this}: the file`);
  }
  toString = () => `flush(${JSON.stringify(this.handle)}, ${this.offset}, ${this.len})`;
}

class Resize implements Command {
  constructor(readonly handle: HandleChoice, readonly size: bigint) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    const { value, model } = resolve(r, this.handle);
    if (model && mapsOf(r, model.file).length > 0) return; // its guest mappings would lose pages
    const expected = !model ? E.badf : model.mode !== 1 ? E.acces : this.size > MAX_SAFE ? E.inval : E.success;
    assert.equal(call(r.g, "resize", value, this.size), expected, this.toString());
    if (expected !== E.success) return;
    const entry = r.files.get(model!.file)!;
    const next = new Uint8Array(Number(this.size));
    next.set(entry.bytes.subarray(0, Math.min(next.length, entry.bytes.length)));
    entry.bytes = next;
    model!.bytes = next;
  }
  toString = () => `resize(${JSON.stringify(this.handle)}, ${this.size})`;
}

class Info implements Command {
  constructor(readonly handle: HandleChoice, readonly offset: bigint, readonly len: bigint, readonly out: number) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    const { value, model } = resolve(r, this.handle);
    const out = u32(this.out);
    const lenErrno = call(r.g, "len", value, this.out);
    assert.equal(lenErrno, !model ? E.badf : !inMemory(r, out, 8) ? E.fault : E.success, `len: ${this}`);
    if (lenErrno === E.success) wroteGuestMemory(r, out, 8);
    if (lenErrno === E.success) assert.equal(new DataView(r.g.memory.buffer).getBigUint64(out, true), BigInt(model!.bytes.length));
    const expected = !model ? E.badf : !inMemory(r, out, 8) ? E.fault : !inRange(this.offset, this.len, model.bytes.length) ? E.range : E.success;
    assert.equal(call(r.g, "resident", value, this.offset, this.len, this.out), expected, `resident: ${this}`);
    if (expected === E.success) {
      wroteGuestMemory(r, out, 8);
      const pages = new DataView(r.g.memory.buffer).getBigUint64(out, true);
      const total = this.len === 0n ? 0n : BigInt(Math.ceil(Number(this.offset + this.len) / PAGE) - Math.floor(Number(this.offset) / PAGE));
      assert.ok(pages <= total, `resident: ${pages} > ${total}`);
    }
  }
  toString = () => `len+resident(${JSON.stringify(this.handle)}, ${this.offset}, ${this.len}, ${this.out})`;
}

// ---------------------------------------------------------------------------------------
// Version 2: guest mappings. In place (map_kind 1), a store through a writable mapping of
// an rw handle is the file's at once: the file model is what its shared pages must hold.
// With copies (map_kind 0), a mapping is the file's bytes when made; the guest memory of
// a shared one reaches the file at sync, unmap and flush of its handle, exactly the bytes
// `[addr, addr + len)` asked for. Private mappings (prot 1, or cow) are checked when made.

interface GuestMap {
  addr: number; len: number; offset: number; file: string; prot: number; mode: number;
  spanStart: number; spanEnd: number; live: boolean;
  /** The guest core's entry: the lowest free one when made. */
  entry: number;
  handle: Handle;
}

const show = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
const shared = (m: GuestMap) => m.prot === 3 && m.mode === 1;
const mapsOf = (r: Real, file: string) => r.maps.filter((m) => m.live && m.file === file);

/** After the host wrote guest memory `[ptr, ptr + len)`: what landed on shared pages in place is the file's now. */
function wroteGuestMemory(r: Real, ptr: number, len: number): void {
  if (!r.inPlace) return;
  for (const m of r.maps) {
    if (!m.live || !shared(m)) continue;
    const from = Math.max(ptr, m.spanStart);
    const to = Math.min(ptr + len, m.spanEnd);
    if (from >= to) continue;
    const file = r.files.get(m.file)!.bytes;
    const fileStart = m.offset - (m.addr - m.spanStart);
    const bytes = new Uint8Array(r.g.memory.buffer);
    for (let at = from; at < to; at++) {
      const position = fileStart + (at - m.spanStart);
      if (position < file.length) file[position] = bytes[at]!;
    }
  }
}

/** Copies: guest memory `[from, to)` of shared mapping `m` written back to its file. */
function writeBack(r: Real, m: GuestMap, from: number, to: number): void {
  if (r.inPlace || !shared(m)) return;
  const file = r.files.get(m.file)!.bytes;
  const bytes = new Uint8Array(r.g.memory.buffer);
  const fileStart = m.offset - (m.addr - m.spanStart);
  for (let at = from; at < to; at++) file[fileStart + (at - m.spanStart)] = bytes[at]!;
}

/** The live mapping that holds `[addr, addr + len)` (with len 0, its end too), as the core decides. */
function containing(r: Real, addr: number, len: bigint): GuestMap | undefined {
  return r.maps.find((m) => m.live && addr >= m.addr && BigInt(addr - m.addr) <= BigInt(m.len) && len <= BigInt(m.len - (addr - m.addr)));
}

/** A live mapping by index, or raw values. */
type MapChoice = { live: boolean; i: number; delta: number; len: bigint };
const mapChoiceArb = fc.record({
  live: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  i: fc.nat({ max: 40 }),
  delta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.integer({ min: -PAGE, max: 3 * PAGE }) }),
  len: fc.oneof({ weight: 4, arbitrary: fc.constant(-1n) }, { weight: 5, arbitrary: fc.bigInt({ min: 0n, max: BigInt(3 * PAGE) }) }, { weight: 1, arbitrary: fc.constantFrom(U64 - 1n, 2n ** 32n) }),
});

/** (addr, len) of a choice: a live mapping's own (len -1), shifted by delta, or raw. */
function pick(r: Real, choice: MapChoice): [number, bigint, GuestMap | undefined] {
  const live = r.maps.filter((m) => m.live);
  if (choice.live && live.length > 0) {
    const m = live[choice.i % live.length]!;
    const addr = u32(m.addr + choice.delta);
    return [addr, choice.len < 0n ? BigInt(m.len) : choice.len, m];
  }
  return [u32(DATA + choice.delta), choice.len < 0n ? 1n : choice.len, undefined];
}

class MapCommand implements Command {
  constructor(readonly handle: HandleChoice, readonly offset: bigint, readonly len: bigint, readonly prot: number, readonly out: number) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    const { value, model } = resolve(r, this.handle);
    const out = u32(this.out);
    if (inMemory(r, out, 4)) new DataView(r.g.memory.buffer).setUint32(out, 0xdeadbeef, true);
    const errno = call(r.g, "map", value, this.offset, this.len, this.prot, this.out);
    const expected = !model ? E.badf : this.prot !== 1 && this.prot !== 3 ? E.inval : this.len === 0n ? E.inval
      : !inMemory(r, out, 4) ? E.fault : this.prot === 3 && model.mode === 0 ? E.acces
      : !inRange(this.offset, this.len, model.bytes.length) ? E.range : E.success;
    assert.equal(errno, expected, this.toString());
    r.size = r.g.memory.buffer.byteLength;
    if (errno !== E.success) return;
    // The out-parameter may itself lie on a shared page of another mapping.
    wroteGuestMemory(r, out, 4);
    const addr = new DataView(r.g.memory.buffer).getUint32(out, true);
    const offset = Number(this.offset);
    const len = Number(this.len);
    assert.equal(addr % PAGE, offset % PAGE, `${this}: congruent`);
    const live = new Set(r.maps.filter((other) => other.live).map((other) => other.entry));
    let entry = 0;
    while (live.has(entry)) entry++;
    const m: GuestMap = {
      addr, len, offset, file: model!.file, prot: this.prot, mode: model!.mode,
      spanStart: addr - (addr % PAGE), spanEnd: Math.ceil((addr + len) / PAGE) * PAGE, live: true, entry, handle: model!,
    };
    for (const other of r.maps) {
      if (other.live) assert.ok(m.spanEnd <= other.spanStart || other.spanEnd <= m.spanStart, `${this}: overlaps ${JSON.stringify(other)}`);
    }
    assert.ok(m.spanEnd <= r.size, `${this}: inside the memory`);
    const file = r.files.get(m.file)!.bytes;
    assert.deepEqual(Buffer.from(new Uint8Array(r.g.memory.buffer, addr, len)), Buffer.from(file.subarray(offset, offset + len)), `${this}: the file's bytes`);
    r.maps.push(m);
  }
  toString = () => `map(${JSON.stringify(this.handle)}, ${this.offset}, ${this.len}, ${this.prot}, ${this.out})`;
}

class UnmapCommand implements Command {
  constructor(readonly choice: MapChoice) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    const [addr, len] = pick(r, this.choice);
    const exact = r.maps.find((m) => m.live && m.addr === addr && BigInt(m.len) === len);
    // What a copy writes back is the guest memory before unmap zeroes it.
    if (exact) writeBack(r, exact, exact.addr, exact.addr + exact.len);
    assert.equal(call(r.g, "unmap", addr, len), exact ? E.success : E.inval, `unmap(${addr}, ${len})`);
    if (!exact) return;
    exact.live = false;
    if (shared(exact)) {
      assert.deepEqual(fs.readFileSync(path.join(r.dir, exact.file)), Buffer.from(r.files.get(exact.file)!.bytes), `unmap(${addr}, ${len}): the file`);
    }
    const bytes = new Uint8Array(r.g.memory.buffer, exact.spanStart, exact.spanEnd - exact.spanStart);
    assert.ok(bytes.every((byte) => byte === 0), `unmap(${addr}, ${len}): the span reads zeros`);
  }
  toString = () => `unmap(${show(this.choice)})`;
}

class SyncCommand implements Command {
  constructor(readonly choice: MapChoice) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    const [addr, len] = pick(r, this.choice);
    const m = containing(r, addr, len);
    assert.equal(call(r.g, "sync", addr, len), m ? E.success : E.inval, `sync(${addr}, ${len})`);
    if (m && shared(m)) {
      writeBack(r, m, addr, addr + Number(len));
      assert.deepEqual(fs.readFileSync(path.join(r.dir, m.file)), Buffer.from(r.files.get(m.file)!.bytes), `sync(${addr}, ${len}): the file`);
    }
  }
  toString = () => `sync(${show(this.choice)})`;
}

class MadviseCommand implements Command {
  constructor(readonly choice: MapChoice, readonly advice: number) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    const [addr, len] = pick(r, this.choice);
    const m = containing(r, addr, len);
    const expected = !m || this.advice < 0 || this.advice > 5 ? E.inval : len === 0n ? E.success
      : this.advice === 4 && m.prot === 3 && m.mode === 2 ? E.notsup : E.success;
    assert.equal(call(r.g, "madvise", addr, len, this.advice), expected, `madvise(${addr}, ${len}, ${this.advice})`);
  }
  toString = () => `madvise(${show(this.choice)}, ${this.advice})`;
}

/** The guest's own store to a page of a mapping, then its own loads of a shared mapping's pages. */
class StoreCommand implements Command {
  constructor(readonly choice: MapChoice, readonly fill: number) {}
  check = () => true;
  run(_m: unknown, r: Real): void {
    const live = r.maps.filter((m) => m.live);
    if (live.length === 0) return;
    const m = live[this.choice.i % live.length]!;
    const file = r.files.get(m.file)!.bytes;
    const fileStart = m.offset - (m.addr - m.spanStart);
    // Past the file's end the page is not the file's: stores there are kept nowhere.
    const end = Math.min(m.spanEnd, m.spanStart + (file.length - fileStart));
    if (end <= m.spanStart) return;
    const at = m.spanStart + (Math.abs(this.choice.delta) % (end - m.spanStart));
    calls++;
    (r.g.store_u8 as (addr: number, value: number) => void)(at, this.fill);
    if (r.inPlace && shared(m)) file[fileStart + (at - m.spanStart)] = this.fill;
    assert.equal((r.g.load_u8 as (addr: number) => number)(at), this.fill, `${this}: the store is seen`);
    if (!r.inPlace) return; // a copy shows what the guest stored, checked at write-back
    for (const other of live) {
      if (!shared(other)) continue;
      const otherFile = r.files.get(other.file)!.bytes;
      const otherStart = other.offset - (other.addr - other.spanStart);
      const count = Math.min(other.spanEnd - other.spanStart, otherFile.length - otherStart);
      assert.deepEqual(Buffer.from(new Uint8Array(r.g.memory.buffer, other.spanStart, count)),
        Buffer.from(otherFile.subarray(otherStart, otherStart + count)), `${this}: a shared mapping shows its file`);
    }
  }
  toString = () => `store(${show(this.choice)}, ${this.fill})`;
}

const mappingCommands = [
  fc.tuple(handleArb, u64Arb, fc.oneof({ weight: 8, arbitrary: fc.bigInt({ min: 0n, max: BigInt(2 * PAGE + 50) }) }, { weight: 1, arbitrary: fc.constantFrom(U64 - 1n, 2n ** 32n + 1n) }),
    fc.oneof({ weight: 8, arbitrary: fc.constantFrom(1, 3) }, { weight: 1, arbitrary: fc.constantFrom(0, 2, -1) }), ptrArb)
    .map(([h, o, l, p, out]) => new MapCommand(h, o, l, p, out)),
  mapChoiceArb.map((c) => new UnmapCommand(c)),
  mapChoiceArb.map((c) => new SyncCommand(c)),
  fc.tuple(mapChoiceArb, fc.integer({ min: -1, max: 6 })).map(([c, a]) => new MadviseCommand(c, a)),
  fc.tuple(mapChoiceArb, fc.integer({ min: 0, max: 255 })).map(([c, f]) => new StoreCommand(c, f)),
];

const fileArb = fc.constantFrom(...FILES);
const commands = [
  fc.tuple(fileArb, fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constantFrom(3, -1) }), fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.nat({ max: 6 }) }))
    .map(([f, m, v]) => new Open(f, m, v)),
  fc.tuple(fileArb, fc.oneof({ weight: 9, arbitrary: fc.bigInt({ min: 0n, max: BigInt(3 * PAGE) }) }, { weight: 1, arbitrary: fc.constantFrom(U64 - 1n, MAX_SAFE + 1n) }))
    .map(([f, s]) => new Create(f, s)),
  handleArb.map((h) => new Close(h)),
  fc.tuple(handleArb, u64Arb, ptrArb, lenArb).map(([h, o, p, l]) => new Read(h, o, p, l)),
  fc.tuple(handleArb, u64Arb, ptrArb, lenArb, fc.integer({ min: 0, max: 255 })).map(([h, o, p, l, f]) => new Write(h, o, p, l, f)),
  fc.tuple(handleArb, u64Arb, u64Arb, fc.integer({ min: -1, max: 7 })).map(([h, o, l, a]) => new Advise(h, o, l, a)),
  fc.tuple(handleArb, u64Arb, u64Arb).map(([h, o, l]) => new Flush(h, o, l)),
  fc.tuple(handleArb, fc.oneof({ weight: 9, arbitrary: fc.bigInt({ min: 0n, max: BigInt(3 * PAGE) }) }, { weight: 1, arbitrary: fc.constantFrom(U64 - 1n, MAX_SAFE + 1n) }))
    .map(([h, s]) => new Resize(h, s)),
  fc.tuple(handleArb, u64Arb, u64Arb, ptrArb).map(([h, o, l, p]) => new Info(h, o, l, p)),
];

/**
 * Random runs with guest mappings made `how`; a regression replays with its own way and
 * its own commands (the first ones were recorded with version 1's commands only).
 */
function property(how: "auto" | "copy", dir: string, regression?: Regression) {
  const guestMappings = regression ? regression.guestMappings ?? "auto" : how;
  const all = regression && regression.version !== 2 ? commands : [...commands, ...mappingCommands];
  return fc.property(fc.commands(all, { maxCommands: 2000, size: "max", replayPath: regression?.replayPath }), (cmds) => {
    const run = fs.mkdtempSync(path.join(dir, "run-"));
    const own = instance(run, guestMappings);
    const other = instance(run, guestMappings);
    const kind = (own.g.map_kind as () => number)();
    if (guestMappings === "copy") assert.equal(kind, 0, "copies forced");
    // Handles the other instance holds: valid there, foreign here.
    const foreign: number[] = [];
    fs.writeFileSync(path.join(run, "x"), "x");
    for (let i = 0; i < 3; i++) {
      const [errno, handle] = other.open("/g/x", 0);
      assert.equal(errno, 0);
      foreign.push(handle);
    }
    const real: Real = {
      dir: run, probe: own, g: own.g as unknown as Exports, other: other.g as unknown as Exports, size: own.g.memory.buffer.byteLength, files: new Map(), handles: [], foreign, maps: [], inPlace: kind === 1,
      close: () => { own.mmap.close(); other.mmap.close(); },
    };
    try {
      fc.modelRun(() => ({ model: {}, real }), cmds);
    } finally {
      real.close();
      fs.rmSync(run, { recursive: true, force: true });
    }
  });
}

describe("model: the guest ABI against a byte-array model", function () {
  this.timeout(600_000);
  const temp = suiteTempDir("guest-model", "all");
  // The budget of 100,000 calls is split between the two kinds of guest mappings.
  const counted = { calls: () => calls, resetCalls: () => { calls = 0; }, runsPerAssert: 10, budget: 50_000 };
  modelTests(() => temp.dir, {
    regressions: regressions.guest, property: (dir, regression) => property("auto", dir, regression),
    what: "guest calls, guest mappings in place where possible", ...counted,
  });
  modelTests(() => temp.dir, {
    regressions: [], property: (dir, regression) => property("copy", dir, regression),
    what: "guest calls, guest mappings copied", ...counted,
  });
});
