// mmap-wasi: real memory-mapped files for Node.js and WASI guests.
export { MemoryMappedFile, createMmap, pageSize } from "./memory-mapped-file.js";
export type { MappingMode, Residency } from "./memory-mapped-file.js";
export { MmapAdvice } from "./advice.js";
export type { AdviseOptions } from "./advice.js";
export { MmapError } from "./errors.js";
export type { MmapErrorCode, MmapErrorDetails } from "./errors.js";
export { createMmapImports } from "./guest/imports.js";
export type { MmapGrant, MmapImports, MmapImportsOptions, MmapLimits, MmapWasiModule, WasiFileTable } from "./guest/imports.js";
export { runGuest } from "./guest/run-guest.js";
export type { GuestModule, GuestResult, RunGuestOptions } from "./guest/run-guest.js";
