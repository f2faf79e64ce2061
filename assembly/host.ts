// Entry point of build/core.wasm for the Node API (host/). Every check that
// MemoryMappedFile makes is one call into this module.
//
// Operands travel through an argument block in this module's memory, so that neither
// side converts to BigInt on the hot path: the host writes each offset or length as an
// f64 (a JS number) or a u64 (a JS bigint), with a tag; results come back as f64, which
// is exact because every in-bounds position is below 2^53.

import {
  CLOSED, INVALID_ARGUMENT, NOTHING_TO_DO, OUT_OF_BOUNDS, PROCEED, VIEW_SPANS_SEGMENTS,
} from "./core/status";
import { MODE_CLOSED, OP_CHUNKS, OP_VIEW, modeAllows } from "./core/modes";
import {
  SEGMENT_SIZE, alignDown, alignUp, pieceLength, sliceRange, withinOneSegment,
} from "./core/range";
import { MAX_SAFE_INTEGER, TAG_ABSENT, decodeOperand, tagOf } from "./core/operands";
import { actionChunk, planAdvice } from "./core/advice";

// The pure building blocks, exported as they are so tests reach them through the wasm.
export { sliceRange, alignDown, alignUp, pieceLength, withinOneSegment, prefetchChunk } from "./core/range";
export { modeAllows } from "./core/modes";
export { planAdvice, platformAction, actionChunk } from "./core/advice";
export { isOperandNumber } from "./core/operands";
export { withinMapBudget, withinAddressBudget, actionSplitsMapping, mapHeadroom } from "./core/budget";

const SLOT_OFFSET: usize = 0; // in: offset operand, or the size for prepareSize
const SLOT_LENGTH: usize = 1; // in: length operand
const SLOT_START: usize = 2; // out: first byte of the range
const SLOT_COUNT: usize = 3; // out: bytes in the range (or the checked size)
const SLOT_ALIGNED_START: usize = 4; // out: page-aligned start
const SLOT_ALIGNED_END: usize = 5; // out: page-aligned end, clamped to the mapping
const SLOT_SCRATCH_A: usize = 6;
const SLOT_SCRATCH_B: usize = 7;
const BLOCK: usize = memory.data(8 * 8, 8);

function slot(index: usize): usize {
  return BLOCK + index * 8;
}

/** Address of the argument block (eight 8-byte slots). */
export function argumentBlock(): usize {
  return BLOCK;
}

export function segmentSize(): f64 {
  return <f64>SEGMENT_SIZE;
}

/**
 * Checks a call on a range of a mapping: state, operands, mode, bounds, in that order.
 * `tags` describes the offset and length operands; an absent length means "to the end".
 * On PROCEED the range, and its page-aligned cover, are in the output slots.
 */
export function prepareRange(op: i32, mode: i32, tags: u32, total: f64, page: u32): i32 {
  if (mode == MODE_CLOSED) return CLOSED;
  const offsetAt = slot(SLOT_SCRATCH_A);
  const lengthAt = slot(SLOT_SCRATCH_B);
  let status = decodeOperand(slot(SLOT_OFFSET), tagOf(tags, 0), offsetAt);
  if (status < 0) return status;
  status = decodeOperand(slot(SLOT_LENGTH), tagOf(tags, 1), lengthAt);
  if (status < 0) return status;
  const rule = modeAllows(mode, op);
  if (rule < 0) return rule;

  const size = <u64>total;
  const offset = load<u64>(offsetAt);
  let length = load<u64>(lengthAt);
  if (tagOf(tags, 1) == TAG_ABSENT) {
    if (offset > size) return OUT_OF_BOUNDS;
    length = size - offset;
  } else if (length == 0) {
    return NOTHING_TO_DO;
  }
  status = sliceRange(offset, length, size);
  if (status < 0) return status;
  if (rule == NOTHING_TO_DO) return NOTHING_TO_DO;
  if (length == 0) return NOTHING_TO_DO;
  if ((op == OP_VIEW || op == OP_CHUNKS) && !withinOneSegment(offset, length)) {
    return VIEW_SPANS_SEGMENTS;
  }
  const pageSize = <u64>page;
  store<f64>(slot(SLOT_START), <f64>offset);
  store<f64>(slot(SLOT_COUNT), <f64>length);
  store<f64>(slot(SLOT_ALIGNED_START), <f64>alignDown(offset, pageSize));
  store<f64>(slot(SLOT_ALIGNED_END), <f64>alignUp(offset + length, pageSize, size));
  return PROCEED;
}

/**
 * Checks a size operand (createRw, resize, chunks). A file's size must stay a safe
 * integer; a chunk size must be at least one byte. `mode` is the mapping's, or MODE_RW
 * for a file about to be created. The checked size is put in the count slot.
 */
export function prepareSize(op: i32, mode: i32, tags: u32): i32 {
  if (mode == MODE_CLOSED) return CLOSED;
  const sizeAt = slot(SLOT_SCRATCH_A);
  const status = decodeOperand(slot(SLOT_OFFSET), tagOf(tags, 0), sizeAt);
  if (status < 0) return status;
  const size = load<u64>(sizeAt);
  if (tagOf(tags, 0) == TAG_ABSENT) return INVALID_ARGUMENT;
  if (size > <u64>MAX_SAFE_INTEGER) return INVALID_ARGUMENT;
  if (op == OP_CHUNKS && size == 0) return INVALID_ARGUMENT;
  const rule = modeAllows(mode, op);
  if (rule < 0) return rule;
  store<f64>(slot(SLOT_COUNT), <f64>size);
  return PROCEED;
}

/**
 * Advice check and action; see core/advice.ts. The advice arrives as an f64 so that a
 * fractional or out-of-range number is refused here rather than truncated on the way in.
 */
export function adviceAction(platform: i32, advice: f64, mode: i32, allowDiscard: bool): i32 {
  if (mode == MODE_CLOSED) return CLOSED;
  if (!(advice >= 0 && advice <= 255 && advice == Math.floor(advice))) return INVALID_ARGUMENT;
  return planAdvice(platform, <i32>advice, mode, allowDiscard);
}

/** Largest piece for `action` (0: split at segment boundaries only), as an f64. */
export function actionPiece(action: i32, readAheadWindow: f64, page: u32): f64 {
  return <f64>actionChunk(action, <u64>readAheadWindow, <u64>page);
}

/** Length of the piece starting at `pos` of `[pos, end)`; see core/range.ts. */
export function nextPiece(pos: f64, end: f64, maxPiece: f64): f64 {
  return <f64>pieceLength(<u64>pos, <u64>end, <u64>maxPiece);
}

// Constants the host reads instead of repeating them.
export {
  PROCEED, NOTHING_TO_DO, INVALID_ARGUMENT, OUT_OF_BOUNDS, INVALID_MODE, CLOSED,
  DISCARDS_PRIVATE_WRITES, VIEW_SPANS_SEGMENTS, MAP_COUNT_EXCEEDED, TRUNCATED,
  NO_EXTERNAL_BUFFERS,
} from "./core/status";
export {
  MODE_RO, MODE_RW, MODE_COW, MODE_CLOSED, OP_READ, OP_WRITE, OP_VIEW, OP_ADVISE, OP_FLUSH,
  OP_RESIDENCY, OP_LOCK, OP_RESIZE, OP_CHUNKS,
} from "./core/modes";
export { TAG_NUMBER, TAG_BIGINT, TAG_ABSENT, TAG_INVALID } from "./core/operands";
export {
  PLATFORM_LINUX, PLATFORM_DARWIN, PLATFORM_FREEBSD, PLATFORM_WIN32, PLATFORM_OTHER,
  ACTION_NONE, ACTION_MADV_NORMAL, ACTION_MADV_SEQUENTIAL, ACTION_MADV_RANDOM,
  ACTION_MADV_WILLNEED, ACTION_MADV_DONTNEED, ACTION_MADV_HUGEPAGE, ACTION_MADV_NOHUGEPAGE,
  ACTION_MADV_COLD, ACTION_MADV_PAGEOUT, ACTION_MADV_POPULATE_READ, ACTION_PREFETCH_VIRTUAL_MEMORY,
  ADVICE_NORMAL, ADVICE_SEQUENTIAL, ADVICE_RANDOM, ADVICE_WILLNEED,
  ADVICE_DONTNEED, ADVICE_NOREUSE, ADVICE_HUGEPAGE, ADVICE_NOHUGEPAGE, ADVICE_COLD,
  ADVICE_PAGEOUT, ADVICE_POPULATE_READ,
} from "./core/advice";
