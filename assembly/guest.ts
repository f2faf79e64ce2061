// Entry point of build/guest.wasm: the `mmap_wasi` import module of one guest instance
// (docs/abi.md). Each guest gets its own instance of this module, and its exports are the
// guest's imports: a call is checked here (handle, mode, u64 range, guest-memory bounds,
// advice, path and grant) and only a validated operation reaches the host.

import {
  ERRNO_ACCES, ERRNO_BADF, ERRNO_FAULT, ERRNO_ILSEQ, ERRNO_INVAL, ERRNO_MFILE,
  ERRNO_NOMEM, ERRNO_NOTCAPABLE, ERRNO_NOTSUP, ERRNO_RANGE, ERRNO_SUCCESS, errnoOfHostResult,
} from "./core/errno";
import { alignDown, alignUp, sliceRange } from "./core/range";
import { MODE_COW, MODE_RO, MODE_RW, isMode } from "./core/modes";
import { ACTION_NONE, ADVICE_DONTNEED, isGuestAdvice, platformAction } from "./core/advice";
import { MAX_SAFE_INTEGER } from "./core/operands";
import {
  HANDLE_CAPACITY, allocate, initHandles, lengthOf, lookup, modeOf, occupy, release, setLength,
} from "./core/handles";
import { GRANT_RO, containsNul, normalizePath, remainderAfter } from "./core/paths";
import {
  FLAG_PRIVATE_WRITABLE, FLAG_SHARED_WRITABLE, detachHandle, entryAddr, entryFlags, entryLen, entryLimit, entrySpanLen,
  entrySpanStart, findContaining, findExact, freeEntry, giveFree, initGuestMaps, isLive, occupyEntry,
  madeThrough, releaseEntry, spanLength, takeFree,
} from "./core/guestmaps";
import { isValidUtf8 } from "./core/utf8";

export * from "./core/errno";

export { GRANT_RO, GRANT_RW } from "./core/paths";

// What the host does once a call is checked. Positions are f64 (exact below 2^53);
// results are 0 or a host failure id (errno.ts).
@external("host", "memory_size") declare function hostMemorySize(): f64;
@external("host", "copy_from_guest") declare function hostCopyFromGuest(guestPtr: u32, len: u32, corePtr: usize): void;
@external("host", "store_u32") declare function hostStoreU32(guestPtr: u32, value: u32): void;
@external("host", "store_u64") declare function hostStoreU64(guestPtr: u32, low: u32, high: u32): void;
/** Opens (or creates) the file; returns its length, or a failure id. */
@external("host", "open_file") declare function hostOpenFile(
  slot: u32, grant: u32, relPtr: usize, relLen: u32, mode: i32, create: i32, size: f64): f64;
/**
 * Writes the guest path of the file behind WASI descriptor `fd` to `corePtr` if it fits
 * in `capacity` bytes; returns its length, FD_PATH_NO_TABLE or FD_PATH_NOT_HELD.
 */
@external("host", "fd_path") declare function hostFdPath(fd: u32, corePtr: usize, capacity: u32): i32;
const FD_PATH_NO_TABLE: i32 = -1;
@external("host", "map_file") declare function hostMapFile(slot: u32): i32;
@external("host", "close_file") declare function hostCloseFile(slot: u32): i32;
@external("host", "copy_out") declare function hostCopyOut(slot: u32, offset: f64, guestPtr: u32, len: u32): i32;
@external("host", "copy_in") declare function hostCopyIn(slot: u32, offset: f64, guestPtr: u32, len: u32): i32;
@external("host", "advise") declare function hostAdvise(slot: u32, start: f64, end: f64, action: i32): i32;
@external("host", "flush") declare function hostFlush(slot: u32, start: f64, end: f64): i32;
@external("host", "resize") declare function hostResize(slot: u32, newLength: f64): i32;
/** Resident pages of the page-aligned range, or a failure id. */
@external("host", "resident") declare function hostResident(slot: u32, start: f64, end: f64): f64;
/** Grows the guest's memory by `bytes` (whole 64 KiB pages): its old size, or -1. */
@external("host", "grow_memory") declare function hostGrowMemory(bytes: f64): f64;
/**
 * Makes the span `[spanStart, spanStart + spanLen)` of guest memory show the file of
 * `slot` from `fileStart`; the mapping asked for is `[addr, addr + len)` in it, and those
 * bytes must exist in the file. `flags` says whether stores reach the file
 * (FLAG_SHARED_WRITABLE) or stay private.
 */
@external("host", "map_guest") declare function hostMapGuest(
  entry: u32, slot: u32, fileStart: f64, spanStart: f64, spanLen: f64, addr: f64, len: f64, flags: i32): i32;
/** Releases a guest mapping's span: it reads as zeros afterwards. */
@external("host", "unmap_guest") declare function hostUnmapGuest(entry: u32): i32;
/** Durable write-back of the guest addresses `[start, end)` of a writable mapping. */
@external("host", "sync_guest") declare function hostSyncGuest(entry: u32, start: f64, end: f64): i32;
/** Advice for the page-aligned guest addresses `[start, end)` of a mapping. */
@external("host", "advise_guest") declare function hostAdviseGuest(entry: u32, start: f64, end: f64, action: i32): i32;

const PATH_CAPACITY: u32 = 4096;
const MAX_GRANTS: i32 = 64;

let pageSize: u64 = 4096;
let platform: i32 = 0;
let maxMappedBytes: u64 = 0;
let mappedBytes: u64 = 0;
let rawPath: usize = 0;
let normalPath: usize = 0;
let grantCount: i32 = 0;
let grantTable: usize = 0; // MAX_GRANTS entries of (prefix ptr: u32, prefix len: u32, access: u32)

/**
 * Sets this instance up; the host calls it once, before any guest call. `maxMapped` may be
 * Infinity. Returns the address of the staging buffer the host writes grant prefixes to.
 */
export function init(instanceTag: u32, maxHandles: u32, maxMapped: f64, page: u32, platformCode: i32): usize {
  initHandles(instanceTag, maxHandles);
  maxMappedBytes = maxMapped >= 18446744073709551615.0 ? u64.MAX_VALUE : <u64>maxMapped;
  pageSize = <u64>page;
  platform = platformCode;
  rawPath = heap.alloc(PATH_CAPACITY);
  normalPath = heap.alloc(PATH_CAPACITY);
  grantTable = heap.alloc(<usize>MAX_GRANTS * 12);
  initGuestMaps();
  return rawPath;
}

/**
 * Adds a grant whose guest prefix (`len` bytes) the host wrote to the staging buffer.
 * Returns the grant's index, or -1 for a prefix that is not an absolute UTF-8 path.
 */
export function add_grant(len: u32, access: i32): i32 {
  if (grantCount >= MAX_GRANTS || len == 0 || len > PATH_CAPACITY) return -1;
  if (!isValidUtf8(rawPath, len) || containsNul(rawPath, len)) return -1;
  const normalLen = normalizePath(rawPath, len, normalPath);
  if (normalLen < 0) return -1;
  const copy = heap.alloc(<usize>normalLen);
  memory.copy(copy, normalPath, <usize>normalLen);
  const at = grantTable + <usize>grantCount * 12;
  store<u32>(at, <u32>copy);
  store<u32>(at, <u32>normalLen, 4);
  store<u32>(at, <u32>access, 8);
  return grantCount++;
}

/**
 * The guest memory's size when the host last reported it. A memory only grows, so a
 * range below it is inside the memory, and only a range past it costs a call to the
 * host. The host resets it when it attaches another memory.
 */
let knownMemorySize: u64 = 0;

/** True when `[ptr, ptr + len)` lies wholly inside the guest's memory. */
function inGuestMemory(ptr: u32, len: u32): bool {
  const end = <u64>ptr + <u64>len;
  if (end <= knownMemorySize) return true;
  knownMemorySize = <u64>hostMemorySize();
  return end <= knownMemorySize;
}

/** The host attached a memory: forget the size of any earlier one. */
export function memory_attached(): void {
  knownMemorySize = 0;
}

function storeU64(ptr: u32, value: u64): void {
  hostStoreU64(ptr, <u32>value, <u32>(value >> 32));
}

export function page_size(): i32 {
  return <i32>pageSize;
}

/**
 * Checks the path the guest passed (already copied to the staging buffer) and the access
 * asked for, then has the host open the file into `slot`. Returns the file's length, or a
 * negative errno.
 */
function openChecked(slot: u32, pathLen: u32, mode: i32, create: bool, size: u64): i64 {
  if (pathLen == 0 || containsNul(rawPath, pathLen)) return -ERRNO_INVAL;
  if (!isValidUtf8(rawPath, pathLen)) return -ERRNO_ILSEQ;
  const normalLen = normalizePath(rawPath, pathLen, normalPath);
  if (normalLen < 0) return -ERRNO_NOTCAPABLE;
  // The longest granted prefix the path lies beneath decides.
  let grant: i32 = -1;
  let remainder: isize = -1;
  let bestLen: u32 = 0;
  for (let index = 0; index < grantCount; index++) {
    const at = grantTable + <usize>index * 12;
    const prefixLen = load<u32>(at, 4);
    const rest = remainderAfter(normalPath, <usize>normalLen, <usize>load<u32>(at), <usize>prefixLen);
    if (rest >= 0 && (grant < 0 || prefixLen > bestLen)) {
      grant = index;
      remainder = rest;
      bestLen = prefixLen;
    }
  }
  if (grant < 0) return -ERRNO_NOTCAPABLE;
  const access = <i32>load<u32>(grantTable + <usize>grant * 12, 8);
  if ((mode == MODE_RW || create) && access == GRANT_RO) return -ERRNO_NOTCAPABLE;
  const relLen = <u32>(normalLen - remainder);
  const length = hostOpenFile(slot, <u32>grant, normalPath + <usize>remainder, relLen, mode, create ? 1 : 0, <f64>size);
  if (length < 0) return -errnoOfHostResult(<i32>length);
  return <i64>length;
}

/** Shared tail of open and create: the limit on mapped bytes, the mapping, the handle. */
function finishOpen(slot: u32, length: u64, mode: i32, outHandlePtr: u32): i32 {
  if (length > maxMappedBytes - mappedBytes || mappedBytes > maxMappedBytes) {
    hostCloseFile(slot);
    return ERRNO_NOMEM;
  }
  const mapped = hostMapFile(slot);
  if (mapped < 0) {
    hostCloseFile(slot);
    return errnoOfHostResult(mapped);
  }
  mappedBytes += length;
  hostStoreU32(outHandlePtr, occupy(slot, length, mode));
  return ERRNO_SUCCESS;
}

export function open(pathPtr: u32, pathLen: u32, mode: i32, outHandlePtr: u32): i32 {
  if (!isMode(mode)) return ERRNO_INVAL;
  if (!inGuestMemory(pathPtr, pathLen) || !inGuestMemory(outHandlePtr, 4)) return ERRNO_FAULT;
  if (pathLen > PATH_CAPACITY) return ERRNO_INVAL;
  hostCopyFromGuest(pathPtr, pathLen, rawPath);
  const slot = allocate();
  if (slot < 0) return ERRNO_MFILE;
  const length = openChecked(<u32>slot, pathLen, mode, false, 0);
  if (length < 0) return <i32>-length;
  return finishOpen(<u32>slot, <u64>length, mode, outHandlePtr);
}

export function create(pathPtr: u32, pathLen: u32, size: u64, outHandlePtr: u32): i32 {
  if (!inGuestMemory(pathPtr, pathLen) || !inGuestMemory(outHandlePtr, 4)) return ERRNO_FAULT;
  if (pathLen > PATH_CAPACITY) return ERRNO_INVAL;
  if (size > <u64>MAX_SAFE_INTEGER) return ERRNO_INVAL;
  if (size > maxMappedBytes - mappedBytes || mappedBytes > maxMappedBytes) return ERRNO_NOMEM;
  hostCopyFromGuest(pathPtr, pathLen, rawPath);
  const slot = allocate();
  if (slot < 0) return ERRNO_MFILE;
  const length = openChecked(<u32>slot, pathLen, MODE_RW, true, size);
  if (length < 0) return <i32>-length;
  return finishOpen(<u32>slot, <u64>length, MODE_RW, outHandlePtr);
}

/**
 * A handle for the file behind a WASI descriptor the guest holds: `open` of that file's
 * path, with the same checks in the same order (mode, out pointer, handle limit, then
 * the file: no file table is notsup, a descriptor not held badf).
 */
export function open_fd(fd: u32, mode: i32, outHandlePtr: u32): i32 {
  if (!isMode(mode)) return ERRNO_INVAL;
  if (!inGuestMemory(outHandlePtr, 4)) return ERRNO_FAULT;
  const slot = allocate();
  if (slot < 0) return ERRNO_MFILE;
  const pathLen = hostFdPath(fd, rawPath, PATH_CAPACITY);
  if (pathLen == FD_PATH_NO_TABLE) return ERRNO_NOTSUP;
  if (pathLen < 0) return ERRNO_BADF;
  if (<u32>pathLen > PATH_CAPACITY) return ERRNO_INVAL;
  const length = openChecked(<u32>slot, <u32>pathLen, mode, false, 0);
  if (length < 0) return <i32>-length;
  return finishOpen(<u32>slot, <u64>length, mode, outHandlePtr);
}

export function len(handle: u32, outLenPtr: u32): i32 {
  const slot = lookup(handle);
  if (slot < 0) return ERRNO_BADF;
  if (!inGuestMemory(outLenPtr, 8)) return ERRNO_FAULT;
  storeU64(outLenPtr, lengthOf(<u32>slot));
  return ERRNO_SUCCESS;
}

export function read(handle: u32, offset: u64, dstPtr: u32, length: u32): i32 {
  const slot = lookup(handle);
  if (slot < 0) return ERRNO_BADF;
  if (!inGuestMemory(dstPtr, length)) return ERRNO_FAULT;
  if (sliceRange(offset, <u64>length, lengthOf(<u32>slot)) < 0) return ERRNO_RANGE;
  if (length == 0) return ERRNO_SUCCESS;
  return errnoOfHostResult(hostCopyOut(<u32>slot, <f64>offset, dstPtr, length));
}

export function write(handle: u32, offset: u64, srcPtr: u32, length: u32): i32 {
  const slot = lookup(handle);
  if (slot < 0) return ERRNO_BADF;
  if (modeOf(<u32>slot) == MODE_RO) return ERRNO_ACCES;
  if (!inGuestMemory(srcPtr, length)) return ERRNO_FAULT;
  if (sliceRange(offset, <u64>length, lengthOf(<u32>slot)) < 0) return ERRNO_RANGE;
  if (length == 0) return ERRNO_SUCCESS;
  return errnoOfHostResult(hostCopyIn(<u32>slot, <f64>offset, srcPtr, length));
}

export function advise(handle: u32, offset: u64, length: u64, advice: i32): i32 {
  const slot = lookup(handle);
  if (slot < 0) return ERRNO_BADF;
  if (!isGuestAdvice(advice)) return ERRNO_INVAL;
  if (length == 0) return ERRNO_SUCCESS;
  const total = lengthOf(<u32>slot);
  if (sliceRange(offset, length, total) < 0) return ERRNO_RANGE;
  // DontNeed would refill a copy-on-write mapping from the file, losing private writes.
  if (advice == ADVICE_DONTNEED && modeOf(<u32>slot) == MODE_COW) return ERRNO_NOTSUP;
  const action = platformAction(platform, advice);
  if (action == ACTION_NONE) return ERRNO_SUCCESS;
  const start = alignDown(offset, pageSize);
  const end = alignUp(offset + length, pageSize, total);
  return errnoOfHostResult(hostAdvise(<u32>slot, <f64>start, <f64>end, action));
}

export function flush(handle: u32, offset: u64, length: u64): i32 {
  const slot = lookup(handle);
  if (slot < 0) return ERRNO_BADF;
  if (length == 0) return ERRNO_SUCCESS;
  const total = lengthOf(<u32>slot);
  if (sliceRange(offset, length, total) < 0) return ERRNO_RANGE;
  if (modeOf(<u32>slot) != MODE_RW) return ERRNO_SUCCESS; // nothing can be dirty
  const start = alignDown(offset, pageSize);
  const end = alignUp(offset + length, pageSize, total);
  const flushed = hostFlush(<u32>slot, <f64>start, <f64>end);
  if (flushed < 0) return errnoOfHostResult(flushed);
  return errnoOfHostResult(syncMappingsOf(handle));
}

export function resize(handle: u32, newLength: u64): i32 {
  const slot = lookup(handle);
  if (slot < 0) return ERRNO_BADF;
  if (modeOf(<u32>slot) != MODE_RW) return ERRNO_ACCES;
  if (newLength > <u64>MAX_SAFE_INTEGER) return ERRNO_INVAL;
  const oldLength = lengthOf(<u32>slot);
  const others = mappedBytes - oldLength;
  if (newLength > maxMappedBytes - others || others > maxMappedBytes) return ERRNO_NOMEM;
  const result = hostResize(<u32>slot, <f64>newLength);
  if (result < 0) {
    // The old mapping is gone whatever happened: the handle can only be closed now.
    mappedBytes = others;
    setLength(<u32>slot, 0);
    return errnoOfHostResult(result);
  }
  mappedBytes = others + newLength;
  setLength(<u32>slot, newLength);
  return ERRNO_SUCCESS;
}

export function resident(handle: u32, offset: u64, length: u64, outPagesPtr: u32): i32 {
  const slot = lookup(handle);
  if (slot < 0) return ERRNO_BADF;
  if (!inGuestMemory(outPagesPtr, 8)) return ERRNO_FAULT;
  const total = lengthOf(<u32>slot);
  if (sliceRange(offset, length, total) < 0) return ERRNO_RANGE;
  let pages: u64 = 0;
  if (length != 0) {
    const count = hostResident(<u32>slot, <f64>alignDown(offset, pageSize), <f64>alignUp(offset + length, pageSize, total));
    if (count < 0) return errnoOfHostResult(<i32>count);
    pages = <u64>count;
  }
  storeU64(outPagesPtr, pages);
  return ERRNO_SUCCESS;
}

export function close(handle: u32): i32 {
  const slot = lookup(handle);
  if (slot < 0) return ERRNO_BADF;
  mappedBytes -= lengthOf(<u32>slot);
  release(<u32>slot);
  // Handle numbers come round again (after 2^21 opens): flush of a later handle with this
  // number must not write back this one's mappings.
  detachHandle(handle);
  return errnoOfHostResult(hostCloseFile(<u32>slot));
}

/** Most handles one guest may hold open, whatever limit the host asks for. */
export const GUEST_HANDLE_CAPACITY: u32 = HANDLE_CAPACITY;

// ---------------------------------------------------------------------------------------
// Version 2: guest mappings (docs/abi.md). The table and its arithmetic are in
// core/guestmaps.ts; the host grows the memory and maps (or copies) the pages.

export const PROT_READ: i32 = 1;
export const PROT_READ_WRITE: i32 = 3;
/** What map_kind() says: 1, the file's own pages in place; 0, the host copies. */
let mapKind: i32 = 0;
/** Bytes one memory.grow page holds. */
const WASM_PAGE: u64 = 65536;
/** The most bytes a 32-bit guest memory can hold. */
const MEMORY_LIMIT: u64 = 1 << 32;

/**
 * Spans of at least this many bytes are placed so that their host address and their file
 * offset agree modulo 2 MiB. The kernel can then map the page cache's 2 MiB blocks with
 * one huge-page entry each, as it does for a native mmap of a large file, which it places
 * on a 2 MiB boundary: copies and scans through such a mapping run at native speed.
 */
const HUGE_PAGE: u64 = 2 << 20;
/** The host address of guest memory's byte 0, modulo HUGE_PAGE (in place only). */
let baseInHugePage: u64 = 0;

/**
 * The host decided, at attach(), whether guest mappings are in place (1) or copies (0);
 * `base` is where the guest memory's bytes start in the host's address space.
 */
export function set_map_kind(kind: i32, base: f64): void {
  mapKind = kind == 1 ? 1 : 0;
  baseInHugePage = mapKind == 1 && base >= 0 && base < 9007199254740992 ? <u64>base & (HUGE_PAGE - 1) : 0;
}

export function map_kind(): i32 {
  return mapKind;
}

/**
 * Guest memory for a span of `spanLen` bytes (whole host pages) that shows the file from
 * `fileStart`: a released range, or memory the host grows. Its start, or u64.MAX_VALUE
 * when the memory cannot grow by enough. Large spans in place go where huge pages fit if
 * a released range or the memory's growth has room for that, else wherever they fit.
 */
function spanFor(spanLen: u64, fileStart: u64): u64 {
  if (mapKind == 1 && spanLen >= HUGE_PAGE) {
    const want = (fileStart - baseInHugePage) & (HUGE_PAGE - 1);
    let start = takeFree(spanLen, HUGE_PAGE, want);
    if (start == u64.MAX_VALUE) start = grownSpan(spanLen, HUGE_PAGE, want);
    if (start != u64.MAX_VALUE) return start;
  }
  const reused = takeFree(spanLen, 1, 0);
  return reused != u64.MAX_VALUE ? reused : grownSpan(spanLen, 1, 0);
}

/** Grows the memory for a span at a start congruent to `want` modulo `align`; the rest of what grew serves later mappings. */
function grownSpan(spanLen: u64, align: u64, want: u64): u64 {
  const grown = (spanLen + align - 1 + WASM_PAGE - 1) & ~(WASM_PAGE - 1);
  if (grown > MEMORY_LIMIT) return u64.MAX_VALUE;
  const old = hostGrowMemory(<f64>grown);
  if (old < 0) return u64.MAX_VALUE;
  const base = <u64>old;
  const start = base + ((want - base) & (align - 1));
  knownMemorySize = base + grown;
  giveFree(base, start - base);
  giveFree(start + spanLen, base + grown - start - spanLen);
  return start;
}

export function map(handle: u32, offset: u64, length: u64, prot: i32, outAddrPtr: u32): i32 {
  const slot = lookup(handle);
  if (slot < 0) return ERRNO_BADF;
  if (prot != PROT_READ && prot != PROT_READ_WRITE) return ERRNO_INVAL;
  if (length == 0) return ERRNO_INVAL;
  if (!inGuestMemory(outAddrPtr, 4)) return ERRNO_FAULT;
  const mode = modeOf(<u32>slot);
  if (prot == PROT_READ_WRITE && mode == MODE_RO) return ERRNO_ACCES;
  if (sliceRange(offset, length, lengthOf(<u32>slot)) < 0) return ERRNO_RANGE;
  const lead = offset & (pageSize - 1);
  const spanLen = spanLength(lead, length, pageSize);
  if (spanLen > MEMORY_LIMIT) return ERRNO_NOMEM;
  if (spanLen > maxMappedBytes - mappedBytes || mappedBytes > maxMappedBytes) return ERRNO_NOMEM;
  const index = freeEntry();
  if (index < 0) return ERRNO_NOMEM;
  const spanStart = spanFor(spanLen, offset - lead);
  if (spanStart == u64.MAX_VALUE) return ERRNO_NOMEM;
  let flags: u8 = 0;
  if (prot == PROT_READ_WRITE) flags = mode == MODE_RW ? FLAG_SHARED_WRITABLE : FLAG_PRIVATE_WRITABLE;
  const mapped = hostMapGuest(<u32>index, <u32>slot, <f64>(offset - lead), <f64>spanStart, <f64>spanLen,
    <f64>(spanStart + lead), <f64>length, <i32>flags);
  if (mapped < 0) {
    giveFree(spanStart, spanLen);
    return errnoOfHostResult(mapped);
  }
  const addr = <u32>(spanStart + lead);
  occupyEntry(<u32>index, addr, length, offset, spanStart, spanLen, handle, prot, flags);
  mappedBytes += spanLen;
  hostStoreU32(outAddrPtr, addr);
  return ERRNO_SUCCESS;
}

/** Releases entry `index`: its span goes back for reuse; 0 or the host's failure id. */
function releaseMapping(index: u32): i32 {
  const result = hostUnmapGuest(index);
  giveFree(entrySpanStart(index), entrySpanLen(index));
  mappedBytes -= entrySpanLen(index);
  releaseEntry(index);
  return result;
}

export function unmap(addr: u32, length: u64): i32 {
  const index = findExact(addr, length);
  if (index < 0) return ERRNO_INVAL;
  return errnoOfHostResult(releaseMapping(<u32>index));
}

/** The page-aligned guest addresses that cover `[addr, addr + length)` of entry `index`. */
function coverStart(addr: u32): u64 {
  return alignDown(<u64>addr, pageSize);
}

function coverEnd(index: u32, addr: u32, length: u64): u64 {
  const spanEnd = entrySpanStart(index) + entrySpanLen(index);
  return alignUp(<u64>addr + length, pageSize, spanEnd);
}

export function sync(addr: u32, length: u64): i32 {
  const index = findContaining(addr, length);
  if (index < 0) return ERRNO_INVAL;
  if (length == 0 || (entryFlags(<u32>index) & FLAG_SHARED_WRITABLE) == 0) return ERRNO_SUCCESS;
  return errnoOfHostResult(hostSyncGuest(<u32>index, <f64>addr, <f64>(<u64>addr + length)));
}

export function madvise(addr: u32, length: u64, advice: i32): i32 {
  const index = findContaining(addr, length);
  if (index < 0) return ERRNO_INVAL;
  if (!isGuestAdvice(advice)) return ERRNO_INVAL;
  if (length == 0) return ERRNO_SUCCESS;
  // DontNeed would refill a private writable mapping from the file, losing its stores.
  if (advice == ADVICE_DONTNEED && (entryFlags(<u32>index) & FLAG_PRIVATE_WRITABLE) != 0) return ERRNO_NOTSUP;
  const action = platformAction(platform, advice);
  if (action == ACTION_NONE) return ERRNO_SUCCESS;
  return errnoOfHostResult(hostAdviseGuest(<u32>index, <f64>coverStart(addr), <f64>coverEnd(<u32>index, addr, length), action));
}

/**
 * The host released every guest mapping (the import object's close()): forget them, and
 * give their spans and bytes back.
 */
export function forget_mappings(): void {
  for (let index: u32 = 0; index < entryLimit(); index++) {
    if (!isLive(index)) continue;
    giveFree(entrySpanStart(index), entrySpanLen(index));
    mappedBytes -= entrySpanLen(index);
    releaseEntry(index);
  }
}

/** Makes the writable mappings of `handle` whose stores reach the file durable: 0 or a failure id. */
function syncMappingsOf(handle: u32): i32 {
  for (let index: u32 = 0; index < entryLimit(); index++) {
    if (!isLive(index) || (entryFlags(index) & FLAG_SHARED_WRITABLE) == 0 || !madeThrough(index, handle)) continue;
    const addr = entryAddr(index);
    const result = hostSyncGuest(index, <f64>addr, <f64>(addr + entryLen(index)));
    if (result < 0) return result;
  }
  return 0;
}
