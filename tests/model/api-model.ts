// The reference model of the Node API: a plain byte array per file and per mapping, and
// the rules of the API written out plainly, independent of the core.
import { MmapAdvice } from "../../build/lib/index.js";

export const PAGE = 4096;
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export type Mode = "ro" | "rw" | "cow";

export interface FileModel {
  /** The file's bytes; while its rw mapping is shrunk, only the first `shrunkTo` are in the file. */
  bytes: Uint8Array;
  /** The one mapping of this file that is open, if any (the model keeps it to one). */
  open: MappingModel | undefined;
}

export interface MappingModel {
  path: string;
  mode: Mode;
  /** rw: the file's own array; ro and cow: a private copy. */
  bytes: Uint8Array;
  closed: boolean;
  /** Set when another process truncated the file beneath this (rw) mapping: the new size, a page multiple. */
  shrunk?: Shrunk;
}

/** What the process saw of a file truncated beneath its rw mapping. */
export interface Shrunk {
  size: number;
  /** Pages past `size` the fault guard replaced with zero pages (they keep what is written to them). */
  replaced: Set<number>;
  /** An access met a lost page. */
  lost: boolean;
  /** ...and an error said so. */
  reported: boolean;
}

/** The report owed for an access a view made: true if the next accepted call must throw it. */
export function owesReport(mapping: MappingModel): boolean {
  const shrunk = mapping.shrunk;
  if (!shrunk || !shrunk.lost || shrunk.reported) return false;
  shrunk.reported = true;
  return true;
}

/**
 * An access to `[start, start + count)` of a shrunk mapping: lost pages it meets become
 * zero pages. Returns true if it met any page past the new size: a copy (`byCopy`) then
 * fails, and that failure is the report; a view's access leaves the report owed.
 */
export function touch(mapping: MappingModel, start: number, count: number, byCopy: boolean): boolean {
  const shrunk = mapping.shrunk;
  if (!shrunk || count === 0 || start + count <= shrunk.size) return false;
  for (let page = Math.max(Math.floor(start / PAGE), shrunk.size / PAGE); page * PAGE < start + count; page++) {
    if (shrunk.replaced.has(page)) continue;
    shrunk.replaced.add(page);
    mapping.bytes.fill(0, page * PAGE, Math.min((page + 1) * PAGE, mapping.bytes.length));
  }
  shrunk.lost = true;
  if (byCopy) shrunk.reported = true;
  return true;
}

/** What a call should do: an error code, or success with a value. */
export type Outcome = { code: string } | { value: unknown };

/** The operand as the API sees it: a non-negative safe integer, or a u64 bigint. */
export function operand(value: unknown): bigint | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined;
  if (typeof value === "bigint") return value >= 0n && value < 2n ** 64n ? value : undefined;
  return undefined;
}

const KNOWN_ADVICE = new Set<unknown>(Object.values(MmapAdvice));

/**
 * The outcome of a range call on `mapping` in the order the API checks: closed, operands,
 * mode, empty range, bounds.
 */
export function rangeOutcome(
  mapping: MappingModel, offset: unknown, length: unknown, op: "read" | "write" | "advise" | "flush",
): { code: string } | { start: number; count: number } {
  if (mapping.closed) return { code: "ERR_MMAP_CLOSED" };
  const start = operand(offset);
  const count = operand(length);
  if (start === undefined || count === undefined) return { code: "ERR_MMAP_INVALID_ARGUMENT" };
  if (op === "write" && mapping.mode === "ro") return { code: "ERR_MMAP_INVALID_MODE" };
  if (count === 0n) return { start: 0, count: 0 };
  if (start > BigInt(mapping.bytes.length) || count > BigInt(mapping.bytes.length) - start) return { code: "ERR_MMAP_OUT_OF_BOUNDS" };
  return { start: Number(start), count: Number(count) };
}

export function adviceOutcome(mapping: MappingModel, advice: unknown, allowDiscard: boolean): { code: string } | undefined {
  if (mapping.closed) return { code: "ERR_MMAP_CLOSED" };
  if (!KNOWN_ADVICE.has(advice)) return { code: "ERR_MMAP_INVALID_ARGUMENT" };
  if (advice === MmapAdvice.DontNeed && mapping.mode === "cow" && !allowDiscard) return { code: "ERR_MMAP_DISCARDS_PRIVATE_WRITES" };
  return undefined;
}

/** DontNeed drops the pages covering the range: a private mapping sees the file there again. */
export function dropPages(mapping: MappingModel, file: FileModel, start: number, count: number): void {
  if (mapping.shrunk && count > 0) {
    // The zero pages go; the next access to them faults again and gets new ones.
    for (let page = Math.floor(start / PAGE); page * PAGE < start + count; page++) mapping.shrunk.replaced.delete(page);
  }
  if (mapping.mode === "rw" || count === 0) return;
  const from = Math.floor(start / PAGE) * PAGE;
  const to = Math.min(Math.ceil((start + count) / PAGE) * PAGE, mapping.bytes.length);
  mapping.bytes.set(file.bytes.subarray(from, to), from);
}

export function sizeOutcome(size: unknown): { code: string } | { size: number } {
  const value = operand(size);
  if (value === undefined || value > BigInt(MAX_SAFE)) return { code: "ERR_MMAP_INVALID_ARGUMENT" };
  return { size: Number(value) };
}

/** A resized copy: cut, or extended with zeros. */
export function resized(bytes: Uint8Array, size: number): Uint8Array {
  const next = new Uint8Array(size);
  next.set(bytes.subarray(0, Math.min(size, bytes.length)));
  return next;
}
