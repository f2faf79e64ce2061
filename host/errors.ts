// The one error type of the package, and the one place where a core refusal or an OS
// failure becomes one.
import { getSystemErrorMap } from "node:util";
import { Status } from "./core.js";

/** Codes of refusals made by mmap-wasi itself. OS failures use the errno name instead. */
export type MmapErrorCode =
  | "ERR_MMAP_INVALID_ARGUMENT"
  | "ERR_MMAP_OUT_OF_BOUNDS"
  | "ERR_MMAP_INVALID_MODE"
  | "ERR_MMAP_CLOSED"
  | "ERR_MMAP_DISCARDS_PRIVATE_WRITES"
  | "ERR_MMAP_VIEW_SPANS_SEGMENTS"
  | "ERR_MMAP_MAP_COUNT"
  | "ERR_MMAP_TRUNCATED"
  | "ERR_MMAP_NO_EXTERNAL_BUFFERS";

export interface MmapErrorDetails {
  errno?: number;
  syscall?: string;
  path?: string;
  cause?: unknown;
}

export class MmapError extends Error {
  /** `ERR_MMAP_*` for refusals, or the errno name (`ENOENT`, `EACCES`, …) for OS failures. */
  readonly code: MmapErrorCode | (string & {});
  /** Negative OS error number, as in Node's fs errors (`-2` for ENOENT). */
  readonly errno?: number;
  /** The system call that failed (`open`, `mmap`, `msync`, `madvise`, …). */
  readonly syscall?: string;
  readonly path?: string;

  constructor(code: MmapError["code"], message: string, details: MmapErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "MmapError";
    this.code = code;
    if (details.errno !== undefined) this.errno = details.errno;
    if (details.syscall !== undefined) this.syscall = details.syscall;
    if (details.path !== undefined) this.path = details.path;
  }
}

const REFUSALS = new Map<number, [MmapErrorCode, string]>([
  [Status.invalidArgument, ["ERR_MMAP_INVALID_ARGUMENT",
    "offsets and lengths must be non-negative safe integers or bigints, advice a MmapAdvice value"]],
  [Status.outOfBounds, ["ERR_MMAP_OUT_OF_BOUNDS", "the range lies outside the mapping"]],
  [Status.invalidMode, ["ERR_MMAP_INVALID_MODE", "the mapping's mode does not allow this"]],
  [Status.closed, ["ERR_MMAP_CLOSED", "the mapping is closed"]],
  [Status.discardsPrivateWrites, ["ERR_MMAP_DISCARDS_PRIVATE_WRITES",
    "DontNeed on a copy-on-write mapping would discard its private writes; pass { allowDiscard: true } to accept that"]],
  [Status.viewSpansSegments, ["ERR_MMAP_VIEW_SPANS_SEGMENTS",
    "a zero-copy view cannot cross a 4 GiB segment boundary; use read() or readInto() to copy"]],
  [Status.mapCountExceeded, ["ERR_MMAP_MAP_COUNT",
    "the process would pass its limit on memory mappings (vm.max_map_count); close mappings, or advise larger ranges"]],
  [Status.truncated, ["ERR_MMAP_TRUNCATED",
    "the file was truncated beneath the mapping, so these bytes no longer exist"]],
  [Status.noExternalBuffers, ["ERR_MMAP_NO_EXTERNAL_BUFFERS",
    "this runtime refuses external buffers (a V8 memory cage, as in Electron), so a mapping has no zero-copy view; use read() or readInto() to copy"]],
]);

/** The error for a refusal (negative status) from the core. */
export function refusal(status: number, method: string, path: string, detail = ""): MmapError {
  const [code, message] = REFUSALS.get(status) ?? ["ERR_MMAP_INVALID_ARGUMENT", `refused (${status})`];
  return new MmapError(code, `${method}: ${message}${detail ? ` (${detail})` : ""}: ${path}`, { path });
}

const systemErrors = getSystemErrorMap();

/** The error for an OS failure given as a negative libuv error number. */
export function osError(errno: number, syscall: string, path: string): MmapError {
  const [name, description] = systemErrors.get(errno) ?? [`E${-errno}`, "unknown error"];
  return new MmapError(name, `${name}: ${description}, ${syscall} '${path}'`, { errno, syscall, path });
}

/** The error for an OS failure known by its errno name (`EISDIR`), on any platform. */
export function osErrorNamed(name: string, syscall: string, path: string): MmapError {
  for (const [errno, [known]] of systemErrors) if (known === name) return osError(errno, syscall, path);
  return new MmapError(name, `${name}, ${syscall} '${path}'`, { syscall, path });
}

/** Node's fs errors, re-issued as MmapError with the same code, errno, syscall and path. */
export function fromFsError(error: unknown, path: string): MmapError {
  if (error instanceof MmapError) return error;
  const fsError = error as NodeJS.ErrnoException;
  if (typeof fsError?.errno === "number" && typeof fsError.code === "string") {
    return new MmapError(fsError.code, fsError.message, {
      errno: fsError.errno, syscall: fsError.syscall ?? "unknown", path: fsError.path ?? path, cause: error,
    });
  }
  return new MmapError("ERR_MMAP_INVALID_ARGUMENT", `${String((error as Error)?.message ?? error)}: ${path}`, {
    path, cause: error,
  });
}
