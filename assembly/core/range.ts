// Range arithmetic on u64, written once. Offsets and lengths are unsigned: a value that
// was negative on the caller's side arrives huge and fails the same comparisons.

import { OUT_OF_BOUNDS, PROCEED } from "./status";

/**
 * Checks `[offset, offset + len)` against a mapping of `total` bytes.
 * Subtraction form, so `offset + len` is never computed and cannot overflow.
 */
export function sliceRange(offset: u64, len: u64, total: u64): i32 {
  if (offset > total) return OUT_OF_BOUNDS;
  if (len > total - offset) return OUT_OF_BOUNDS;
  return PROCEED;
}

/** Start of the page holding `offset`. `page` is a power of two. */
export function alignDown(offset: u64, page: u64): u64 {
  return offset & ~(page - 1);
}

/**
 * End of the page holding byte `end - 1`, clamped to the mapping's page-rounded length.
 * `end <= total` holds after sliceRange, and total < 2^63, so nothing overflows.
 */
export function alignUp(end: u64, page: u64, total: u64): u64 {
  const mask = page - 1;
  const roundedEnd = (end + mask) & ~mask;
  const roundedTotal = (total + mask) & ~mask;
  return roundedEnd < roundedTotal ? roundedEnd : roundedTotal;
}

/**
 * Files larger than the biggest ArrayBuffer a runtime can wrap are mapped as consecutive
 * segments of this size (4 GiB: page- and Windows-allocation-granularity aligned).
 */
export const SEGMENT_SIZE: u64 = 1 << 32;

/**
 * Length of the piece of `[pos, end)` that starts at `pos`: at most `maxPiece` bytes and
 * never across a segment boundary. Iterating `pos += piece` walks the whole range.
 */
export function pieceLength(pos: u64, end: u64, maxPiece: u64): u64 {
  let len = end - pos;
  const toSegmentEnd = SEGMENT_SIZE - (pos & (SEGMENT_SIZE - 1));
  if (len > toSegmentEnd) len = toSegmentEnd;
  if (maxPiece != 0 && len > maxPiece) len = maxPiece;
  return len;
}

/** True when `[start, start + len)` (len > 0) lies inside one segment. */
export function withinOneSegment(start: u64, len: u64): bool {
  return start / SEGMENT_SIZE == (start + len - 1) / SEGMENT_SIZE;
}

/** Read-ahead window assumed when the host cannot find the device's own. */
export const DEFAULT_READ_AHEAD: u64 = 128 * 1024;

/**
 * Largest piece for one WillNeed call: Linux reads ahead at most the device's read-ahead
 * window per call, so a bigger range is issued as several calls of at most that size.
 * The window is rounded down to whole pages, and is at least one page.
 */
export function prefetchChunk(window: u64, page: u64): u64 {
  let chunk = window == 0 ? DEFAULT_READ_AHEAD : window;
  if (chunk > SEGMENT_SIZE) chunk = SEGMENT_SIZE;
  chunk = alignDown(chunk, page);
  return chunk < page ? page : chunk;
}
