// A test guest: each export calls one `mmap_wasi` import with exactly the arguments the
// test passes, so tests can provoke every errno from inside a real guest.

@external("mmap_wasi", "page_size") declare function mmapPageSize(): i32;
@external("mmap_wasi", "open") declare function mmapOpen(pathPtr: u32, pathLen: u32, mode: i32, outHandle: u32): i32;
@external("mmap_wasi", "create") declare function mmapCreate(pathPtr: u32, pathLen: u32, size: u64, outHandle: u32): i32;
@external("mmap_wasi", "len") declare function mmapLen(handle: u32, outLen: u32): i32;
@external("mmap_wasi", "read") declare function mmapRead(handle: u32, offset: u64, dst: u32, len: u32): i32;
@external("mmap_wasi", "write") declare function mmapWrite(handle: u32, offset: u64, src: u32, len: u32): i32;
@external("mmap_wasi", "advise") declare function mmapAdvise(handle: u32, offset: u64, len: u64, advice: i32): i32;
@external("mmap_wasi", "flush") declare function mmapFlush(handle: u32, offset: u64, len: u64): i32;
@external("mmap_wasi", "resize") declare function mmapResize(handle: u32, newLen: u64): i32;
@external("mmap_wasi", "resident") declare function mmapResident(handle: u32, offset: u64, len: u64, outPages: u32): i32;
@external("mmap_wasi", "close") declare function mmapClose(handle: u32): i32;
@external("mmap_wasi", "map") declare function mmapMap(handle: u32, offset: u64, len: u64, prot: i32, outAddr: u32): i32;
@external("mmap_wasi", "unmap") declare function mmapUnmap(addr: u32, len: u64): i32;
@external("mmap_wasi", "sync") declare function mmapSync(addr: u32, len: u64): i32;
@external("mmap_wasi", "madvise") declare function mmapMadvise(addr: u32, len: u64, advice: i32): i32;
@external("mmap_wasi", "map_kind") declare function mmapMapKind(): i32;
@external("mmap_wasi", "open_fd") declare function mmapOpenFd(fd: u32, mode: i32, outHandle: u32): i32;

export function page_size(): i32 { return mmapPageSize(); }
export function open(pathPtr: u32, pathLen: u32, mode: i32, outHandle: u32): i32 { return mmapOpen(pathPtr, pathLen, mode, outHandle); }
export function create(pathPtr: u32, pathLen: u32, size: u64, outHandle: u32): i32 { return mmapCreate(pathPtr, pathLen, size, outHandle); }
export function len(handle: u32, outLen: u32): i32 { return mmapLen(handle, outLen); }
export function read(handle: u32, offset: u64, dst: u32, len: u32): i32 { return mmapRead(handle, offset, dst, len); }
export function write(handle: u32, offset: u64, src: u32, len: u32): i32 { return mmapWrite(handle, offset, src, len); }
export function advise(handle: u32, offset: u64, len: u64, advice: i32): i32 { return mmapAdvise(handle, offset, len, advice); }
export function flush(handle: u32, offset: u64, len: u64): i32 { return mmapFlush(handle, offset, len); }
export function resize(handle: u32, newLen: u64): i32 { return mmapResize(handle, newLen); }
export function resident(handle: u32, offset: u64, len: u64, outPages: u32): i32 { return mmapResident(handle, offset, len, outPages); }
export function close(handle: u32): i32 { return mmapClose(handle); }
export function map(handle: u32, offset: u64, len: u64, prot: i32, outAddr: u32): i32 { return mmapMap(handle, offset, len, prot, outAddr); }
export function unmap(addr: u32, len: u64): i32 { return mmapUnmap(addr, len); }
export function sync(addr: u32, len: u64): i32 { return mmapSync(addr, len); }
export function madvise(addr: u32, len: u64, advice: i32): i32 { return mmapMadvise(addr, len, advice); }
export function map_kind(): i32 { return mmapMapKind(); }
export function open_fd(fd: u32, mode: i32, outHandle: u32): i32 { return mmapOpenFd(fd, mode, outHandle); }

/** A byte loaded (or stored) by the guest itself: through a guest mapping, the file's. */
export function load_u8(addr: u32): u32 { return <u32>load<u8>(<usize>addr); }
export function store_u8(addr: u32, value: u32): void { store<u8>(<usize>addr, <u8>value); }
/** Sum of `len` bytes loaded by the guest from `addr`. */
export function sum_bytes(addr: u32, len: u32): u32 {
  let sum: u32 = 0;
  for (let at: u32 = 0; at < len; at++) sum += <u32>load<u8>(<usize>(addr + at));
  return sum;
}

/** Grows memory by `pages` 64 KiB pages; returns the old size in pages, or -1. */
export function grow(pages: i32): i32 { return memory.grow(pages); }
