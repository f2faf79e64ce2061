// MemoryMappedFile: a file mapped into memory, for Node callers.
//
// Each method asks the core (core.ts) to check its call, then runs the checked operation
// in pieces that never cross a segment boundary (files above 4 GiB are mapped as several
// segments, since no runtime can wrap a larger ArrayBuffer).
import * as fs from "node:fs";
import { ACTION_NONE, Mode, Op, Optional, Status, checked, coreExports, platformCode, prepareRange, prepareSize } from "./core.js";
import { MmapError, fromFsError, osError, osErrorNamed, refusal } from "./errors.js";
import { MAP_COUNT_EXCEEDED, Mapping, NO_EXTERNAL_BUFFERS, TRUNCATED } from "./mapping.js";
import { fileInfo, native } from "./native.js";
import { readAheadWindow } from "./readahead.js";
import type { AdviseOptions, MmapAdvice } from "./advice.js";

export type MappingMode = "ro" | "rw" | "cow";

export interface Residency {
  /** Pages of the range that are in memory now. */
  residentPages: number;
  /** Pages the range covers. */
  totalPages: number;
  pageSize: number;
}

const PAGE_SIZE = native.pageSize();
const PLATFORM = platformCode();

/** The host's memory page size in bytes. */
export function pageSize(): number {
  return PAGE_SIZE;
}

// read() hands out small copies as slices of a shared slab, as Buffer.allocUnsafe does:
// a fresh 4 KiB Uint8Array costs about 2 µs (its own backing store, reported to the
// engine), a view of an existing buffer a few tens of nanoseconds.
const SLAB_SIZE = 64 * 1024;
const SLAB_MAX_COPY = SLAB_SIZE / 8;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

/** A new Uint8Array of `count` bytes: a slice of the slab when small. Its bytes are overwritten by the caller. */
function allocate(count: number): Uint8Array {
  if (count > SLAB_MAX_COPY) return new Uint8Array(count);
  if (count > SLAB_SIZE - slabUsed) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const copy = new Uint8Array(slab, slabUsed, count);
  slabUsed += (count + 7) & ~7; // keep slices 8-byte aligned, as Node's pool does
  return copy;
}

/** Closes the file descriptor of an rw mapping that was dropped without close(). */
const descriptors = new FinalizationRegistry<number>((fd) => {
  try {
    fs.closeSync(fd);
  } catch {
    // Already closed: nothing is left to release.
  }
});

export class MemoryMappedFile {
  /** The path the file was opened with. */
  readonly path: string;
  readonly mode: MappingMode;
  #state: number;
  #mapping: Mapping;
  /** Kept open for rw only: resize and flush need it. ro and cow keep no descriptor. */
  #fd: number | undefined;
  #device: number;
  /** The device's read-ahead window, found on the first WillNeed. */
  #readAhead: number | undefined;
  #pendingFlushes = 0;
  #closeFdWhenFlushed = false;

  private constructor(path: string, mode: MappingMode, fd: number) {
    this.path = path;
    this.mode = mode;
    this.#state = Mode[mode];
    this.#mapping = new Mapping(this.#state);
    let keep = false;
    try {
      const info = fileInfo(fd);
      if (typeof info === "number") throw osError(info, "fstat", path);
      if (info.isDirectory) throw osErrorNamed("EISDIR", "mmap", path);
      // FIFOs, sockets and devices: what mmap would refuse, or hang on.
      if (!info.isRegular) throw osErrorNamed("ENODEV", "mmap", path);
      this.#device = info.device;
      this.#check(this.#mapping.map(fd, info.size), "mmap");
      keep = mode === "rw";
    } catch (error) {
      throw fromFsError(error, path);
    } finally {
      if (!keep) fs.closeSync(fd);
    }
    // Only a kept descriptor may be closed by the registry: a closed one's number may
    // already belong to another file.
    if (keep) {
      this.#fd = fd;
      descriptors.register(this, fd, this);
    }
  }

  /** Maps an existing file read-only. Writes through a view stay private and never reach the file. */
  static openRo(path: string): MemoryMappedFile {
    return new MemoryMappedFile(path, "ro", openFile(path, "r"));
  }

  /** Maps an existing file read-write: writes reach the file. */
  static openRw(path: string): MemoryMappedFile {
    return new MemoryMappedFile(path, "rw", openFile(path, "r+"));
  }

  /** Maps an existing file copy-on-write: writes are private to this mapping. */
  static openCow(path: string): MemoryMappedFile {
    return new MemoryMappedFile(path, "cow", openFile(path, "r"));
  }

  /** Creates the file, or truncates an existing one, to `size` bytes and maps it read-write. */
  static createRw(path: string, size: number | bigint): MemoryMappedFile {
    const bytes = checkedFileSize(size, path, "createRw");
    const fd = openFile(path, "w+");
    return new MemoryMappedFile(path, "rw", truncated(fd, bytes, path));
  }

  /** Maps an existing file read-write, or creates it with `size` bytes if it does not exist. */
  static openOrCreate(path: string, size: number | bigint): MemoryMappedFile {
    const bytes = checkedFileSize(size, path, "openOrCreate");
    // Two tries: someone may create the file between our two opens. A dangling symbolic
    // link fails both ways (ENOENT, then EEXIST) and ends as ENOENT.
    for (let attempt = 0; ; attempt++) {
      try {
        return new MemoryMappedFile(path, "rw", openFile(path, "r+"));
      } catch (error) {
        if ((error as MmapError).code !== "ENOENT" || attempt === 2) throw error;
      }
      try {
        return new MemoryMappedFile(path, "rw", truncated(openFile(path, "wx+"), bytes, path));
      } catch (error) {
        if ((error as MmapError).code !== "EEXIST") throw error;
      }
    }
  }

  /** Mapped length in bytes; 0 once closed. */
  get length(): number {
    return this.#mapping.length;
  }

  get closed(): boolean {
    return this.#state === Mode.closed;
  }

  /**
   * True once another process has shrunk the file beneath the mapping and an access met
   * a page it no longer has: views read zeros there, and writes there are lost. A cheap
   * check for loops over views; copies and the next call throw ERR_MMAP_TRUNCATED.
   * close() and resize() end it.
   */
  get truncated(): boolean {
    return this.#mapping.lostFrom() !== Infinity;
  }

  /**
   * Access-pattern advice for `[offset, offset + length)`. No alignment is needed.
   * WillNeed prefetches the whole range; DontNeed on a cow mapping needs `allowDiscard`.
   */
  advise(offset: number | bigint, length: number | bigint, advice: MmapAdvice, options?: AdviseOptions): void {
    const status = this.#prepare(Op.advise, offset, length, "advise");
    const action = coreExports.adviceAction(
      PLATFORM, typeof advice === "number" ? advice : Number.NaN, this.#state, options?.allowDiscard === true ? 1 : 0,
    );
    if (action < 0) throw refusal(action, "advise", this.path, `advice ${String(advice)}`);
    if (status === Status.nothingToDo || action === ACTION_NONE) return;
    this.#readAhead ??= readAheadWindow(this.#device);
    this.#check(this.#mapping.advise(checked.alignedStart(), checked.alignedEnd(), action, this.#readAhead, PAGE_SIZE), "madvise");
  }

  /** A copy of `length` bytes from `offset`. */
  read(offset: number | bigint, length: number | bigint): Uint8Array {
    if (this.#prepare(Op.read, offset, length, "read") === Status.nothingToDo) return new Uint8Array(0);
    const copy = allocate(checked.count());
    this.#check(this.#mapping.copyOut(checked.start(), copy.length, copy, 0), "read");
    return copy;
  }

  /**
   * Copies bytes from `offset` into `target`, as many as fit or as the mapping holds, and
   * returns how many. `offset` may equal the length (0 bytes), not exceed it.
   */
  readInto(offset: number | bigint, target: Uint8Array): number {
    // A target that is not a Uint8Array is refused like a bad operand, after the closed check.
    if (!(target instanceof Uint8Array)) this.#prepare(Op.read, offset, Number.NaN, "readInto");
    if (this.#prepare(Op.read, offset, undefined, "readInto", Optional.length) === Status.nothingToDo) return 0;
    const count = Math.min(checked.count(), target.length);
    this.#check(this.#mapping.copyOut(checked.start(), count, target, 0), "read");
    return count;
  }

  /** Copies `bytes` into the mapping at `offset`. rw: reaches the file; cow: private; ro: refused. */
  write(offset: number | bigint, bytes: ArrayBufferView): void {
    const source = ArrayBuffer.isView(bytes)
      ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      : undefined;
    const status = this.#prepare(Op.write, offset, source ? source.length : Number.NaN, "write");
    if (status === Status.nothingToDo || !source) return;
    this.#check(this.#mapping.copyIn(checked.start(), source.length, source, 0), "write");
  }

  /**
   * A zero-copy view of `[offset, offset + length)` (default: to the end). It must lie in
   * one 4 GiB segment. After close() or resize() it has length 0.
   */
  view(offset?: number | bigint, length?: number | bigint): Uint8Array {
    if (this.#prepare(Op.view, offset, length, "view", Optional.both) === Status.nothingToDo) return new Uint8Array(0);
    const view = this.#mapping.view(checked.start(), checked.count());
    if (typeof view === "number") throw this.#failure(view, "view");
    return view;
  }

  /** Zero-copy views of consecutive `size`-byte chunks, in order (a chunk never crosses a segment). */
  chunks(size: number | bigint): Iterable<Uint8Array> {
    if (prepareSize(Op.chunks, this.#state, size) < 0) {
      throw refusal(prepareSize(Op.chunks, this.#state, size), "chunks", this.path, `size ${String(size)}`);
    }
    this.#reportLoss("chunks");
    const chunkSize = checked.count();
    const file = this;
    return {
      *[Symbol.iterator]() {
        for (let position = 0; position < file.length;) {
          const length = coreExports.nextPiece(position, file.length, chunkSize);
          yield file.view(position, length);
          position += length;
        }
      },
    };
  }

  /** Writes every dirty page to the file and returns once the data is durable. ro and cow: nothing to write. */
  flush(): void {
    this.flushRange(0, this.length);
  }

  /** flush() for `[offset, offset + length)` only. */
  flushRange(offset: number | bigint, length: number | bigint): void {
    if (this.#prepare(Op.flush, offset, length, "flushRange") === Status.nothingToDo) return;
    this.#check(this.#mapping.sync(checked.alignedStart(), checked.alignedEnd(), this.#fd!), "msync");
  }

  /** flushRange() run off the main thread; resolves once the data is durable. */
  async flushAsync(offset?: number | bigint, length?: number | bigint): Promise<void> {
    if (this.#prepare(Op.flush, offset, length, "flushAsync", Optional.both) === Status.nothingToDo) return;
    const flushed = this.#mapping.syncAsync(checked.alignedStart(), checked.alignedEnd(), this.#fd!);
    this.#pendingFlushes++;
    try {
      this.#check(await flushed, "msync");
    } finally {
      if (--this.#pendingFlushes === 0 && this.#closeFdWhenFlushed) this.#closeFd();
    }
  }

  /** rw only: sets the file's length and remaps it. Earlier views get length 0. */
  resize(newLength: number | bigint): void {
    const status = prepareSize(Op.resize, this.#state, newLength);
    if (status < 0) throw refusal(status, "resize", this.path, `length ${String(newLength)}`);
    const size = checked.count();
    const fd = this.#fd!;
    this.#check(this.#mapping.unmap(), "munmap");
    try {
      fs.ftruncateSync(fd, size);
      this.#check(this.#mapping.map(fd, size), "mmap");
    } catch (error) {
      // The mapping is gone and cannot be made again: leave a closed object, not a broken one.
      this.close();
      throw fromFsError(error, this.path);
    }
  }

  /** How many pages of the range (default: all) are resident in memory (mincore). */
  residency(offset?: number | bigint, length?: number | bigint): Residency {
    if (this.#prepare(Op.residency, offset, length, "residency", Optional.both) === Status.nothingToDo) {
      return { residentPages: 0, totalPages: 0, pageSize: PAGE_SIZE };
    }
    const start = checked.alignedStart();
    const end = checked.alignedEnd();
    const residentPages = this.#check(this.#mapping.residentPages(start, end), "mincore");
    return { residentPages, totalPages: (end - start) / PAGE_SIZE, pageSize: PAGE_SIZE };
  }

  /** Locks the range's pages in memory (mlock / VirtualLock). */
  lock(offset?: number | bigint, length?: number | bigint): void {
    if (this.#prepare(Op.lock, offset, length, "lock", Optional.both) === Status.nothingToDo) return;
    this.#check(this.#mapping.lock(checked.alignedStart(), checked.alignedEnd(), PAGE_SIZE), "mlock");
  }

  unlock(offset?: number | bigint, length?: number | bigint): void {
    if (this.#prepare(Op.lock, offset, length, "unlock", Optional.both) === Status.nothingToDo) return;
    this.#check(this.#mapping.unlock(checked.alignedStart(), checked.alignedEnd(), PAGE_SIZE), "munlock");
  }

  /** Unmaps the file. Every earlier view gets length 0; a second close() does nothing. */
  close(): void {
    if (this.#state === Mode.closed) return;
    this.#state = Mode.closed;
    descriptors.unregister(this);
    const unmapped = this.#mapping.unmap();
    if (this.#pendingFlushes > 0) this.#closeFdWhenFlushed = true;
    else this.#closeFd();
    this.#check(unmapped, "munmap");
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #prepare(op: number, offset: unknown, length: unknown, method: string, optional: Optional = Optional.none): number {
    const status = prepareRange(op, this.#state, offset, length, this.#mapping.length, PAGE_SIZE, optional);
    if (status < 0) {
      throw refusal(status, method, this.path, `offset ${String(offset)}, length ${String(length)}, mapping ${this.#mapping.length} bytes`);
    }
    this.#reportLoss(method);
    return status;
  }

  /** Throws, once, for a loss to truncation that a view met and nothing reported yet. */
  #reportLoss(method: string): void {
    if (!this.#mapping.lossNotYetReported()) return;
    throw refusal(Status.truncated, method, this.path,
      `a view met it: reads from offset ${this.#mapping.lostFrom()} on gave zeros, and writes there are lost`);
  }

  /** Passes a success through; turns a failure of `syscall` into an MmapError. */
  #check(status: number, syscall: string): number {
    if (status >= 0) return status;
    throw this.#failure(status, syscall);
  }

  /** The error for a failure of `syscall`: a refusal of the mapping layer, or an OS error. */
  #failure(status: number, syscall: string): MmapError {
    if (status === TRUNCATED) {
      const lost = syscall === "write" ? "the bytes written there are lost" : "those bytes read as zeros";
      return refusal(Status.truncated, syscall, this.path, `from offset ${this.#mapping.lostFrom()} on ${lost}`);
    }
    if (status === MAP_COUNT_EXCEEDED) return refusal(Status.mapCountExceeded, syscall, this.path);
    if (status === NO_EXTERNAL_BUFFERS) return refusal(Status.noExternalBuffers, syscall, this.path);
    return osError(status, syscall, this.path);
  }

  #closeFd(): void {
    if (this.#fd === undefined || this.mode !== "rw") return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      fs.closeSync(fd);
    } catch (error) {
      throw fromFsError(error, this.path);
    }
  }
}

/** Same as MemoryMappedFile.createRw. */
export function createMmap(path: string, size: number | bigint): MemoryMappedFile {
  return MemoryMappedFile.createRw(path, size);
}

// Numeric open flags. O_NONBLOCK: opening a FIFO must not hang; it is refused once open.
const NONBLOCK = fs.constants.O_NONBLOCK ?? 0;
const OPEN_FLAGS = {
  r: fs.constants.O_RDONLY | NONBLOCK,
  "r+": fs.constants.O_RDWR | NONBLOCK,
  "w+": fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC,
  "wx+": fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL,
} as const;

function openFile(path: string, flags: keyof typeof OPEN_FLAGS): number {
  if (typeof path !== "string" || path.length === 0) {
    throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", `path must be a non-empty string, got ${String(path)}`);
  }
  try {
    return fs.openSync(path, OPEN_FLAGS[flags], 0o666);
  } catch (error) {
    throw fromFsError(error, path);
  }
}

function checkedFileSize(size: unknown, path: string, method: string): number {
  const status = prepareSize(Op.resize, Mode.rw, size);
  if (status < 0) throw refusal(status, method, path, `size ${String(size)}`);
  return checked.count();
}

function truncated(fd: number, size: number, path: string): number {
  try {
    fs.ftruncateSync(fd, size);
    return fd;
  } catch (error) {
    fs.closeSync(fd);
    throw fromFsError(error, path);
  }
}
