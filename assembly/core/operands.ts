// Offsets and lengths as a JavaScript caller passed them. The host writes each operand
// into a slot of the argument block with a tag saying what it was; the core alone decides
// whether it is acceptable.

import { INVALID_ARGUMENT, PROCEED } from "./status";

export const TAG_NUMBER: u32 = 0; // slot holds an f64
export const TAG_BIGINT: u32 = 1; // slot holds a u64 (the host wrote it only if it fit)
export const TAG_ABSENT: u32 = 2; // the caller left the operand out
export const TAG_INVALID: u32 = 3; // not a number or bigint, or a bigint outside u64

/** Tags are packed two bits per operand, operand 0 in the lowest bits. */
export function tagOf(tags: u32, index: u32): u32 {
  return (tags >> (index * 2)) & 3;
}

export const MAX_SAFE_INTEGER: f64 = 9007199254740991.0;

/** A number is an operand when it is a non-negative safe integer. NaN fails every test. */
export function isOperandNumber(value: f64): bool {
  return value >= 0 && value <= MAX_SAFE_INTEGER && value == Math.floor(value);
}

/** Reads the operand in `slot` into `decoded`, or refuses it. Absent operands read as 0. */
export function decodeOperand(slot: usize, tag: u32, decoded: usize): i32 {
  if (tag == TAG_ABSENT) {
    store<u64>(decoded, 0);
    return PROCEED;
  }
  if (tag == TAG_BIGINT) {
    store<u64>(decoded, load<u64>(slot));
    return PROCEED;
  }
  if (tag == TAG_NUMBER) {
    const value = load<f64>(slot);
    if (!isOperandNumber(value)) return INVALID_ARGUMENT;
    store<u64>(decoded, <u64>value);
    return PROCEED;
  }
  return INVALID_ARGUMENT;
}
