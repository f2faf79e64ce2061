// The `mmap_wasi` import module (guest ABI versions 1 and 2) for AssemblyScript guests: the
// raw imports in the `mmap_wasi` namespace, `MappedFile` on top of them, and
// `GuestMapping`, a range of a file in the guest's own memory with typed-array views of it.
//
// Errors never trap. Calls that produce a value (`open`, `create`, `len`, `resident`)
// return it, or null / 0 on failure; the others return their `Errno`. Every call also
// records its errno, which `lastErrno()` returns, as C's `errno` does:
//
//   const file = MappedFile.open("/data/input.bin", Mode.Ro);
//   if (file == null) return fail("open", lastErrno());
//   const length = file.len();
//   if (lastErrno() != Errno.SUCCESS) return fail("len", lastErrno());
//   const error = file.advise(0, length, Advice.WillNeed);
//
// Import it by relative path (from examples/assemblyscript/: `../../sdk/assemblyscript`).
// It needs no WASI imports itself.

/** The raw imports, exactly as the ABI declares them. Each returns an errno (0 is
 *  success) except `page_size`; out-parameters are written only on success. */
export namespace mmap_wasi {
  // @ts-ignore: decorator
  @external("mmap_wasi", "page_size")
  export declare function page_size(): u32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "open")
  export declare function open(pathPtr: usize, pathLen: u32, mode: i32, outHandlePtr: usize): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "create")
  export declare function create(pathPtr: usize, pathLen: u32, size: u64, outHandlePtr: usize): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "len")
  export declare function len(handle: u32, outLenPtr: usize): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "read")
  export declare function read(handle: u32, offset: u64, dstPtr: usize, len: u32): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "write")
  export declare function write(handle: u32, offset: u64, srcPtr: usize, len: u32): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "advise")
  export declare function advise(handle: u32, offset: u64, len: u64, advice: i32): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "flush")
  export declare function flush(handle: u32, offset: u64, len: u64): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "resize")
  export declare function resize(handle: u32, newLen: u64): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "resident")
  export declare function resident(handle: u32, offset: u64, len: u64, outPagesPtr: usize): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "close")
  export declare function close(handle: u32): i32;
  // Version 2: guest mappings. Only the functions a guest calls are imported.
  // @ts-ignore: decorator
  @external("mmap_wasi", "map")
  export declare function map(handle: u32, offset: u64, len: u64, prot: i32, outAddrPtr: usize): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "unmap")
  export declare function unmap(addr: u32, len: u64): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "sync")
  export declare function sync(addr: u32, len: u64): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "madvise")
  export declare function madvise(addr: u32, len: u64, advice: i32): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "map_kind")
  export declare function map_kind(): i32;
  // @ts-ignore: decorator
  @external("mmap_wasi", "open_fd")
  export declare function open_fd(fd: u32, mode: i32, outHandlePtr: usize): i32;
}

/** Errnos the host returns, numbered as WASI preview1 numbers them. */
export enum Errno {
  SUCCESS = 0,
  /** The mapping's mode forbids it, or the OS refused access. */
  ACCES = 2,
  /** The handle is not open. */
  BADF = 8,
  /** A buffer lies outside the guest's memory. */
  FAULT = 21,
  /** The path is not valid UTF-8. */
  ILSEQ = 25,
  /** Bad mode, bad advice, empty path, or NUL byte in the path. */
  INVAL = 28,
  /** Host failure with no better errno, or the file was truncated beneath the mapping. */
  IO = 29,
  /** The path names a directory. */
  ISDIR = 31,
  /** The host's limit on open handles is reached. */
  MFILE = 33,
  /** No such file (open) or no such parent directory (create). */
  NOENT = 44,
  /** The host's limit on mapped bytes is reached, or the OS could not map. */
  NOMEM = 48,
  /** `DontNeed` on a copy-on-write mapping. */
  NOTSUP = 58,
  /** The range is outside the mapping, or offset + len overflows u64. */
  RANGE = 68,
  /** The path is outside every grant, or the access goes beyond the grant. */
  NOTCAPABLE = 76,
}

/** How `MappedFile.open` maps the file. */
export enum Mode {
  /** Read-only: `write` and `resize` fail with ACCES. */
  Ro = 0,
  /** Read-write: writes reach the file. */
  Rw = 1,
  /** Copy-on-write: writes stay private to this handle and never reach the file. */
  Cow = 2,
}

/** Access-pattern advice, numbered as WASI `fd_advise` numbers it. */
export enum Advice {
  /** Default read-ahead. */
  Normal = 0,
  /** Aggressive read-ahead. */
  Sequential = 1,
  /** No read-ahead. */
  Random = 2,
  /** Prefetch the whole range. */
  WillNeed = 3,
  /** Drop the range's pages. NOTSUP on a copy-on-write mapping (it would lose writes). */
  DontNeed = 4,
  /** Accepted, no effect. */
  NoReuse = 5,
}

/** What a guest mapping allows: the ABI's `prot`. */
export enum Prot {
  /** Loads only. Stores never reach the file (see `GuestMapping`). */
  Read = 1,
  /** Loads and stores. On an `Rw` handle stores reach the file; on a `Cow` handle they
   *  stay private to the mapping. `MappedFile.map` with it on an `Ro` handle: ACCES. */
  ReadWrite = 3,
}

/** How the host makes guest mappings: the ABI's `map_kind()`. */
export enum MapKind {
  /** The host copies: in at `map`, back at `sync` and `unmap` (writable mappings). */
  Copy = 0,
  /** The file's own pages, in the guest's memory (zero-copy). */
  InPlace = 1,
}

/** The name the ABI gives an errno ("range", "notcapable", ...), or "unknown". */
export function errnoName(error: i32): string {
  switch (error) {
    case Errno.SUCCESS: return "success";
    case Errno.ACCES: return "acces";
    case Errno.BADF: return "badf";
    case Errno.FAULT: return "fault";
    case Errno.ILSEQ: return "ilseq";
    case Errno.INVAL: return "inval";
    case Errno.IO: return "io";
    case Errno.ISDIR: return "isdir";
    case Errno.MFILE: return "mfile";
    case Errno.NOENT: return "noent";
    case Errno.NOMEM: return "nomem";
    case Errno.NOTSUP: return "notsup";
    case Errno.RANGE: return "range";
    case Errno.NOTCAPABLE: return "notcapable";
    default: return "unknown";
  }
}

/** A short description of an errno, for messages. */
export function errnoMessage(error: i32): string {
  switch (error) {
    case Errno.SUCCESS: return "success";
    case Errno.ACCES: return "access denied by the mapping's mode or the OS";
    case Errno.BADF: return "handle not open";
    case Errno.FAULT: return "buffer outside the guest's memory";
    case Errno.ILSEQ: return "path is not valid UTF-8";
    case Errno.INVAL: return "invalid argument";
    case Errno.IO: return "host I/O failure";
    case Errno.ISDIR: return "path names a directory";
    case Errno.MFILE: return "too many open handles";
    case Errno.NOENT: return "no such file or directory";
    case Errno.NOMEM: return "mapping limit reached or out of memory";
    case Errno.NOTSUP: return "not supported on this mapping";
    case Errno.RANGE: return "range outside the mapping";
    case Errno.NOTCAPABLE: return "path outside the granted directories";
    default: return "unknown error";
  }
}

/** The host's page size in bytes. Never needed for alignment: the host aligns ranges. */
export function pageSize(): u32 {
  return mmap_wasi.page_size();
}

/** How this host makes guest mappings; the same for the whole guest instance. */
export function mapKind(): MapKind {
  return mmap_wasi.map_kind() == 1 ? MapKind.InPlace : MapKind.Copy;
}

// Out-parameters land here: static, so no call allocates for them.
const OUT: usize = memory.data(8, 8);

let errnoOfLastCall: i32 = Errno.SUCCESS;

/** The errno of the last call made through this SDK (SUCCESS if it succeeded). */
export function lastErrno(): i32 {
  return errnoOfLastCall;
}

function record(error: i32): i32 {
  errnoOfLastCall = error;
  return error;
}

/** A file mapped by the host. There are no finalizers for it: call `close()`. */
export class MappedFile {
  private constructor(private handleValue: u32, private isClosed: bool = false) {}

  /** Maps the whole existing file at `path` (absolute, in the guest's view) with
   *  `mode`. Null on failure: see `lastErrno()`. */
  static open(path: string, mode: Mode): MappedFile | null {
    const bytes = String.UTF8.encode(path);
    const error = record(mmap_wasi.open(changetype<usize>(bytes), <u32>bytes.byteLength, mode, OUT));
    return error == Errno.SUCCESS ? new MappedFile(load<u32>(OUT)) : null;
  }

  /** Creates the file, or truncates an existing one, to `size` zero bytes and maps it
   *  read-write. Needs a read-write grant. Null on failure: see `lastErrno()`. */
  static create(path: string, size: u64): MappedFile | null {
    const bytes = String.UTF8.encode(path);
    const error = record(mmap_wasi.create(changetype<usize>(bytes), <u32>bytes.byteLength, size, OUT));
    return error == Errno.SUCCESS ? new MappedFile(load<u32>(OUT)) : null;
  }

  /** A handle for the file behind WASI file descriptor `fd`, which the guest holds (from
   *  WASI's `path_open`, or a preopen), mapped as `open` would map that file's path: the
   *  same modes, grants and errnos. NOTSUP where the host has no view of the guest's WASI
   *  files. The handle does not keep `fd` open. Null on failure: see `lastErrno()`. */
  static fromFd(fd: u32, mode: Mode): MappedFile | null {
    const error = record(mmap_wasi.open_fd(fd, mode, OUT));
    return error == Errno.SUCCESS ? new MappedFile(load<u32>(OUT)) : null;
  }

  /** The raw handle, for calls into `mmap_wasi`. */
  get handle(): u32 {
    return this.handleValue;
  }

  /** True once `close()` has released the handle (or found it already released). */
  get closed(): bool {
    return this.isClosed;
  }

  /** The mapping's current length in bytes; 0 on failure: see `lastErrno()`. */
  len(): u64 {
    if (this.isClosed) {
      record(Errno.BADF);
      return 0;
    }
    const error = record(mmap_wasi.len(this.handleValue, OUT));
    return error == Errno.SUCCESS ? load<u64>(OUT) : 0;
  }

  /** Fills `dst` with the bytes at `offset`. RANGE if they are not all in the mapping. */
  read(offset: u64, dst: Uint8Array): i32 {
    if (this.isClosed) return record(Errno.BADF);
    return record(mmap_wasi.read(this.handleValue, offset, dst.dataStart, <u32>dst.byteLength));
  }

  /** Copies `src` into the mapping at `offset`. Never grows it: resize first. */
  write(offset: u64, src: Uint8Array): i32 {
    if (this.isClosed) return record(Errno.BADF);
    return record(mmap_wasi.write(this.handleValue, offset, src.dataStart, <u32>src.byteLength));
  }

  /** Gives `advice` for [offset, offset + len). No alignment is needed. */
  advise(offset: u64, len: u64, advice: Advice): i32 {
    if (this.isClosed) return record(Errno.BADF);
    return record(mmap_wasi.advise(this.handleValue, offset, len, advice));
  }

  /** Writes the range's dirty pages to the file; they are durable when this returns. */
  flush(offset: u64, len: u64): i32 {
    if (this.isClosed) return record(Errno.BADF);
    return record(mmap_wasi.flush(this.handleValue, offset, len));
  }

  /** Sets the file's length and remaps it (read-write mappings only). */
  resize(newLen: u64): i32 {
    if (this.isClosed) return record(Errno.BADF);
    return record(mmap_wasi.resize(this.handleValue, newLen));
  }

  /** How many pages of [offset, offset + len) are resident; 0 on failure: see
   *  `lastErrno()`. */
  resident(offset: u64, len: u64): u64 {
    if (this.isClosed) {
      record(Errno.BADF);
      return 0;
    }
    const error = record(mmap_wasi.resident(this.handleValue, offset, len, OUT));
    return error == Errno.SUCCESS ? load<u64>(OUT) : 0;
  }

  /** Makes bytes [offset, offset + len) of the file addressable in the guest's own memory
   *  (ABI version 2). The mapping stays valid after this handle's `close()`, until its own
   *  `unmap()`. Null on failure: see `lastErrno()` (RANGE past the file's end, ACCES for
   *  `ReadWrite` on an `Ro` handle, NOMEM when the memory cannot grow by enough). */
  map(offset: u64, len: u64, prot: Prot = Prot.Read): GuestMapping | null {
    if (this.isClosed) {
      record(Errno.BADF);
      return null;
    }
    const error = record(mmap_wasi.map(this.handleValue, offset, len, prot, OUT));
    return error == Errno.SUCCESS ? new GuestMapping(<usize>load<u32>(OUT), len, prot == Prot.ReadWrite) : null;
  }

  /** Unmaps the file and releases the handle. Later calls on this object return BADF
   *  without reaching the host, which may have handed the number out again. */
  close(): i32 {
    if (this.isClosed) return record(Errno.BADF);
    const error = record(mmap_wasi.close(this.handleValue));
    // BADF: the host no longer knows the handle either, so it is closed all the same.
    if (error == Errno.SUCCESS || error == Errno.BADF) this.isClosed = true;
    return error;
  }
}

// Every view's `buffer`: a real, empty ArrayBuffer, so that the collector, which follows
// a view's `buffer` and nothing else, finds a managed object there. A view's bytes are
// at its `dataStart`, which the collector never follows.
const VIEW_ANCHOR = new ArrayBuffer(0);

// @ts-ignore: decorator
@inline function isTypedArray<T>(): bool {
  return idof<T>() == idof<Uint8Array>() || idof<T>() == idof<Int8Array>() ||
    idof<T>() == idof<Uint8ClampedArray>() || idof<T>() == idof<Int16Array>() ||
    idof<T>() == idof<Uint16Array>() || idof<T>() == idof<Int32Array>() ||
    idof<T>() == idof<Uint32Array>() || idof<T>() == idof<Int64Array>() ||
    idof<T>() == idof<Uint64Array>() || idof<T>() == idof<Float32Array>() ||
    idof<T>() == idof<Float64Array>();
}

/**
 * A range of a file in the guest's own memory (ABI version 2), from `MappedFile.map`:
 * plain loads and stores at `addr` read and write the file, with no host call per
 * access. `bytes()` and `view<T>()` give typed arrays over it.
 *
 * A typed array normally owns its bytes in a managed ArrayBuffer; these point into the
 * mapping instead (their `dataStart`), while their `buffer` is an empty placeholder, so
 * `buffer` and `byteOffset` say nothing about the mapping. Everything else (indexing
 * with bounds checks, `length`, `subarray`, `set`, `fill`, ...) works as usual.
 *
 * `unmap()` turns every view made by `bytes()` and `view<T>()` into an empty one (length
 * 0), as `close()` detaches a Node view: the range may next hold another mapping. A
 * `subarray()` taken from a view is a new object that `unmap()` cannot reach: take
 * sub-ranges with `view<T>(byteOffset, length)` instead. Each view stays referenced by
 * the mapping until `unmap()`, so make views once, not in a loop.
 *
 * There are no finalizers: call `unmap()` (a guest mapping also outlives its handle).
 */
export class GuestMapping {
  private isUnmapped: bool = false;
  private views: Array<ArrayBufferView> = [];

  /** Made by `MappedFile.map`; from raw calls, wraps what `mmap_wasi.map` returned for
   *  `byteCount` bytes, and takes over unmapping it. */
  constructor(private address: usize, private byteCount: u64, private canWrite: bool) {}

  /** The guest address of the first mapped byte. */
  get addr(): usize {
    return this.address;
  }

  /** How many bytes are mapped, as `map` was given. */
  get length(): u64 {
    return this.byteCount;
  }

  /** True if mapped with `Prot.ReadWrite`. */
  get writable(): bool {
    return this.canWrite;
  }

  /** True once `unmap()` has released the mapping. */
  get unmapped(): bool {
    return this.isUnmapped;
  }

  /** How the host makes guest mappings: in place or copied. */
  get kind(): MapKind {
    return mapKind();
  }

  /** A Uint8Array over the whole mapping; null (INVAL) past 2^31 - 1 bytes or after
   *  `unmap()`: see `view<T>()`. */
  bytes(): Uint8Array | null {
    return this.view<Uint8Array>();
  }

  /**
   * A typed array `T` (Uint8Array, Int32Array, Float64Array, ...) over `length` elements
   * of the mapping from `byteOffset`; `length` -1 takes as many whole elements as fit.
   * Wasm needs no alignment, so neither does `byteOffset`. Null on failure, with
   * `lastErrno()`: RANGE if the elements are not all inside the mapping, INVAL if they
   * are more than one typed array holds (2^31 - 1 bytes) or the mapping is unmapped.
   *
   * Stores into a view of a read-only mapping never reach the file: they change only
   * the guest's private copy of the page or, in place before the guest's memory has
   * grown again, trap.
   */
  view<T>(byteOffset: u64 = 0, length: i32 = -1): T | null {
    if (!isTypedArray<T>()) ERROR("GuestMapping.view<T>: T must be a typed array such as Uint8Array or Float64Array");
    if (this.isUnmapped) {
      record(Errno.INVAL);
      return null;
    }
    if (byteOffset > this.byteCount) {
      record(Errno.RANGE);
      return null;
    }
    const available = this.byteCount - byteOffset;
    const wanted: u64 = length < 0
      ? available >> alignof<valueof<T>>() << alignof<valueof<T>>()
      : <u64>length << alignof<valueof<T>>();
    if (wanted > available) {
      record(Errno.RANGE);
      return null;
    }
    if (wanted > <u64>i32.MAX_VALUE) {
      record(Errno.INVAL);
      return null;
    }
    // Laid out as the standard library's own subarray() lays out a view over another's bytes.
    const view = __new(offsetof<T>(), idof<T>());
    store<usize>(view, changetype<usize>(VIEW_ANCHOR), offsetof<T>("buffer"));
    __link(view, changetype<usize>(VIEW_ANCHOR), false);
    store<usize>(view, this.address + <usize>byteOffset, offsetof<T>("dataStart"));
    store<i32>(view, <i32>wanted, offsetof<T>("byteLength"));
    this.views.push(changetype<ArrayBufferView>(view));
    record(Errno.SUCCESS);
    return changetype<T>(view);
  }

  /** Makes the stores in the whole mapping durable in the file before returning.
   *  Read-only and `Cow` mappings: success, nothing to write. */
  sync(): i32 {
    return this.syncRange(0, this.byteCount);
  }

  /** `sync()` of bytes [offset, offset + len) of the mapping. */
  syncRange(offset: u64, len: u64): i32 {
    const error = this.checkRange(offset, len);
    if (error != Errno.SUCCESS) return record(error);
    return record(mmap_wasi.sync(<u32>(this.address + <usize>offset), len));
  }

  /** Gives `advice` for the whole mapping; `WillNeed` brings all of it in. */
  advise(advice: Advice): i32 {
    return this.adviseRange(0, this.byteCount, advice);
  }

  /** `advise()` for bytes [offset, offset + len) of the mapping. */
  adviseRange(offset: u64, len: u64, advice: Advice): i32 {
    const error = this.checkRange(offset, len);
    if (error != Errno.SUCCESS) return record(error);
    return record(mmap_wasi.madvise(<u32>(this.address + <usize>offset), len, advice));
  }

  /** Releases the mapping; the range then reads as zeros, and every view from `bytes()`
   *  and `view<T>()` becomes empty. With copies, a writable mapping is written back
   *  first, which may fail (IO). Later calls on this object return INVAL without
   *  reaching the host, whose next `map` may reuse the range. */
  unmap(): i32 {
    if (this.isUnmapped) return record(Errno.INVAL);
    this.isUnmapped = true;
    const views = this.views;
    for (let i = 0; i < views.length; i++) {
      store<i32>(changetype<usize>(views[i]), 0, offsetof<Uint8Array>("byteLength"));
    }
    this.views = [];
    return record(mmap_wasi.unmap(<u32>this.address, this.byteCount));
  }

  // INVAL, as the host answers for a range outside one live mapping; checked here so
  // that the address arithmetic cannot wrap and an unmapped range is never passed on.
  private checkRange(offset: u64, len: u64): i32 {
    if (this.isUnmapped || offset > this.byteCount || len > this.byteCount - offset) return Errno.INVAL;
    // A mapping may end at 4 GiB exactly: an empty range there has no u32 address.
    if (<u64>this.address + offset > <u64>u32.MAX_VALUE) return Errno.INVAL;
    return Errno.SUCCESS;
  }
}
