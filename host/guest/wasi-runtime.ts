// The WASI preview1 import object and the start call of the current runtime's `node:wasi`,
// which differ:
// - Node and Deno: `getImportObject()` and `start(instance)`, which returns the exit code
//   (returnOnExit) and honours the `stdout`/`stderr` descriptors.
// - Bun: no `getImportObject()`; `wasiImport` is the preview1 namespace. Its `proc_exit`
//   ends the whole process and `start()` returns nothing, and it writes the guest's
//   standard streams to the process's own, ignoring `stdout`/`stderr`. So proc_exit is
//   replaced here with one that unwinds the guest with its code, and the streams go
//   through its `sendStdout`/`sendStderr` hooks to the descriptors asked for.
import * as fs from "node:fs";

export interface Preview1Options {
  args: string[];
  env: Record<string, string>;
  preopens: Record<string, string>;
  stdout: number;
  stderr: number;
}

export interface Preview1 {
  /** To spread into the guest's import object (the `wasi_snapshot_preview1` namespace). */
  imports: Record<string, WebAssembly.ModuleImports>;
  /** Runs the command's `_start`: its exit code (0 when `_start` returns). */
  start(instance: WebAssembly.Instance): number;
}

type WasiClass = typeof import("node:wasi").WASI;

interface BunWasi {
  wasiImport?: Record<string, unknown>;
  sendStdout?: (bytes: Uint8Array) => void;
  sendStderr?: (bytes: Uint8Array) => void;
  start(instance: WebAssembly.Instance): unknown;
}

/** Thrown through the guest by proc_exit, to unwind it with its exit code. */
class GuestExit {
  constructor(readonly code: number) {}
}

/** The runtime's name, for messages. */
export function runtimeName(): string {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun) return `Bun ${versions.bun}`;
  if (versions.deno) return `Deno ${versions.deno}`;
  return `Node ${process.versions.node}`;
}

export function createPreview1(WASI: WasiClass, options: Preview1Options): Preview1 {
  const wasi = new WASI({ version: "preview1", ...options, returnOnExit: true });
  if (typeof wasi.getImportObject === "function") {
    return {
      imports: wasi.getImportObject() as unknown as Record<string, WebAssembly.ModuleImports>,
      start: (instance) => wasi.start(instance),
    };
  }
  const bun = wasi as unknown as BunWasi;
  if (bun.wasiImport && typeof bun.wasiImport === "object" && typeof bun.start === "function") {
    bun.wasiImport.proc_exit = (code: number) => {
      throw new GuestExit(code >>> 0);
    };
    bun.sendStdout = (bytes) => writeAll(options.stdout, bytes);
    bun.sendStderr = (bytes) => writeAll(options.stderr, bytes);
    return {
      imports: { wasi_snapshot_preview1: bun.wasiImport as WebAssembly.ModuleImports },
      start: (instance) => {
        try {
          bun.start(instance);
          return 0;
        } catch (error) {
          if (error instanceof GuestExit) return error.code;
          throw error;
        }
      },
    };
  }
  throw new Error(
    `mmap-wasi: ${runtimeName()}: node:wasi offers neither getImportObject() nor wasiImport, so guests cannot run ` +
      'under it; use runtime "wasmer" (@wasmer/wasi)',
  );
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length; ) written += fs.writeSync(fd, bytes, written);
}
