// The `mmap_wasi` import module for one WebAssembly guest (docs/abi.md).
//
// Each call to createMmapImports() makes a new instance of the guest core
// (build/guest.wasm, guest-core.ts); its exports are the guest's imports, so every guest
// call is checked in WebAssembly. What reaches JavaScript is a validated operation
// (operations.ts): open a file beneath a grant (sandbox.ts), copy between a mapping and
// guest memory (memory.ts), advise, flush, resize, count pages.
import { MmapError } from "../errors.js";
import { FailureIds } from "./failures.js";
import { addGrants, resolveGrants, type MmapGrant } from "./grants.js";
import { instantiateGuestCore, guestCoreModule, type GuestCore } from "./guest-core.js";
import { GuestMemory } from "./memory.js";
import { GuestMappings } from "./mappings.js";
import { closeFile, hostOperations, type GuestState } from "./operations.js";
import type { WasiFileTable } from "./file-table.js";

export type { MmapGrant } from "./grants.js";
export type { WasiFileTable } from "./file-table.js";

export interface MmapLimits {
  /** Most handles the guest may hold open at once (default 1024, at most 4096). */
  maxHandles?: number;
  /** Most bytes the guest may have mapped at once (default: no limit). */
  maxMappedBytes?: number;
}

export interface MmapImportsOptions {
  grants?: readonly MmapGrant[];
  limits?: MmapLimits;
  /**
   * How guest mappings (ABI version 2) are made. "auto" (default): the file's pages in
   * place where the platform and engine allow it, copies elsewhere. "copy": always
   * copies. The environment variable MMAP_WASI_GUEST_MAPPINGS=copy does the same.
   */
  guestMappings?: "auto" | "copy";
  /**
   * The guest's WASI file table, for open_fd (ABI version 2): the guest path of the file
   * behind each descriptor the guest holds. runGuest() gives one under node:wasi. Without
   * it open_fd returns notsup.
   */
  fileTable?: WasiFileTable;
}

/** The guest's `mmap_wasi` import functions, as an import-object namespace. */
export type MmapWasiModule = Record<
  | "page_size" | "open" | "create" | "len" | "read" | "write" | "advise" | "flush" | "resize" | "resident" | "close"
  | "map" | "unmap" | "sync" | "madvise" | "map_kind" | "open_fd",
  (...args: never[]) => number
>;

const GUEST_IMPORTS = [
  "page_size", "open", "create", "len", "read", "write", "advise", "flush", "resize", "resident", "close",
  "map", "unmap", "sync", "madvise", "map_kind", "open_fd",
] as const;

export interface MmapImports {
  /** Merge into the runtime's import object: `{ ...wasiImports, ...mmap.imports }`. */
  readonly imports: { mmap_wasi: MmapWasiModule };
  /** Gives the imports the guest's memory, once the guest is instantiated. */
  attach(target: WebAssembly.Instance | WebAssembly.Memory): void;
  /**
   * Unmaps every file the guest left open, and releases every guest mapping (their
   * memory reads as zeros), once it is done. Calls on those handles then fail with errno
   * io; make new imports for a new guest.
   */
  close(): void;
}

const DEFAULT_MAX_HANDLES = 1024;

export function createMmapImports(options: MmapImportsOptions = {}): MmapImports {
  guestCoreModule(); // a missing build/guest.wasm fails before any argument does
  const limits = checkedLimits(options.limits ?? {});
  const how = options.guestMappings ?? "auto";
  if (how !== "auto" && how !== "copy") {
    throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", `guestMappings must be "auto" or "copy", got ${String(how)}`);
  }
  const forceCopy = how === "copy" || process.env.MMAP_WASI_GUEST_MAPPINGS === "copy";
  const grants = options.grants ?? [];
  // The operations hold `core` from the start; it is filled in once instantiated.
  const core = {} as GuestCore;
  const memory = new GuestMemory();
  const state: GuestState = {
    core,
    grants: resolveGrants(grants),
    files: [],
    memory,
    failures: new FailureIds(core),
    mappings: new GuestMappings(memory),
    fileTable: options.fileTable,
  };
  const staging = instantiateGuestCore(core, hostOperations(state), limits);
  addGrants(core, staging, grants, state.grants);

  const mmap_wasi = Object.fromEntries(GUEST_IMPORTS.map((name) => [name, core[name]])) as MmapWasiModule;
  return {
    imports: { mmap_wasi },
    attach(target) {
      state.memory.attach(target);
      core.memory_attached();
      (core.set_map_kind as (kind: number, base: number) => void)(state.mappings.attached(forceCopy), state.mappings.base);
    },
    close() {
      state.mappings.releaseAll();
      (core.forget_mappings as () => void)();
      for (let slot = 0; slot < state.files.length; slot++) closeFile(state, slot);
    },
  };
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
