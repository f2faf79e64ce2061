// The handle table of one guest instance. A handle packs the slot index, the slot's
// generation (so a closed handle stays closed after its slot is reused) and a tag unique
// to this instance (so a handle from another instance is never valid here).

export const HANDLE_CAPACITY: u32 = 4096; // slots; index fits 12 bits
const ENTRY_SIZE: usize = 16;
const FREE: u8 = 0;
const OPEN: u8 = 1;

let table: usize = 0;
let limit: u32 = 0;
let tag: u32 = 0;
let openCount: u32 = 0;

export function initHandles(instanceTag: u32, maxHandles: u32): void {
  table = heap.alloc(<usize>HANDLE_CAPACITY * ENTRY_SIZE);
  memory.fill(table, 0, <usize>HANDLE_CAPACITY * ENTRY_SIZE);
  tag = instanceTag & 0x7ff;
  limit = maxHandles < HANDLE_CAPACITY ? maxHandles : HANDLE_CAPACITY;
}

function entry(index: u32): usize {
  return table + <usize>index * ENTRY_SIZE;
}

/** Slot of an open handle of this instance, or -1. */
export function lookup(handle: u32): i32 {
  const index = handle & 0xfff;
  if (table == 0 || handle >> 20 != tag) return -1;
  const at = entry(index);
  if (load<u8>(at, 8) != OPEN || <u32>load<u8>(at, 10) != ((handle >> 12) & 0xff)) return -1;
  return <i32>index;
}

/** A free slot, or -1 when the limit on open handles is reached. */
export function allocate(): i32 {
  if (table == 0 || openCount >= limit) return -1;
  for (let index: u32 = 0; index < HANDLE_CAPACITY; index++) {
    if (load<u8>(entry(index), 8) == FREE) return <i32>index;
  }
  return -1;
}

export function occupy(index: u32, length: u64, mode: i32): u32 {
  const at = entry(index);
  store<u64>(at, length);
  store<u8>(at, OPEN, 8);
  store<u8>(at, <u8>mode, 9);
  openCount++;
  return index | (<u32>load<u8>(at, 10) << 12) | (tag << 20);
}

export function release(index: u32): void {
  const at = entry(index);
  store<u8>(at, FREE, 8);
  store<u8>(at, load<u8>(at, 10) + 1, 10); // a new generation: the old handle stays invalid
  openCount--;
}

export function lengthOf(index: u32): u64 {
  return load<u64>(entry(index));
}

export function setLength(index: u32, length: u64): void {
  store<u64>(entry(index), length);
}

export function modeOf(index: u32): i32 {
  return <i32>load<u8>(entry(index), 9);
}
