// The handle table of one guest instance. A handle packs the slot index (12 bits), the
// slot's generation (9 bits: a closed handle stays closed after its slot is reused) and
// a tag of this instance (11 bits: a handle from another instance is not valid here).
// Slots are handed out in turn (next fit), so a closed handle could only come back
// after 512 reuses of every slot, about two million opens.

export const HANDLE_CAPACITY: u32 = 4096; // slots; index fits 12 bits
const ENTRY_SIZE: usize = 16;
const FREE: u8 = 0;
const OPEN: u8 = 1;

let table: usize = 0;
let limit: u32 = 0;
let tag: u32 = 0;
let openCount: u32 = 0;
let nextSlot: u32 = 0;
const GENERATION_MASK: u32 = 0x1ff;

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
  if (table == 0 || handle >> 21 != tag) return -1;
  const at = entry(index);
  if (load<u8>(at, 8) != OPEN || <u32>load<u16>(at, 10) != ((handle >> 12) & GENERATION_MASK)) return -1;
  return <i32>index;
}

/** A free slot, or -1 when the limit on open handles is reached. */
export function allocate(): i32 {
  if (table == 0 || openCount >= limit) return -1;
  for (let step: u32 = 0; step < HANDLE_CAPACITY; step++) {
    const index = (nextSlot + step) & (HANDLE_CAPACITY - 1);
    if (load<u8>(entry(index), 8) == FREE) {
      nextSlot = (index + 1) & (HANDLE_CAPACITY - 1);
      return <i32>index;
    }
  }
  return -1;
}

export function occupy(index: u32, length: u64, mode: i32): u32 {
  const at = entry(index);
  store<u64>(at, length);
  store<u8>(at, OPEN, 8);
  store<u8>(at, <u8>mode, 9);
  openCount++;
  return index | (<u32>load<u16>(at, 10) << 12) | (tag << 21);
}

export function release(index: u32): void {
  const at = entry(index);
  store<u8>(at, FREE, 8);
  // A new generation: the old handle stays invalid.
  store<u16>(at, <u16>((<u32>load<u16>(at, 10) + 1) & GENERATION_MASK), 10);
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
