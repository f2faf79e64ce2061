// The host operations the guest core imports (module "host"): each runs an operation the
// core has already checked (slot, mode, range, guest-memory bounds, grant) on the guest's
// open files, and returns 0, a count, or a failure id.
import * as fs from "node:fs";
import { Mode } from "../core.js";
import { Mapping, TRUNCATED } from "../mapping.js";
import { pageSize } from "../memory-mapped-file.js";
import { native } from "../native.js";
import { readAheadWindow } from "../readahead.js";
import { guarded, type FailureIds } from "./failures.js";
import type { GuestCore } from "./guest-core.js";
import type { ResolvedGrant } from "./grants.js";
import type { GuestMemory } from "./memory.js";
import type { GuestMapping, GuestMappings } from "./mappings.js";
import type { WasiFileTable } from "./file-table.js";
import { createGrantedFile, openGrantedFile } from "./sandbox.js";

export interface OpenFile {
  mapping: Mapping;
  /** Length when opened; what map_file maps and the core recorded. */
  size: number;
  /**
   * Held while the handle is open (rw: flush, resize; ro: large reads; every mode: guest
   * mappings), and after close while a guest mapping copied from it may write back.
   */
  fd: number | undefined;
  device: number;
  /** The device's read-ahead window, found on the first advice. */
  window: number | undefined;
  /** The live guest mappings made from this handle; they outlive its close. */
  guestMappings: Set<GuestMapping>;
  /** The handle is closed; the descriptor waits for the last guest mapping. */
  closed: boolean;
  /** A guest mapping of this file lost a page while the handle was open: calls are io. */
  lost: boolean;
  /** The file's identity (device and inode), found when first needed. */
  fileId: string | undefined;
}

/** The guest's open files, by the core's slot numbers. */
export type OpenFiles = Array<OpenFile | undefined>;

/** What the operations of one guest share; createMmapImports makes one per guest. */
export interface GuestState {
  /** The core's exports, once instantiated (open_file reads the path from its memory). */
  core: GuestCore;
  grants: readonly ResolvedGrant[];
  files: OpenFiles;
  memory: GuestMemory;
  failures: FailureIds;
  mappings: GuestMappings;
  /** The guest's WASI file table, for open_fd; undefined when the embedder gave none. */
  fileTable: WasiFileTable | undefined;
}

/** fd_path's answers when there is no file table, or the guest does not hold the descriptor. */
const FD_PATH_NO_TABLE = -1;
const FD_PATH_NOT_HELD = -2;

/** Reads of at least this many bytes from ro and rw handles use pread (see copy_out). */
const LARGE_READ = 64 * 1024;

/** Unmaps and closes the file in `slot`, if any: 0 or a failure id. */
export function closeFile({ files, failures }: GuestState, slot: number): number {
  const file = files[slot];
  files[slot] = undefined;
  if (!file) return 0;
  const unmapped = file.mapping.unmap();
  file.closed = true;
  // A guest mapping outlives its handle: the last one lets go of the descriptor.
  if (file.fd !== undefined && file.guestMappings.size === 0) {
    fs.closeSync(file.fd);
    file.fd = undefined;
  }
  return unmapped < 0 ? failures.of(unmapped) : 0;
}

/**
 * The functions the core imports as module "host", by their import names. Those that can
 * fail are guarded (failures.ts): whatever they throw becomes a failure id.
 */
export function hostOperations(state: GuestState) {
  const { core, grants, files, memory, failures, mappings } = state;
  /** The handle's file, or undefined when a guest mapping of its file lost a page (io). */
  const intact = (slot: number): OpenFile | undefined => {
    const file = files[slot]!;
    return mappings.lost(file, files) ? undefined : file;
  };
  return {
    memory_size: () => memory.bytes().byteLength,
    copy_from_guest: (guestPtr: number, len: number, corePtr: number) => {
      const start = guestPtr >>> 0;
      new Uint8Array(core.memory.buffer).set(memory.bytes().subarray(start, start + (len >>> 0)), corePtr >>> 0);
    },
    store_u32: (guestPtr: number, value: number) => {
      memory.view().setUint32(guestPtr >>> 0, value >>> 0, true);
    },
    store_u64: (guestPtr: number, low: number, high: number) => {
      const view = memory.view();
      view.setUint32(guestPtr >>> 0, low >>> 0, true);
      view.setUint32((guestPtr >>> 0) + 4, high >>> 0, true);
    },
    open_file: guarded(failures, (slot: number, grantIndex: number, relPtr: number, relLen: number, mode: number, create: number, size: number) => {
      const grant = grants[grantIndex]!;
      const relative = Buffer.from(core.memory.buffer, relPtr >>> 0, relLen >>> 0).toString("utf8");
      const opened = create
        ? createGrantedFile(grant.realHost, relative, size)
        : openGrantedFile(grant.realHost, relative, mode === Mode.rw);
      if (typeof opened === "string") return failures.named(opened);
      files[slot] = {
        mapping: new Mapping(mode), size: opened.size, fd: opened.fd, device: opened.dev, window: undefined,
        guestMappings: new Set(), closed: false, lost: false, fileId: undefined,
      };
      return opened.size;
    }),
    // The guest path of the file behind WASI descriptor `fd`, written to the core's memory
    // at `corePtr` when it fits in `capacity` bytes: its length, FD_PATH_NO_TABLE or
    // FD_PATH_NOT_HELD. The core then opens that path as `open` would.
    fd_path: (fd: number, corePtr: number, capacity: number) => {
      if (!state.fileTable) return FD_PATH_NO_TABLE;
      const path = state.fileTable.pathOf(fd >>> 0);
      if (!path) return FD_PATH_NOT_HELD;
      if (path.byteLength <= capacity >>> 0) new Uint8Array(core.memory.buffer).set(path, corePtr >>> 0);
      return path.byteLength;
    },
    map_file: guarded(failures, (slot: number) => {
      const file = files[slot]!;
      const fd = file.fd!;
      const status = file.mapping.map(fd, file.size);
      // rw keeps its descriptor for flush and resize, ro for large reads (copy_out), and
      // every mode for guest mappings, which show the file.
      if (status < 0) {
        file.fd = undefined;
        fs.closeSync(fd);
      }
      return status < 0 ? failures.of(status) : 0;
    }),
    close_file: guarded(failures, (slot: number) => closeFile(state, slot)),
    copy_out: guarded(failures, (slot: number, offset: number, guestPtr: number, len: number) => {
      const file = intact(slot);
      if (!file) return failures.of(TRUNCATED);
      const count = len >>> 0;
      // ro and rw mappings hold exactly the file's bytes, and for large copies the kernel's
      // own copy (pread) beats faulting the mapping's pages in one by one.
      const status = count >= LARGE_READ && file.mapping.mode !== Mode.cow && file.fd !== undefined
        ? readFromFile(file.fd, offset, count, memory.bytes(), guestPtr >>> 0)
        : file.mapping.copyOut(offset, count, memory.bytes(), guestPtr >>> 0);
      return status < 0 ? failures.of(status) : 0;
    }),
    copy_in: guarded(failures, (slot: number, offset: number, guestPtr: number, len: number) => {
      const file = intact(slot);
      if (!file) return failures.of(TRUNCATED);
      const status = file.mapping.copyIn(offset, len >>> 0, memory.bytes(), guestPtr >>> 0);
      return status < 0 ? failures.of(status) : 0;
    }),
    advise: guarded(failures, (slot: number, start: number, end: number, action: number) => {
      const file = intact(slot);
      if (!file) return failures.of(TRUNCATED);
      file.window ??= readAheadWindow(file.device);
      const status = file.mapping.advise(start, end, action, file.window, pageSize());
      return status < 0 ? failures.of(status) : 0;
    }),
    flush: guarded(failures, (slot: number, start: number, end: number) => {
      const file = intact(slot);
      if (!file) return failures.of(TRUNCATED);
      const status = file.mapping.sync(start, end, file.fd!);
      return status < 0 ? failures.of(status) : 0;
    }),
    resize: guarded(failures, (slot: number, newLength: number) => {
      const file = intact(slot);
      if (!file) return failures.of(TRUNCATED);
      const unmapped = file.mapping.unmap();
      if (unmapped < 0) return failures.of(unmapped);
      fs.ftruncateSync(file.fd!, newLength);
      const status = file.mapping.map(file.fd!, newLength);
      return status < 0 ? failures.of(status) : 0;
    }),
    resident: guarded(failures, (slot: number, start: number, end: number) => {
      const file = intact(slot);
      if (!file) return failures.of(TRUNCATED);
      const count = file.mapping.residentPages(start, end);
      return count < 0 ? failures.of(count) : count;
    }),
    grow_memory: guarded(failures, (bytes: number) => mappings.grow(bytes)),
    map_guest: guarded(failures, (entry: number, slot: number, fileStart: number, spanStart: number, spanLength: number,
      addr: number, length: number, flags: number) => {
      const file = intact(slot);
      if (!file) return failures.of(TRUNCATED);
      const status = mappings.map(entry, file, fileStart, spanStart, spanLength, addr, length, flags);
      return status < 0 ? failures.of(status) : 0;
    }),
    unmap_guest: guarded(failures, (entry: number) => {
      const status = mappings.unmap(entry);
      return status < 0 ? failures.of(status) : 0;
    }),
    sync_guest: guarded(failures, (entry: number, start: number, end: number) => {
      const status = mappings.sync(entry, start, end);
      return status < 0 ? failures.of(status) : 0;
    }),
    advise_guest: guarded(failures, (entry: number, start: number, end: number, action: number) => {
      const status = mappings.advise(entry, start, end, action);
      return status < 0 ? failures.of(status) : 0;
    }),
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
