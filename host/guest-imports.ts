// The `mmap_wasi` import module for one WebAssembly guest (docs/abi.md).
//
// Each call to createMmapImports() makes a new instance of the guest core
// (build/guest.wasm); its exports are the guest's imports, so every guest call is checked
// in WebAssembly. What reaches this file is a validated operation: open a file beneath a
// grant, copy between a mapping and guest memory, advise, flush, resize, count pages.
import * as fs from "node:fs";
import * as path from "node:path";
import { getSystemErrorName } from "node:util";
import { Mode, platformCode } from "./core.js";
import { MmapError, fromFsError, osError, osErrorNamed } from "./errors.js";
import { MAP_COUNT_EXCEEDED, Mapping, TRUNCATED } from "./mapping.js";
import { pageSize } from "./memory-mapped-file.js";
import { fileInfo, native } from "./native.js";
import { guestCoreWasmPath } from "./paths.js";
import { readAheadWindow } from "./readahead.js";

export interface MmapGrant {
  /** Absolute path prefix the guest uses, e.g. "/data". */
  guest: string;
  /** Host directory the prefix stands for. */
  host: string;
  /** "ro" (default): open ro or cow. "rw": also open rw and create. */
  access?: "ro" | "rw";
}

export interface MmapLimits {
  /** Most handles the guest may hold open at once (default 1024, at most 4096). */
  maxHandles?: number;
  /** Most bytes the guest may have mapped at once (default: no limit). */
  maxMappedBytes?: number;
}

export interface MmapImportsOptions {
  grants?: readonly MmapGrant[];
  limits?: MmapLimits;
}

/** The guest's `mmap_wasi` import functions, as an import-object namespace. */
export type MmapWasiModule = Record<
  "page_size" | "open" | "create" | "len" | "read" | "write" | "advise" | "flush" | "resize" | "resident" | "close",
  (...args: never[]) => number
>;

export interface MmapImports {
  /** Merge into the runtime's import object: `{ ...wasiImports, ...mmap.imports }`. */
  readonly imports: { mmap_wasi: MmapWasiModule };
  /** Gives the imports the guest's memory, once the guest is instantiated. */
  attach(target: WebAssembly.Instance | WebAssembly.Memory): void;
  /**
   * Unmaps every file the guest left open, once it is done. Calls on those handles then
   * fail with errno io; make new imports for a new guest.
   */
  close(): void;
}

interface GuestCore {
  memory: WebAssembly.Memory;
  init(tag: number, maxHandles: number, maxMapped: number, page: number, platform: number): number;
  add_grant(len: number, access: number): number;
  memory_attached(): void;
  [name: string]: unknown;
}

interface OpenFile {
  mapping: Mapping;
  /** Length when opened; what map_file maps and the core recorded. */
  size: number;
  /** Held for rw (flush, resize) and between open_file and map_file; undefined otherwise. */
  fd: number | undefined;
  device: number;
  /** The device's read-ahead window, found on the first advice. */
  window: number | undefined;
}

interface ResolvedGrant {
  realHost: string;
  access: "ro" | "rw";
}

let guestCoreModule: WebAssembly.Module | undefined;
let nextTag = 1;
const DEFAULT_MAX_HANDLES = 1024;
/** Reads of at least this many bytes from ro and rw handles use pread (see copy_out). */
const LARGE_READ = 64 * 1024;
const MAX_GRANTS = 64; // the guest core's table holds this many
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0; // a FIFO must not block the open
const O_PATH = 0o10000000; // Linux's value on the platforms Node supports; fs.constants lacks it
const PATH_MAX = 4096; // Linux's longest path, with its NUL

export function createMmapImports(options: MmapImportsOptions = {}): MmapImports {
  guestCoreModule ??= new WebAssembly.Module(fs.readFileSync(guestCoreWasmPath));
  const limits = checkedLimits(options.limits ?? {});
  if ((options.grants ?? []).length > MAX_GRANTS) {
    throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", `at most ${MAX_GRANTS} grants, got ${options.grants!.length}`);
  }
  const grants = (options.grants ?? []).map(resolveGrant);
  const files: Array<OpenFile | undefined> = [];
  let guestMemory: WebAssembly.Memory | undefined;
  let sharedMemory = false;
  let guestBytes = new Uint8Array(0);
  let guestView = new DataView(new ArrayBuffer(0));

  // Views of guest memory, remade when the memory has grown. Growing a memory detaches
  // its old buffer, so the views' length drops to 0 and memory.buffer (a call into the
  // engine) is read only then. A shared memory's buffer is never detached: read always.
  const guest = () => {
    if (guestBytes.byteLength === 0 || sharedMemory) {
      const buffer = guestMemory?.buffer;
      if (buffer && buffer !== guestBytes.buffer) {
        guestBytes = new Uint8Array(buffer);
        guestView = new DataView(buffer);
      }
    }
    return guestBytes;
  };

  const failures = new Map<number, number>();
  const core = {} as GuestCore;
  /** The core's id for a failure of Mapping: TRUNCATED, MAP_COUNT_EXCEEDED, or an OS error found by its errno name. */
  const failureId = (status: number): number => {
    let id = failures.get(status);
    if (id === undefined) {
      const name = status === TRUNCATED ? "TRUNCATED" : status === MAP_COUNT_EXCEEDED ? "MAP_COUNT" : getSystemErrorName(status);
      const global = core[`FAIL_${name}`] ?? core.FAIL_OTHER;
      id = (global as WebAssembly.Global).value as number;
      failures.set(status, id);
    }
    return id;
  };
  const constant = (name: string) => (core[name] as WebAssembly.Global).value as number;
  const fsFailure = (error: unknown) => {
    const errno = (error as NodeJS.ErrnoException).errno;
    return typeof errno === "number" ? failureId(errno) : constant("FAIL_OTHER");
  };
  // A host import must never throw into the guest: an exception would be a trap.
  // The wrapper takes exactly as many parameters as `run`: V8 calls an import whose arity
  // matches its WebAssembly type through a faster entry (12 ns of a 99 ns guest read).
  const guarded = (run: (...args: number[]) => number): ((...args: number[]) => number) => {
    switch (run.length) {
      case 1: return (a) => { try { return run(a); } catch (error) { return fsFailure(error); } };
      case 2: return (a, b) => { try { return run(a, b); } catch (error) { return fsFailure(error); } };
      case 3: return (a, b, c) => { try { return run(a, b, c); } catch (error) { return fsFailure(error); } };
      case 4: return (a, b, c, d) => { try { return run(a, b, c, d); } catch (error) { return fsFailure(error); } };
      default: return (...args) => { try { return run(...args); } catch (error) { return fsFailure(error); } };
    }
  };

  const closeFile = (slot: number): number => {
    const file = files[slot];
    files[slot] = undefined;
    if (!file) return 0;
    const unmapped = file.mapping.unmap();
    if (file.fd !== undefined) fs.closeSync(file.fd);
    return unmapped < 0 ? failureId(unmapped) : 0;
  };

  const host = {
    memory_size: () => guest().byteLength,
    copy_from_guest: (guestPtr: number, len: number, corePtr: number) => {
      const start = guestPtr >>> 0;
      new Uint8Array(core.memory.buffer).set(guest().subarray(start, start + (len >>> 0)), corePtr >>> 0);
    },
    store_u32: (guestPtr: number, value: number) => {
      guest();
      guestView.setUint32(guestPtr >>> 0, value >>> 0, true);
    },
    store_u64: (guestPtr: number, low: number, high: number) => {
      guest();
      guestView.setUint32(guestPtr >>> 0, low >>> 0, true);
      guestView.setUint32((guestPtr >>> 0) + 4, high >>> 0, true);
    },
    open_file: guarded((slot: number, grantIndex: number, relPtr: number, relLen: number, mode: number, create: number, size: number) => {
      const grant = grants[grantIndex]!;
      const relative = Buffer.from(core.memory.buffer, relPtr >>> 0, relLen >>> 0).toString("utf8");
      const opened = create
        ? createBeneath(grant.realHost, relative, size)
        : openBeneath(grant.realHost, relative, mode === Mode.rw);
      if (typeof opened === "string") return constant(opened);
      files[slot] = { mapping: new Mapping(mode), size: opened.size, fd: opened.fd, device: opened.dev, window: undefined };
      return opened.size;
    }),
    map_file: guarded((slot: number) => {
      const file = files[slot]!;
      const fd = file.fd!;
      const status = file.mapping.map(fd, file.size);
      // rw keeps its descriptor for flush and resize, ro for large reads (copy_out); cow,
      // whose bytes may differ from the file's, needs none once mapped.
      if (status < 0 || file.mapping.mode === Mode.cow) {
        file.fd = undefined;
        fs.closeSync(fd);
      }
      return status < 0 ? failureId(status) : 0;
    }),
    close_file: guarded(closeFile),
    copy_out: guarded((slot: number, offset: number, guestPtr: number, len: number) => {
      const file = files[slot]!;
      const count = len >>> 0;
      // ro and rw mappings hold exactly the file's bytes, and for large copies the kernel's
      // own copy (pread) beats faulting the mapping's pages in one by one.
      const status = count >= LARGE_READ && file.fd !== undefined
        ? readFromFile(file.fd, offset, count, guest(), guestPtr >>> 0)
        : file.mapping.copyOut(offset, count, guest(), guestPtr >>> 0);
      return status < 0 ? failureId(status) : 0;
    }),
    copy_in: guarded((slot: number, offset: number, guestPtr: number, len: number) => {
      const status = files[slot]!.mapping.copyIn(offset, len >>> 0, guest(), guestPtr >>> 0);
      return status < 0 ? failureId(status) : 0;
    }),
    advise: guarded((slot: number, start: number, end: number, action: number) => {
      const file = files[slot]!;
      file.window ??= readAheadWindow(file.device);
      const status = file.mapping.advise(start, end, action, file.window, pageSize());
      return status < 0 ? failureId(status) : 0;
    }),
    flush: guarded((slot: number, start: number, end: number) => {
      const file = files[slot]!;
      const status = file.mapping.sync(start, end, file.fd!);
      return status < 0 ? failureId(status) : 0;
    }),
    resize: guarded((slot: number, newLength: number) => {
      const file = files[slot]!;
      const unmapped = file.mapping.unmap();
      if (unmapped < 0) return failureId(unmapped);
      fs.ftruncateSync(file.fd!, newLength);
      const status = file.mapping.map(file.fd!, newLength);
      return status < 0 ? failureId(status) : 0;
    }),
    resident: guarded((slot: number, start: number, end: number) => {
      const count = files[slot]!.mapping.residentPages(start, end);
      return count < 0 ? failureId(count) : count;
    }),
  };

  const instance = new WebAssembly.Instance(guestCoreModule, { host });
  Object.assign(core, instance.exports);
  const tag = nextTag;
  nextTag = (nextTag % 2047) + 1; // the core keeps 11 bits of it
  const staging = core.init(tag, limits.maxHandles, limits.maxMappedBytes, pageSize(), platformCode());
  for (const [index, grant] of (options.grants ?? []).entries()) {
    const prefix = Buffer.from(String(grant.guest), "utf8");
    new Uint8Array(core.memory.buffer).set(prefix.subarray(0, 4096), staging);
    const access = grants[index]!.access === "rw" ? constant("GRANT_RW") : constant("GRANT_RO");
    if (prefix.length > 4096 || core.add_grant(prefix.length, access) < 0) {
      throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", `grant guest path must be an absolute path: ${String(grant.guest)}`);
    }
  }

  const names = ["page_size", "open", "create", "len", "read", "write", "advise", "flush", "resize", "resident", "close"] as const;
  const mmap_wasi = Object.fromEntries(names.map((name) => [name, core[name]])) as MmapWasiModule;
  return {
    imports: { mmap_wasi },
    attach(target) {
      const memory = target instanceof WebAssembly.Memory ? target : target.exports.memory;
      if (!(memory instanceof WebAssembly.Memory)) {
        throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", "the guest does not export its memory as `memory`");
      }
      guestMemory = memory;
      sharedMemory = typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer;
      guestBytes = new Uint8Array(0);
      core.memory_attached();
    },
    close() {
      for (let slot = 0; slot < files.length; slot++) closeFile(slot);
    },
  };
}

/** pread of exactly `count` bytes at `offset` into `target`; TRUNCATED if the file ends first. */
function readFromFile(fd: number, offset: number, count: number, target: Uint8Array, at: number): number {
  for (let done = 0; done < count;) {
    const got = native.readFile(fd, offset + done, count - done, target, at + done);
    if (got <= 0) return got < 0 ? got : TRUNCATED;
    done += got;
  }
  return 0;
}

function checkedLimits(limits: MmapLimits): { maxHandles: number; maxMappedBytes: number } {
  const maxHandles = limits.maxHandles ?? DEFAULT_MAX_HANDLES;
  const maxMappedBytes = limits.maxMappedBytes ?? Infinity;
  if (!Number.isInteger(maxHandles) || maxHandles < 0 || maxHandles > 4096) {
    throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", `limits.maxHandles must be an integer from 0 to 4096, got ${String(maxHandles)}`);
  }
  if (typeof maxMappedBytes !== "number" || !(maxMappedBytes >= 0)) {
    throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", `limits.maxMappedBytes must be a non-negative number, got ${String(maxMappedBytes)}`);
  }
  return { maxHandles, maxMappedBytes };
}

function resolveGrant(grant: MmapGrant): ResolvedGrant {
  const access = grant.access ?? "ro";
  if (access !== "ro" && access !== "rw") {
    throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", `grant access must be "ro" or "rw", got ${String(access)}`);
  }
  try {
    const realHost = fs.realpathSync.native(grant.host);
    if (!fs.statSync(realHost).isDirectory()) {
      throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", `grant host path is not a directory: ${grant.host}`);
    }
    return { realHost, access };
  } catch (error) {
    throw fromFsError(error, grant.host);
  }
}

/** Why a resolved file is refused, as the core names it (OS errors throw instead). */
type Refusal = "FAIL_OUTSIDE_GRANT" | "FAIL_EISDIR" | "FAIL_NOT_REGULAR";

interface Opened {
  fd: number;
  size: number;
  dev: number;
}

function isBeneath(base: string, candidate: string): boolean {
  return candidate === base || candidate.startsWith(base.endsWith(path.sep) ? base : base + path.sep);
}

/**
 * Failures of native.openBeneath that are no verdict on the path, only on the way of
 * opening it: the path needs what RESOLVE_BENEATH refuses (an absolute link, a way out
 * and back in), the grant's own path leads through a link now (it was swapped: the walk
 * by hand refuses what lies outside that path), a rename raced the walk, or the kernel
 * (or a seccomp filter) has no openat2.
 * Links are also refused there when they are /proc's or too many; the walk by hand
 * decides those too.
 */
const RESOLVE_BY_HAND = new Set(["EXDEV", "EAGAIN", "ENOSYS", "EPERM", "E2BIG", "EINVAL", "ELOOP"]);

/**
 * Opens `relative` inside the grant's folder `base` in one system call that the kernel
 * keeps inside it (Linux openat2 with RESOLVE_BENEATH); undefined where that cannot
 * decide, and the path is then resolved by hand. `create` opens are left with ELOOP:
 * for them it means a link in the last place, which O_NOFOLLOW refuses.
 */
function openedBeneath(base: string, relative: string, flags: number): number | undefined {
  if (!relative) return undefined;
  const fd = native.openBeneath(base, relative, flags);
  if (fd >= 0) return fd;
  const name = getSystemErrorName(fd);
  if (RESOLVE_BY_HAND.has(name) && !(name === "ELOOP" && (flags & fs.constants.O_CREAT) !== 0)) return undefined;
  throw osError(fd, "openat2", path.join(base, relative));
}

/**
 * Throws ENAMETOOLONG for a host path longer than the system names (the guest's path fits
 * its 4096 bytes, but the grant's folder comes on top). openat2 walks only `relative`
 * and would open or create the file, but no check by its whole path could follow.
 */
function refuseOverlongPath(base: string, relative: string): void {
  if (process.platform === "linux" && Buffer.byteLength(base) + 1 + Buffer.byteLength(relative) >= PATH_MAX) {
    throw osErrorNamed("ENAMETOOLONG", "open", `${base}${path.sep}${relative.slice(0, 64)}...`);
  }
}

/** Opens `relative` under `base` following links that stay inside; refuses what lies outside. */
function openBeneath(base: string, relative: string, writable: boolean): Opened | Refusal {
  refuseOverlongPath(base, relative);
  const flags = (writable ? fs.constants.O_RDWR : fs.constants.O_RDONLY) | O_NONBLOCK;
  const confined = openedBeneath(base, relative, flags);
  if (confined !== undefined) return checkedDescriptor(base, confined, true);
  const real = fs.realpathSync.native(relative ? path.join(base, relative) : base);
  if (!isBeneath(base, real)) return "FAIL_OUTSIDE_GRANT";
  return checkedDescriptor(base, fs.openSync(real, flags | O_NOFOLLOW), false);
}

/** Creates (or truncates) `relative` under `base` with `size` bytes; its folder must exist. */
function createBeneath(base: string, relative: string, size: number): Opened | Refusal {
  if (!relative) return "FAIL_EISDIR";
  refuseOverlongPath(base, relative);
  // O_NOFOLLOW: a symbolic link in the last place is refused (ELOOP), never followed.
  const flags = fs.constants.O_RDWR | fs.constants.O_CREAT | O_NOFOLLOW | O_NONBLOCK;
  let created = openedBeneath(base, relative, flags);
  if (created === undefined) {
    const target = path.join(base, relative);
    const parent = fs.realpathSync.native(path.dirname(target));
    if (!isBeneath(base, parent)) return "FAIL_OUTSIDE_GRANT";
    const made = createIn(base, parent, path.basename(target), flags);
    if (typeof made === "string") return made;
    created = made;
  }
  // Checked where it is even when the kernel kept the walk inside: its folder may have
  // been moved out between the walk and the create.
  const opened = checkedDescriptor(base, created, false);
  if (typeof opened !== "string") {
    try {
      // Like O_TRUNC, but only once the file has passed the checks, and only once `size`
      // is known to be possible: a refused size leaves an existing file as it was.
      fs.ftruncateSync(opened.fd, size);
      fs.ftruncateSync(opened.fd, 0);
      fs.ftruncateSync(opened.fd, size);
    } catch (error) {
      fs.closeSync(opened.fd);
      throw error;
    }
    opened.size = size;
  }
  return opened;
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Linux: the link that names what an open descriptor is; reading it gives its real path. */
function descriptorPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/**
 * Opens `name` in the folder `parent` with `flags` (which create it). A folder on the
 * path swapped for a link after the check would make a plain open create the file
 * wherever the link points, and checking the new file afterwards can refuse it but not
 * un-create it. On Linux the file is therefore created through a descriptor of the
 * folder itself (/proc/self/fd/N/name, which does not walk the path again), after
 * checking where that descriptor's folder is. What is left there: the folder itself
 * renamed out of the grant between that check and the create (which needs write access
 * outside the grant, on the same file system); elsewhere, any swap. In both cases the
 * check after the open refuses the file, but it stays where it was made.
 */
function createIn(base: string, parent: string, name: string, flags: number): number | Refusal {
  if (process.platform !== "linux") return fs.openSync(path.join(parent, name), flags, 0o666);
  let folder: number;
  try {
    // O_PATH: a folder the process may write to but not list can still be named this way.
    folder = fs.openSync(parent, O_PATH | fs.constants.O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    // The checked folder is now a link: it was swapped. A file that was always there
    // instead of a folder is only a missing folder (ENOTDIR, as openat2 says too).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || (code === "ENOTDIR" && isLink(parent))) return "FAIL_OUTSIDE_GRANT";
    throw error;
  }
  try {
    if (!isBeneath(base, fs.readlinkSync(descriptorPath(folder)))) return "FAIL_OUTSIDE_GRANT";
    return fs.openSync(`${descriptorPath(folder)}/${name}`, flags, 0o666);
  } finally {
    fs.closeSync(folder);
  }
}

// File systems whose "regular files" are views of the kernel, not data: never mapped.
const PSEUDO_FILE_SYSTEMS = new Set([0x9fa0 /* proc */, 0x62656572 /* sysfs */]);

/**
 * Keeps `fd` only if it is an ordinary regular file beneath `base`: not a folder, device,
 * FIFO or socket, not a file of /proc or /sys, and with no second name (a hard link)
 * that could lie outside the grant. Unless the kernel `confined` the open to `base`, on
 * Linux the open file's own path is checked again, which catches a folder swapped for a
 * link between the check and the open.
 */
function checkedDescriptor(base: string, fd: number, confined: boolean): Opened | Refusal {
  try {
    const info = fileInfo(fd);
    if (typeof info === "number") throw osError(info, "fstat", base);
    let refusal: Refusal | undefined = info.isDirectory ? "FAIL_EISDIR" : info.isRegular ? undefined : "FAIL_NOT_REGULAR";
    if (!refusal && info.links > 1) refusal = "FAIL_OUTSIDE_GRANT";
    if (!refusal && process.platform === "linux") {
      const filesystem = native.filesystemType(fd);
      if (filesystem < 0) throw osError(filesystem, "fstatfs", base);
      if (!confined && !isBeneath(base, fs.readlinkSync(descriptorPath(fd)))) refusal = "FAIL_OUTSIDE_GRANT";
      else if (PSEUDO_FILE_SYSTEMS.has(filesystem)) refusal = "FAIL_NOT_REGULAR";
    }
    if (!refusal) return { fd, size: info.size, dev: info.device };
    fs.closeSync(fd);
    return refusal;
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}
