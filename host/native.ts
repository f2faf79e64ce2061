// The native addon (native/addon.cc). Internal: every call must have been checked by the
// core first. Results are numbers: >= 0 for success (or a count), a negative libuv error
// number for an OS failure.
import { createRequire } from "node:module";
import { nativeDir } from "./paths.js";

export interface NativeAddon {
  /**
   * Maps `length` bytes of `fd` from `offset`: the region's id (>= 0), or a failure. The
   * region stays mapped until unmap(), or until `owner` and every view of it are garbage.
   */
  map(fd: number, offset: number, length: number, mode: number, owner: object): number;
  /**
   * The region's bytes as an ArrayBuffer, zero-copy, or a failure: NO_EXTERNAL_BUFFERS
   * where the runtime refuses external buffers. unmap() detaches it.
   */
  view(id: number): ArrayBuffer | number;
  /** Unmaps the region; `view`, the buffer view() gave for it (if any), is detached first. */
  unmap(id: number, view: ArrayBuffer | undefined): number;
  sync(id: number, offset: number, length: number, fd: number): number;
  syncAsync(id: number, offset: number, length: number, fd: number): Promise<number>;
  advise(id: number, offset: number, length: number, action: number): number;
  residentPages(id: number, offset: number, length: number): number;
  lock(id: number, offset: number, length: number): number;
  unlock(id: number, offset: number, length: number): number;
  adviseFile(fd: number, offset: number, length: number, advice: number): number;
  pageSize(): number;
  /** Copies `length` bytes of the mapping at `offset` into `target` at `targetOffset`. */
  copyOut(id: number, offset: number, length: number, target: Uint8Array, targetOffset: number): number;
  /** Copies `length` bytes of `source` from `sourceOffset` into the mapping at `offset`. */
  copyIn(id: number, offset: number, length: number, source: Uint8Array, sourceOffset: number): number;
  /** pread of up to `length` bytes at `position` into `target` at `targetOffset`: bytes read, or a failure. */
  readFile(fd: number, position: number, length: number, target: Uint8Array, targetOffset: number): number;
  /** fstat of `fd` into `out`: [size, device, isDirectory, isRegular, links]; 0 or a failure. */
  fileInfo(fd: number, out: Float64Array): number;
  /**
   * Linux: opens `relative` inside the folder `base` with openat2(RESOLVE_BENEATH), so no
   * `..` or link can lead out: a descriptor, or a failure (EXDEV: the path needs what that
   * refuses, or `base` itself now leads through a link; ENOSYS: no such open here).
   */
  openBeneath(base: string, relative: string, flags: number): number;
  /** The file system's type number of `fd` (Linux statfs f_type; 0 elsewhere), or a failure. */
  filesystemType(fd: number): number;
  /** Where `memory`'s bytes start (an address), or a failure. */
  guestBase(memory: WebAssembly.Memory): number;
  /**
   * 1 if the engine reserved `memory`'s whole 32-bit range, unused beyond its current end
   * (it grows in place and is unmapped when freed), 0 if not or where this cannot be told,
   * or a failure.
   */
  guestReserved(memory: WebAssembly.Memory): number;
  /**
   * Maps `length` bytes of `fd` from `offset` over bytes `[start, start + length)` of
   * `memory` (all page-aligned): a region id, or a failure. `shared`: stores reach the
   * file. The memory owns the region: collected, it forgets it.
   */
  guestMap(memory: WebAssembly.Memory, start: number, length: number, fd: number, offset: number, shared: boolean): number;
  /** Zero pages over a guest region of `memory`, which is forgotten; 0 or a failure. */
  guestUnmap(memory: WebAssembly.Memory | undefined, id: number): number;
  /** Guest regions whose guard range the fault guard still looks at (for tests). */
  guestGuards(): number;
  /** Kernel areas that mappings use, in every thread of the process: regions plus splits. */
  areasInUse(): number;
  /** Records how many extra areas the mapping that starts with region `id` is split into. */
  setSplitAreas(id: number, count: number): number;
  /** An ArrayBuffer over the loss table (one float64 per region slot; see host/mapping.ts), or a failure. */
  lossTable(): ArrayBuffer | number;
  /** An ArrayBuffer over the count of pages lost to truncation ever (a Uint32Array), or a failure. */
  lossCounter(): ArrayBuffer | number;
  /** The count of pages lost to truncation ever, where lossCounter() cannot be made. */
  pagesLost(): number;
  /** The region's lowest offset lost to truncation, or Infinity; or a failure. */
  lostFrom(id: number): number;
  /** How many region slots there are: a region's slot is its id modulo this. */
  readonly REGION_SLOTS: number;
  /** Bytes of address space that mappings take, in every thread of the process. */
  mappedBytes(): number;
  /** libuv's status for "not enough memory". */
  readonly ENOMEM: number;
  /** Status of a copy that hit a part of the file truncated beneath the mapping. */
  readonly TRUNCATED: number;
  /** Status of view() where the runtime refuses external buffers (Electron's memory cage). */
  readonly NO_EXTERNAL_BUFFERS: number;
  /** For tests: makes view() take the path of a runtime that refuses external buffers. */
  refuseExternalBuffers(refuse: boolean): void;
}

function loadAddon(): NativeAddon {
  const require = createRequire(import.meta.url);
  // MMAP_WASI_ADDON_PATH loads another build of the addon (the sanitizer build in CI).
  // Otherwise node-gyp-build picks native/build/Release (a local build) if there is one,
  // else the prebuild in native/prebuilds/ for this platform and architecture.
  let path = process.env.MMAP_WASI_ADDON_PATH || nativeDir;
  try {
    if (!process.env.MMAP_WASI_ADDON_PATH) {
      path = (require("node-gyp-build") as { path(dir: string): string }).path(nativeDir);
    }
    return require(path) as NativeAddon;
  } catch (cause) {
    throw new Error(
      `mmap-wasi: the native addon is not built and no prebuilt one fits this platform (${path}). ` +
        "Run `npm rebuild mmap-wasi` (or `npm install` in a checkout); it needs python3, " +
        "make and a C++ compiler, and npm may ask you to approve the install script " +
        "(`npm install-scripts approve mmap-wasi`).",
      { cause },
    );
  }
}

export const native: NativeAddon = loadAddon();

/** WASI fd_advise numbering, as native/platform.h's FileAdvice. */
export const FileAdvice = { Normal: 0, Sequential: 1, Random: 2, WillNeed: 3, DontNeed: 4, NoReuse: 5 } as const;

const fileInfoOut = new Float64Array(5);

export interface FileInfo {
  size: number;
  device: number;
  isDirectory: boolean;
  isRegular: boolean;
  /** How many names (hard links) the file has. */
  links: number;
}

/** What mapping `fd` needs to know, in one fstat and without a Stats object; or a failure. */
export function fileInfo(fd: number): FileInfo | number {
  const status = native.fileInfo(fd, fileInfoOut);
  if (status < 0) return status;
  return {
    size: fileInfoOut[0]!,
    device: fileInfoOut[1]!,
    isDirectory: fileInfoOut[2] === 1,
    isRegular: fileInfoOut[3] === 1,
    links: fileInfoOut[4]!,
  };
}
