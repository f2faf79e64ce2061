// The deterministic core (build/core.wasm, from assembly/). Every check the API makes is
// a call into it; this module only moves operands in and results out.
//
// Operands go through the core's argument block: a JS number as an f64, a bigint as a
// u64, each with a tag. Results come back as f64, exact below 2^53.
import { readFileSync } from "node:fs";
import { coreWasmPath } from "./paths.js";

export interface CoreExports {
  memory: WebAssembly.Memory;
  argumentBlock(): number;
  segmentSize(): number;
  prepareRange(op: number, mode: number, tags: number, total: number, page: number): number;
  prepareSize(op: number, mode: number, tags: number): number;
  adviceAction(platform: number, advice: number, mode: number, allowDiscard: number): number;
  actionPiece(action: number, readAheadWindow: number, page: number): number;
  nextPiece(pos: number, end: number, maxPiece: number): number;
  // Pure u64 building blocks, for tests.
  sliceRange(offset: bigint, len: bigint, total: bigint): number;
  alignDown(offset: bigint, page: bigint): bigint;
  alignUp(end: bigint, page: bigint, total: bigint): bigint;
  pieceLength(pos: bigint, end: bigint, maxPiece: bigint): bigint;
  withinOneSegment(start: bigint, len: bigint): number;
  prefetchChunk(window: bigint, page: bigint): bigint;
  modeAllows(mode: number, op: number): number;
  planAdvice(platform: number, advice: number, mode: number, allowDiscard: number): number;
  platformAction(platform: number, advice: number): number;
  actionChunk(action: number, window: bigint, page: bigint): bigint;
  isOperandNumber(value: number): number;
  withinMapBudget(used: number, adding: number, maxMapCount: number): number;
  withinAddressBudget(used: number, adding: number, addressSpace: number): number;
  actionSplitsMapping(action: number): number;
  [constant: string]: unknown;
}

export function instantiateCore(bytes: Uint8Array<ArrayBuffer> = readFileSync(coreWasmPath)): CoreExports {
  const module = new WebAssembly.Module(bytes);
  return new WebAssembly.Instance(module, {}).exports as unknown as CoreExports;
}

export const coreExports = instantiateCore();

/** Value of one of the core's exported constants. */
function constant(name: string): number {
  const global = coreExports[name];
  if (!(global instanceof WebAssembly.Global)) throw new Error(`core.wasm lacks ${name}`);
  return global.value as number;
}

export const Status = {
  proceed: constant("PROCEED"),
  nothingToDo: constant("NOTHING_TO_DO"),
  invalidArgument: constant("INVALID_ARGUMENT"),
  outOfBounds: constant("OUT_OF_BOUNDS"),
  invalidMode: constant("INVALID_MODE"),
  closed: constant("CLOSED"),
  discardsPrivateWrites: constant("DISCARDS_PRIVATE_WRITES"),
  viewSpansSegments: constant("VIEW_SPANS_SEGMENTS"),
  mapCountExceeded: constant("MAP_COUNT_EXCEEDED"),
  truncated: constant("TRUNCATED"),
  noExternalBuffers: constant("NO_EXTERNAL_BUFFERS"),
} as const;

export const Mode = {
  ro: constant("MODE_RO"),
  rw: constant("MODE_RW"),
  cow: constant("MODE_COW"),
  closed: constant("MODE_CLOSED"),
} as const;

export const Op = {
  read: constant("OP_READ"),
  write: constant("OP_WRITE"),
  view: constant("OP_VIEW"),
  advise: constant("OP_ADVISE"),
  flush: constant("OP_FLUSH"),
  residency: constant("OP_RESIDENCY"),
  lock: constant("OP_LOCK"),
  resize: constant("OP_RESIZE"),
  chunks: constant("OP_CHUNKS"),
} as const;

export const Platform = {
  linux: constant("PLATFORM_LINUX"),
  darwin: constant("PLATFORM_DARWIN"),
  freebsd: constant("PLATFORM_FREEBSD"),
  win32: constant("PLATFORM_WIN32"),
  other: constant("PLATFORM_OTHER"),
} as const;

export const ACTION_NONE = constant("ACTION_NONE");
export const SEGMENT_SIZE = coreExports.segmentSize();

export function platformCode(platform: NodeJS.Platform = process.platform): number {
  return platform in Platform ? Platform[platform as keyof typeof Platform] : Platform.other;
}

const TAG_NUMBER = constant("TAG_NUMBER");
const TAG_BIGINT = constant("TAG_BIGINT");
const TAG_ABSENT = constant("TAG_ABSENT");
const TAG_INVALID = constant("TAG_INVALID");
const U64_MAX = 0xffff_ffff_ffff_ffffn;

const block = coreExports.argumentBlock();
const slots = new Float64Array(coreExports.memory.buffer, block, 8);
const bigSlots = new BigUint64Array(coreExports.memory.buffer, block, 8);
const SLOT_START = 2;
const SLOT_COUNT = 3;
const SLOT_ALIGNED_START = 4;
const SLOT_ALIGNED_END = 5;

/** Writes one operand into its slot and returns its tag. Only the type is looked at here. */
function put(slot: number, value: unknown, optional: boolean): number {
  if (typeof value === "number") {
    slots[slot] = value;
    return TAG_NUMBER;
  }
  if (typeof value === "bigint") {
    // A bigint beyond u64 cannot be written without wrapping; the core refuses the tag.
    if (value < 0n || value > U64_MAX) return TAG_INVALID;
    bigSlots[slot] = value;
    return TAG_BIGINT;
  }
  return value === undefined && optional ? TAG_ABSENT : TAG_INVALID;
}

/** Which operands of a range call the caller may leave out. */
export const Optional = {
  none: 0,
  /** The length: "to the end". */
  length: 1,
  /** Both: "the whole mapping", or "from offset to the end". */
  both: 2,
} as const;
export type Optional = (typeof Optional)[keyof typeof Optional];

/** Checks a call on `[offset, offset + length)`; optional operands may be undefined. */
export function prepareRange(
  op: number, mode: number, offset: unknown, length: unknown, total: number, page: number,
  optional: Optional = Optional.none,
): number {
  const tags = put(0, offset, optional === Optional.both) | (put(1, length, optional !== Optional.none) << 2);
  return coreExports.prepareRange(op, mode, tags, total, page);
}

export function prepareSize(op: number, mode: number, size: unknown): number {
  return coreExports.prepareSize(op, mode, put(0, size, false));
}

/** Results of the last successful prepareRange / prepareSize. */
export const checked = {
  start: () => slots[SLOT_START]!,
  count: () => slots[SLOT_COUNT]!,
  alignedStart: () => slots[SLOT_ALIGNED_START]!,
  alignedEnd: () => slots[SLOT_ALIGNED_END]!,
};
