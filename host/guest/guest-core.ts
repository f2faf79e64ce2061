// The guest core (build/guest.wasm): one instance per guest, whose exports are the
// guest's imports and which imports the host operations (operations.ts).
import * as fs from "node:fs";
import { platformCode } from "../core.js";
import { pageSize } from "../memory-mapped-file.js";
import { guestCoreWasmPath } from "../paths.js";

export interface GuestCore {
  memory: WebAssembly.Memory;
  init(tag: number, maxHandles: number, maxMapped: number, page: number, platform: number): number;
  add_grant(len: number, access: number): number;
  memory_attached(): void;
  [name: string]: unknown;
}

let compiled: WebAssembly.Module | undefined;
let nextTag = 1;

/** The guest core's module, compiled once per process. */
export function guestCoreModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(fs.readFileSync(guestCoreWasmPath));
  return compiled;
}

/** The value of one of the core's exported constants (FAIL_*, GRANT_*). */
export function coreConstant(core: GuestCore, name: string): number {
  return (core[name] as WebAssembly.Global).value as number;
}

/**
 * Instantiates the core with `host` as its imports, into `core` (which the host
 * operations already hold), and sets it up. Returns the address of the core's staging
 * buffer for grant prefixes.
 */
export function instantiateGuestCore(
  core: GuestCore,
  host: WebAssembly.ModuleImports,
  limits: { maxHandles: number; maxMappedBytes: number },
): number {
  const instance = new WebAssembly.Instance(guestCoreModule(), { host });
  Object.assign(core, instance.exports);
  const tag = nextTag;
  nextTag = (nextTag % 2047) + 1; // the core keeps 11 bits of it
  return core.init(tag, limits.maxHandles, limits.maxMappedBytes, pageSize(), platformCode());
}
