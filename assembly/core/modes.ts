// What each kind of mapping may do, and what a refusal becomes.

import { CLOSED, INVALID_MODE, NOTHING_TO_DO, PROCEED } from "./status";

// Modes, numbered as the guest ABI numbers them for `open`.
export const MODE_RO: i32 = 0;
export const MODE_RW: i32 = 1;
export const MODE_COW: i32 = 2;
/** Host-side state of a mapping after close(). */
export const MODE_CLOSED: i32 = 3;

// Operations the rules know about.
export const OP_READ: i32 = 0;
export const OP_WRITE: i32 = 1;
export const OP_VIEW: i32 = 2;
export const OP_ADVISE: i32 = 3;
export const OP_FLUSH: i32 = 4;
export const OP_RESIDENCY: i32 = 5;
export const OP_LOCK: i32 = 6;
export const OP_RESIZE: i32 = 7;
export const OP_CHUNKS: i32 = 8;

export function isMode(mode: i32): bool {
  return u32(mode) <= u32(MODE_COW);
}

/**
 * ro: read, advise, view, lock; a flush has nothing to write.
 * cow: ro plus private writes; a flush has nothing to write (writes stay private).
 * rw: everything; only rw may resize, because only rw changes the file.
 */
export function modeAllows(mode: i32, op: i32): i32 {
  if (mode == MODE_CLOSED) return CLOSED;
  if (!isMode(mode)) return INVALID_MODE;
  if (op == OP_WRITE) return mode == MODE_RO ? INVALID_MODE : PROCEED;
  if (op == OP_RESIZE) return mode == MODE_RW ? PROCEED : INVALID_MODE;
  if (op == OP_FLUSH) return mode == MODE_RW ? PROCEED : NOTHING_TO_DO;
  return PROCEED;
}
