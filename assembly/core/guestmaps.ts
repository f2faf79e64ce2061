// The table of guest mappings (ABI version 2) of one guest instance, and the ranges of
// guest memory the host grew for them. A guest mapping shows bytes [offset, offset + len)
// of a handle's file at guest address `addr`; the pages beneath it are the span
// [spanStart, spanStart + spanLen), page-aligned, with addr congruent to offset modulo
// the page size. Spans never overlap each other or memory the guest had before: they
// are carved out of memory the host grew for them, and a released span is reused.
// All arithmetic is u64 in subtraction form: nothing here can overflow.

/** Most guest mappings one guest may hold at once. */
export const GUEST_MAPPING_CAPACITY: u32 = 4096;
// Free ranges: at most one more than the live spans, since adjacent ranges are merged.
const FREE_CAPACITY: u32 = GUEST_MAPPING_CAPACITY + 2;

const ENTRY_SIZE: usize = 48;
// Entry layout: addr u32 @0, prot u8 @4, flags u8 @5, len u64 @8, offset u64 @16,
// spanStart u64 @24, spanLen u64 @32, handle u32 @40.
const FLAG_LIVE: u8 = 1;
/** Writable, and its stores reach the file (prot 3 of an rw handle). */
export const FLAG_SHARED_WRITABLE: u8 = 2;
/** Writable, and its stores stay private (prot 3 of a cow handle). */
export const FLAG_PRIVATE_WRITABLE: u8 = 4;
/** The handle it was made through is closed; a later handle may have the same number. */
const FLAG_HANDLE_CLOSED: u8 = 8;

let entries: usize = 0;
let highWater: u32 = 0; // entries at or above this index were never used
let liveCount: u32 = 0;
let freeRanges: usize = 0; // FREE_CAPACITY pairs (start u64, len u64), sorted by start
let freeCount: u32 = 0;

export function initGuestMaps(): void {
  entries = heap.alloc(<usize>GUEST_MAPPING_CAPACITY * ENTRY_SIZE);
  memory.fill(entries, 0, <usize>GUEST_MAPPING_CAPACITY * ENTRY_SIZE);
  freeRanges = heap.alloc(<usize>FREE_CAPACITY * 16);
  highWater = 0;
  liveCount = 0;
  freeCount = 0;
}

function entry(index: u32): usize {
  return entries + <usize>index * ENTRY_SIZE;
}

/**
 * Bytes of the page-aligned span that holds `[offset, offset + len)`, given the lead
 * `offset % page`. `len` is below 2^53 (it passed the range check), so nothing overflows.
 */
export function spanLength(lead: u64, len: u64, page: u64): u64 {
  const mask = page - 1;
  return (lead + len + mask) & ~mask;
}

/** A free entry index, or -1 when the table is full. */
export function freeEntry(): i32 {
  if (liveCount >= GUEST_MAPPING_CAPACITY) return -1;
  for (let index: u32 = 0; index < highWater; index++) {
    if ((load<u8>(entry(index), 5) & FLAG_LIVE) == 0) return <i32>index;
  }
  return highWater < GUEST_MAPPING_CAPACITY ? <i32>highWater : -1;
}

export function occupyEntry(index: u32, addr: u32, len: u64, offset: u64, spanStart: u64, spanLen: u64,
  handle: u32, prot: i32, flags: u8): void {
  const at = entry(index);
  store<u32>(at, addr);
  store<u8>(at, <u8>prot, 4);
  store<u8>(at, flags | FLAG_LIVE, 5);
  store<u64>(at, len, 8);
  store<u64>(at, offset, 16);
  store<u64>(at, spanStart, 24);
  store<u64>(at, spanLen, 32);
  store<u32>(at, handle, 40);
  if (index >= highWater) highWater = index + 1;
  liveCount++;
}

export function releaseEntry(index: u32): void {
  store<u8>(entry(index), 0, 5);
  liveCount--;
}

export function entryAddr(index: u32): u64 { return <u64>load<u32>(entry(index)); }
export function entryLen(index: u32): u64 { return load<u64>(entry(index), 8); }
export function entryFlags(index: u32): u8 { return load<u8>(entry(index), 5); }
export function entrySpanStart(index: u32): u64 { return load<u64>(entry(index), 24); }
export function entrySpanLen(index: u32): u64 { return load<u64>(entry(index), 32); }
/** True if live entry `index` was made through `handle` and that handle is still open. */
export function madeThrough(index: u32, handle: u32): bool {
  return (load<u8>(entry(index), 5) & FLAG_HANDLE_CLOSED) == 0 && load<u32>(entry(index), 40) == handle;
}

/** `handle` is being closed: its mappings live on, but no longer belong to that number. */
export function detachHandle(handle: u32): void {
  for (let index: u32 = 0; index < highWater; index++) {
    if (isLive(index) && madeThrough(index, handle)) store<u8>(entry(index), load<u8>(entry(index), 5) | FLAG_HANDLE_CLOSED, 5);
  }
}

/** The live entry that is exactly `[addr, addr + len)`, or -1. */
export function findExact(addr: u32, len: u64): i32 {
  for (let index: u32 = 0; index < highWater; index++) {
    const at = entry(index);
    if ((load<u8>(at, 5) & FLAG_LIVE) != 0 && load<u32>(at) == addr && load<u64>(at, 8) == len) return <i32>index;
  }
  return -1;
}

/**
 * The live entry whose bytes hold `[addr, addr + len)`, or -1. With `len` 0, `addr` may
 * also be the mapping's end.
 */
export function findContaining(addr: u32, len: u64): i32 {
  for (let index: u32 = 0; index < highWater; index++) {
    const at = entry(index);
    if ((load<u8>(at, 5) & FLAG_LIVE) == 0) continue;
    const start = load<u32>(at);
    if (addr < start) continue;
    const size = load<u64>(at, 8);
    const into = <u64>(addr - start);
    if (into > size || len > size - into) continue;
    return <i32>index;
  }
  return -1;
}

export function entryLimit(): u32 { return highWater; }
export function isLive(index: u32): bool { return (load<u8>(entry(index), 5) & FLAG_LIVE) != 0; }

function freeStart(index: u32): u64 { return load<u64>(freeRanges + <usize>index * 16); }
function freeLen(index: u32): u64 { return load<u64>(freeRanges + <usize>index * 16, 8); }
function setFree(index: u32, start: u64, len: u64): void {
  store<u64>(freeRanges + <usize>index * 16, start);
  store<u64>(freeRanges + <usize>index * 16, len, 8);
}

/**
 * Takes `len` bytes from the first free range with room for them at a start congruent to
 * `want` modulo `align` (a power of two; 1 takes any start): that start, or
 * u64.MAX_VALUE if no range has room. Free ranges start on page boundaries and hold whole
 * pages, and `len` and `want` are whole pages, so what is taken is page-aligned. What the
 * range had before and after the taken bytes stays free.
 */
export function takeFree(len: u64, align: u64, want: u64): u64 {
  for (let index: u32 = 0; index < freeCount; index++) {
    const have = freeLen(index);
    const start = freeStart(index);
    const skip = (want - start) & (align - 1);
    if (have < len || have - len < skip) continue;
    memory.copy(freeRanges + <usize>index * 16, freeRanges + <usize>(index + 1) * 16, <usize>(freeCount - index - 1) * 16);
    freeCount--;
    giveFree(start, skip);
    giveFree(start + skip + len, have - skip - len);
    return start + skip;
  }
  return u64.MAX_VALUE;
}

/**
 * Gives `[start, start + len)` back, merged with its neighbours. False if the list is full
 * (it cannot be while spans are at most GUEST_MAPPING_CAPACITY: the bytes are then lost
 * to reuse, never handed out twice).
 */
export function giveFree(start: u64, len: u64): bool {
  if (len == 0) return true;
  let at: u32 = 0;
  while (at < freeCount && freeStart(at) < start) at++;
  const mergesBefore = at > 0 && freeStart(at - 1) + freeLen(at - 1) == start;
  const mergesAfter = at < freeCount && start + len == freeStart(at);
  if (mergesBefore && mergesAfter) {
    setFree(at - 1, freeStart(at - 1), freeLen(at - 1) + len + freeLen(at));
    memory.copy(freeRanges + <usize>at * 16, freeRanges + <usize>(at + 1) * 16, <usize>(freeCount - at - 1) * 16);
    freeCount--;
  } else if (mergesBefore) {
    setFree(at - 1, freeStart(at - 1), freeLen(at - 1) + len);
  } else if (mergesAfter) {
    setFree(at, start, len + freeLen(at));
  } else {
    if (freeCount >= FREE_CAPACITY) return false;
    memory.copy(freeRanges + <usize>(at + 1) * 16, freeRanges + <usize>at * 16, <usize>(freeCount - at) * 16);
    setFree(at, start, len);
    freeCount++;
  }
  return true;
}
