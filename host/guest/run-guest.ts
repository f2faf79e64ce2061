// runGuest(): runs a WASI command module with the mmap_wasi imports, under node:wasi
// (real files; the grants are also preopened) or @wasmer/wasi (an in-memory file system;
// the mapping grants still reach the host's files).
import * as fs from "node:fs";
import * as v8 from "node:v8";
import { createMmapImports, type MmapGrant, type MmapImportsOptions, type MmapLimits } from "./imports.js";
import { MmapError } from "../errors.js";
import { createPreview1 } from "./wasi-runtime.js";
import { NodeWasiFileTable } from "./file-table.js";

export interface RunGuestOptions {
  /** Arguments after the program name (argv[1…]). */
  args?: readonly string[];
  /** argv[0] as the guest sees it (default: "guest"). */
  programName?: string;
  env?: Readonly<Record<string, string>>;
  /** Directories the guest may map files from (and, under node:wasi, see through WASI). */
  grants?: readonly MmapGrant[];
  limits?: MmapLimits;
  /** How guest mappings are made: "auto" (default; in place where possible) or "copy". */
  guestMappings?: "auto" | "copy";
  /** "node" (default): node:wasi. "wasmer": @wasmer/wasi. */
  runtime?: "node" | "wasmer";
  /** File descriptors for the guest's standard output and error (default 1 and 2). */
  stdout?: number;
  stderr?: number;
}

export interface GuestResult {
  exitCode: number;
}

export type GuestModule = string | URL | Uint8Array | ArrayBuffer | WebAssembly.Module;

export async function runGuest(wasm: GuestModule, options: RunGuestOptions = {}): Promise<GuestResult> {
  const module = await compile(wasm);
  const runtime = options.runtime ?? "node";
  if (runtime === "node") return runUnderNodeWasi(module, options);
  if (runtime === "wasmer") return runUnderWasmer(module, options);
  throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", `runtime must be "node" or "wasmer", got ${String(runtime)}`);
}

async function compile(wasm: GuestModule): Promise<WebAssembly.Module> {
  if (wasm instanceof WebAssembly.Module) return wasm;
  const bytes = typeof wasm === "string" || wasm instanceof URL ? await fs.promises.readFile(wasm) : wasm;
  return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
}

function mmapOptions(options: RunGuestOptions): MmapImportsOptions {
  return { grants: options.grants ?? [], limits: options.limits ?? {}, guestMappings: options.guestMappings };
}

let nodeWasi: Promise<typeof import("node:wasi")> | undefined;

/**
 * Runs `load` without node:wasi's ExperimentalWarning reaching the user: Node emits it
 * when the module loads, Deno when a WASI is made.
 */
async function withoutWasiWarning<T>(load: () => T | Promise<T>): Promise<T> {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === "ExperimentalWarning" && String(warning).includes("WASI")) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await load();
  } finally {
    process.emitWarning = emitWarning;
  }
}

function loadNodeWasi(): Promise<typeof import("node:wasi")> {
  // On Node 20 a garbage collection inside V8's fast-API path of a WASI call can kill the
  // process once the guest's memory is large; without fast API calls that path is not taken.
  v8.setFlagsFromString("--no-turbo-fast-api-calls");
  nodeWasi ??= withoutWasiWarning(() => import("node:wasi"));
  return nodeWasi;
}

async function runUnderNodeWasi(module: WebAssembly.Module, options: RunGuestOptions): Promise<GuestResult> {
  const { WASI } = await loadNodeWasi();
  const preopens = Object.fromEntries((options.grants ?? []).map((grant) => [grant.guest, grant.host]));
  // open_fd learns which file a descriptor is from node:wasi's own calls (file-table.ts).
  const fileTable = new NodeWasiFileTable(Object.keys(preopens));
  const mmap = createMmapImports({ ...mmapOptions(options), fileTable });
  // Node, Deno and Bun differ in how node:wasi hands over its imports and exit code.
  const wasi = await withoutWasiWarning(() => createPreview1(WASI, {
    args: [options.programName ?? "guest", ...(options.args ?? [])],
    env: { ...options.env },
    preopens,
    stdout: options.stdout ?? 1,
    stderr: options.stderr ?? 2,
  }));
  const wasiImports: Record<string, WebAssembly.ModuleImports> = { ...wasi.imports };
  for (const name of ["wasi_snapshot_preview1", "wasi_unstable"]) {
    if (wasiImports[name]) wasiImports[name] = fileTable.wrap(wasiImports[name]);
  }
  const imports = { ...wasiImports, ...mmap.imports } as unknown as WebAssembly.Imports;
  const instance = await WebAssembly.instantiate(module, imports);
  fileTable.attach(instance);
  mmap.attach(instance);
  try {
    return { exitCode: wasi.start(instance) };
  } finally {
    mmap.close();
  }
}

/** Thrown through the guest by proc_exit, to unwind it with its exit code. */
class GuestExit {
  constructor(readonly code: number) {}
}

async function runUnderWasmer(module: WebAssembly.Module, options: RunGuestOptions): Promise<GuestResult> {
  const { init, WASI } = await import("@wasmer/wasi");
  await init();
  // Its files live in memory, not on the host: no file table, so open_fd is notsup.
  const mmap = createMmapImports(mmapOptions(options));
  const wasi = new WASI({ args: [options.programName ?? "guest", ...(options.args ?? [])], env: { ...options.env } });
  // @wasmer/wasi's own proc_exit traps, and its start() then reports neither the exit code
  // nor, afterwards, the guest's output. So proc_exit unwinds with a value of ours instead,
  // and _start is called here rather than through wasi.start().
  const imports = wasi.getImports(module) as Record<string, Record<string, unknown>>;
  const wasiModule = imports.wasi_snapshot_preview1 ?? imports.wasi_unstable ?? {};
  wasiModule.proc_exit = (code: number) => {
    throw new GuestExit(code >>> 0);
  };
  let exitCode = 0;
  try {
    const instance = new WebAssembly.Instance(module, { ...imports, ...mmap.imports } as unknown as WebAssembly.Imports);
    wasi.instantiate(instance);
    mmap.attach(instance);
    const start = instance.exports._start;
    if (typeof start !== "function") throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", "the guest has no _start: it is not a WASI command");
    try {
      start();
    } catch (error) {
      if (!(error instanceof GuestExit)) throw error;
      exitCode = error.code;
    }
  } finally {
    mmap.close();
    // Its standard streams live in memory: hand them on once the guest is done.
    fs.writeSync(options.stdout ?? 1, wasi.getStdoutBuffer());
    fs.writeSync(options.stderr ?? 2, wasi.getStderrBuffer());
    wasi.free();
  }
  return { exitCode };
}
