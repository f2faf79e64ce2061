// The `mmap_wasi` import module (guest ABI version 1) for AssemblyScript guests: the raw
// imports in the `mmap_wasi` namespace, and `MappedFile` on top of them.
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
