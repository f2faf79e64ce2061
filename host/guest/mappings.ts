// Guest mappings (ABI version 2, docs/abi.md): a range of a file shown inside the guest's
// own linear memory. The guest core keeps the table and does the arithmetic; here the
// checked operations run, in one of two ways decided once, when the memory is attached:
//
// - in place (map_kind 1): the addon maps the file's pages over the span of guest memory
//   (mmap MAP_FIXED), so loads and stores are the file's. Only where the memory's base
//   never moves as it grows: POSIX, a 64-bit host, an engine that reserves a memory's
//   whole 32-bit range up front (V8, JavaScriptCore), which a probe memory shows, and a
//   memory that has that reservation: JavaScriptCore gives it to a few memories at a time
//   (8 in Bun 1.4) and puts the others in its malloc heap, where they move as they grow.
// - copies (map_kind 0): map reads the bytes in, and a writable mapping of an rw handle
//   writes them back at sync, unmap and flush of its handle.
import * as fs from "node:fs";
import { coreExports } from "../core.js";
import { MAP_COUNT_EXCEEDED, TRUNCATED } from "../mapping.js";
import { pageSize } from "../memory-mapped-file.js";
import { native } from "../native.js";
import { readAheadWindow } from "../readahead.js";
import type { GuestMemory } from "./memory.js";
import type { OpenFile } from "./operations.js";

/** The guest core's flag for a writable mapping whose stores reach the file. */
const FLAG_SHARED_WRITABLE = 2;
/** Two kernel areas per guest mapping: its own, and the split of the memory's reservation. */
const AREAS_PER_MAPPING = 2;

export interface GuestMapping {
  /** The addon's region, in place; -1 for a copy. */
  id: number;
  file: OpenFile;
  /** Offset in the file of the span's first byte (page-aligned). */
  fileStart: number;
  /** The span in guest memory: page-aligned start and length. */
  spanStart: number;
  spanLength: number;
  /** The bytes the guest asked for: `[addr, addr + length)`. */
  addr: number;
  length: number;
  /** Stores reach the file (prot 3 of an rw handle). */
  shared: boolean;
  /** The file's identity (in place only: only those can lose pages). */
  fileId: string;
}

const POSIX = new Set<NodeJS.Platform>(["linux", "darwin", "freebsd"]);
const ARCHES_64 = new Set(["x64", "arm64", "ppc64", "s390x", "riscv64", "loong64", "mips64el"]);

let probed: boolean | undefined;

/**
 * True if this engine keeps a memory's base where it is as it grows: a probe memory is
 * grown to 1 GiB (address space only; nothing is touched) and its base compared.
 */
function engineKeepsBase(): boolean {
  if (probed !== undefined) return probed;
  probed = false;
  try {
    const probe = new WebAssembly.Memory({ initial: 1 });
    const before = native.guestBase(probe);
    probe.grow(16383);
    probed = before > 0 && before === native.guestBase(probe);
  } catch {
    probed = false;
  }
  return probed;
}

/**
 * Whether guest mappings of `memory` can be the file's pages in place; `forceCopy` (an
 * option, or MMAP_WASI_GUEST_MAPPINGS=copy) says no.
 */
export function inPlacePossible(memory: WebAssembly.Memory, forceCopy: boolean): boolean {
  if (forceCopy || !POSIX.has(process.platform) || !ARCHES_64.has(process.arch)) return false;
  if (typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer) return false;
  const base = native.guestBase(memory);
  return base > 0 && base % pageSize() === 0 && engineKeepsBase() && native.guestReserved(memory) === 1;
}

/** True if a page of `mapping` was lost to truncation (the fault guard put zeros there). */
export function mappingLost(mapping: GuestMapping): boolean {
  return mapping.id >= 0 && native.lostFrom(mapping.id) !== Infinity;
}

/**
 * How many pages the addon's fault guard has ever replaced with zeros, in any mapping:
 * read on every call that may have to report a loss, so a typed array over the addon's
 * counter where the runtime allows one.
 */
const lossCounter: Uint32Array | undefined = (() => {
  const buffer = native.lossCounter();
  return typeof buffer === "number" ? undefined : new Uint32Array(buffer);
})();
const pagesLost = (): number => (lossCounter ? lossCounter[0]! : native.pagesLost());

/** A file's identity: the same for every descriptor of it. */
function identity(fd: number): string {
  const stats = fs.fstatSync(fd);
  return `${stats.dev}:${stats.ino}`;
}

export class GuestMappings {
  readonly #memory: GuestMemory;
  /** By the core's entry index. */
  readonly #mappings: Array<GuestMapping | undefined> = [];
  #inPlace = false;
  #base = 0;
  /** The fault guard's count when the mappings were last looked at for losses. */
  #lossesSeen = pagesLost();

  constructor(memory: GuestMemory) {
    this.#memory = memory;
  }

  /**
   * True if `file` (an open handle) must answer io: a guest mapping of the same file lost
   * a page to truncation while the handle was open. Costs one read of a counter unless
   * the fault guard replaced a page since the last look; then each lost mapping marks the
   * open handles of its file.
   */
  lost(file: OpenFile, files: ReadonlyArray<OpenFile | undefined>): boolean {
    const losses = pagesLost();
    if (losses !== this.#lossesSeen) {
      this.#lossesSeen = losses;
      this.#markLosses(files);
    }
    return file.lost;
  }

  #markLosses(files: ReadonlyArray<OpenFile | undefined>): void {
    const lostIds = new Set<string>();
    for (const mapping of this.#mappings) if (mapping && mappingLost(mapping)) lostIds.add(mapping.fileId);
    if (lostIds.size === 0) return;
    for (const file of files) {
      if (!file || file.lost || file.fd === undefined) continue;
      file.fileId ??= identity(file.fd);
      if (lostIds.has(file.fileId)) file.lost = true;
    }
  }

  /** Where the attached memory's bytes start in this process (0 when the host copies). */
  get base(): number {
    return this.#base;
  }

  /** Decides, for the memory just attached, between in place and copies; returns map_kind. */
  attached(forceCopy: boolean): number {
    const memory = this.#memory.memory!;
    this.#inPlace = inPlacePossible(memory, forceCopy);
    this.#base = this.#inPlace ? native.guestBase(memory) : 0;
    return this.#inPlace ? 1 : 0;
  }

  /** Grows the memory by `bytes` (whole 64 KiB pages): its old size in bytes, or -1. */
  grow(bytes: number): number {
    const memory = this.#memory.memory;
    if (!memory) return -1;
    try {
      return memory.grow(bytes / 65536) * 65536;
    } catch {
      return -1;
    }
  }

  map(entry: number, file: OpenFile, fileStart: number, spanStart: number, spanLength: number, addr: number, length: number, flags: number): number {
    const shared = (flags & FLAG_SHARED_WRITABLE) !== 0;
    const fd = file.fd;
    if (fd === undefined) return native.ENOMEM;
    const need = addr - spanStart + length;
    const mapping: GuestMapping = { id: -1, file, fileStart, spanStart, spanLength, addr, length, shared, fileId: "" };
    if (this.#inPlace) {
      const memory = this.#memory.memory!;
      // The base was seen not to move; a memory that moved anyway would lose its mappings.
      if (native.guestBase(memory) !== this.#base) return TRUNCATED;
      if (coreExports.withinMapBudget(native.areasInUse(), AREAS_PER_MAPPING, maxMapCount()) < 0) return MAP_COUNT_EXCEEDED;
      // The file's size now: the kernel would fault (SIGBUS) on pages wholly past its end.
      const stats = fs.fstatSync(fd);
      if (stats.size < fileStart + need) return TRUNCATED;
      mapping.fileId = `${stats.dev}:${stats.ino}`;
      file.fileId ??= mapping.fileId;
      const id = native.guestMap(memory, spanStart, spanLength, fd, fileStart, shared);
      if (id < 0) return id;
      native.setSplitAreas(id, AREAS_PER_MAPPING - 1);
      mapping.id = id;
    } else {
      const bytes = this.#memory.bytes();
      let done = 0;
      while (done < spanLength) {
        const got = native.readFile(fd, fileStart + done, spanLength - done, bytes, spanStart + done);
        if (got < 0) return got;
        if (got === 0) break;
        done += got;
      }
      if (done < need) {
        bytes.fill(0, spanStart, spanStart + spanLength);
        return TRUNCATED;
      }
    }
    this.#mappings[entry] = mapping;
    file.guestMappings.add(mapping);
    return 0;
  }

  /** Releases one mapping; its span reads as zeros. Copies are written back first. */
  unmap(entry: number): number {
    const mapping = this.#mappings[entry];
    if (!mapping) return 0;
    this.#mappings[entry] = undefined;
    return this.#release(mapping);
  }

  /** Durable write-back of guest addresses `[start, end)` of a writable mapping that reaches the file. */
  sync(entry: number, start: number, end: number): number {
    const mapping = this.#mappings[entry];
    if (!mapping) return TRUNCATED;
    if (mappingLost(mapping)) return TRUNCATED;
    const fd = mapping.file.fd;
    if (fd === undefined) return TRUNCATED;
    if (mapping.id >= 0) {
      const page = pageSize();
      const from = Math.floor((start - mapping.spanStart) / page) * page;
      const to = Math.min(Math.ceil((end - mapping.spanStart) / page) * page, mapping.spanLength);
      return native.sync(mapping.id, from, to - from, fd);
    }
    const status = this.#writeBack(mapping, start, end);
    if (status < 0) return status;
    fs.fdatasyncSync(fd);
    return 0;
  }

  /** Advice for page-aligned guest addresses `[start, end)`; copies take none. */
  advise(entry: number, start: number, end: number, action: number): number {
    const mapping = this.#mappings[entry];
    if (!mapping) return TRUNCATED;
    if (mappingLost(mapping)) return TRUNCATED;
    if (mapping.id < 0) return 0;
    mapping.file.window ??= readAheadWindow(mapping.file.device);
    const maxPiece = coreExports.actionPiece(action, mapping.file.window, pageSize());
    for (let position = start - mapping.spanStart, stop = end - mapping.spanStart; position < stop;) {
      const length = coreExports.nextPiece(position, stop, maxPiece);
      const status = native.advise(mapping.id, position, length, action);
      if (status < 0) return status;
      position += length;
    }
    return 0;
  }

  /** Releases every mapping (the import object's close()); 0 or the first failure. */
  releaseAll(): number {
    let failure = 0;
    for (let entry = 0; entry < this.#mappings.length; entry++) {
      const mapping = this.#mappings[entry];
      if (!mapping) continue;
      this.#mappings[entry] = undefined;
      failure ||= this.#release(mapping);
    }
    return failure;
  }

  /** Zero pages over the span (a copy is written back first), and the file let go. */
  #release(mapping: GuestMapping): number {
    let status = 0;
    try {
      if (mapping.id >= 0) {
        status = native.guestUnmap(this.#memory.memory, mapping.id);
      } else {
        if (mapping.shared) status = this.#writeBack(mapping, mapping.addr, mapping.addr + mapping.length);
        this.#memory.bytes().fill(0, mapping.spanStart, mapping.spanStart + mapping.spanLength);
      }
    } finally {
      this.#drop(mapping);
    }
    return status;
  }

  /**
   * Copies guest addresses `[start, end)` back to the file: TRUNCATED if the file no
   * longer holds them all (nothing is written then: the file is not grown back).
   */
  #writeBack(mapping: GuestMapping, start: number, end: number): number {
    const fd = mapping.file.fd;
    if (fd === undefined || end <= start) return fd === undefined ? TRUNCATED : 0;
    const position = mapping.fileStart + (start - mapping.spanStart);
    if (fs.fstatSync(fd).size < position + (end - start)) return TRUNCATED;
    const bytes = this.#memory.bytes();
    for (let done = 0; done < end - start;) {
      done += fs.writeSync(fd, bytes, start + done, end - start - done, position + done);
    }
    return 0;
  }

  /** The mapping no longer needs its file; a handle closed meanwhile lets go of the descriptor now. */
  #drop(mapping: GuestMapping): void {
    const file = mapping.file;
    file.guestMappings.delete(mapping);
    if (file.closed && file.guestMappings.size === 0 && file.fd !== undefined) {
      const fd = file.fd;
      file.fd = undefined;
      fs.closeSync(fd);
    }
  }
}

let mapCountLimit: number | undefined;

/** vm.max_map_count, or 0 where there is no such limit to respect. */
function maxMapCount(): number {
  if (mapCountLimit !== undefined) return mapCountLimit;
  mapCountLimit = 0;
  if (process.platform === "linux") {
    try {
      mapCountLimit = Number.parseInt(fs.readFileSync("/proc/sys/vm/max_map_count", "latin1"), 10) || 0;
    } catch {
      mapCountLimit = 0;
    }
  }
  return mapCountLimit;
}
