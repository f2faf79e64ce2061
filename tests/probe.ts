// The probe guest (tests/guests/probe.ts), whose exports call the mmap_wasi imports with
// exactly the arguments a test passes, and the WASI errnos by name as the guest core
// exports them (assembly/core/errno.ts).
import * as fs from "node:fs";
import { createMmapImports, type MmapImportsOptions } from "../build/lib/index.js";

const probeModule = new WebAssembly.Module(fs.readFileSync(new URL("../build/guests/probe.wasm", import.meta.url)));

/** The guest core's exported ERRNO_<NAME> constants, read without running any of it. */
function coreErrnos(): Map<string, number> {
  const core = new WebAssembly.Module(fs.readFileSync(new URL("../build/guest.wasm", import.meta.url)));
  const host: Record<string, () => number> = {};
  for (const { module, name } of WebAssembly.Module.imports(core)) {
    if (module === "host") host[name] = () => 0;
  }
  const { exports } = new WebAssembly.Instance(core, { host });
  const errnos = new Map<string, number>();
  for (const [name, value] of Object.entries(exports)) {
    if (name.startsWith("ERRNO_")) errnos.set(name.slice("ERRNO_".length), (value as WebAssembly.Global).value as number);
  }
  return errnos;
}

const errnos = coreErrnos();
const errno = (name: string): number => {
  const value = errnos.get(name);
  if (value === undefined) throw new Error(`build/guest.wasm exports no ERRNO_${name}`);
  return value;
};

/** The errnos a guest can see, by their WASI names. */
export const E = {
  success: errno("SUCCESS"), acces: errno("ACCES"), badf: errno("BADF"), fault: errno("FAULT"),
  ilseq: errno("ILSEQ"), inval: errno("INVAL"), io: errno("IO"), isdir: errno("ISDIR"), mfile: errno("MFILE"),
  noent: errno("NOENT"), nomem: errno("NOMEM"), notsup: errno("NOTSUP"), range: errno("RANGE"),
  notcapable: errno("NOTCAPABLE"),
} as const;

/** Every ERRNO_<NAME> constant the core exports, by NAME. */
export const coreErrnoTable = (): Record<string, number> => Object.fromEntries(errnos);

export interface ProbeExports {
  memory: WebAssembly.Memory;
  page_size(): number;
  open(pathPtr: number, pathLen: number, mode: number, outHandle: number): number;
  create(pathPtr: number, pathLen: number, size: bigint, outHandle: number): number;
  len(handle: number, outLen: number): number;
  read(handle: number, offset: bigint, dst: number, len: number): number;
  write(handle: number, offset: bigint, src: number, len: number): number;
  advise(handle: number, offset: bigint, len: bigint, advice: number): number;
  flush(handle: number, offset: bigint, len: bigint): number;
  resize(handle: number, newLen: bigint): number;
  resident(handle: number, offset: bigint, len: bigint, outPages: number): number;
  close(handle: number): number;
  map(handle: number, offset: bigint, len: bigint, prot: number, outAddr: number): number;
  unmap(addr: number, len: bigint): number;
  sync(addr: number, len: bigint): number;
  madvise(addr: number, len: bigint, advice: number): number;
  map_kind(): number;
  open_fd(fd: number, mode: number, outHandle: number): number;
  load_u8(addr: number): number;
  store_u8(addr: number, value: number): void;
  sum_bytes(addr: number, len: number): number;
  grow(pages: number): number;
}

/** Where the helpers put things in guest memory. */
export const OUT = 0x100; // out-parameters
export const PATH = 0x1000; // path bytes
export const DATA = 0x10000; // data buffer

export type Probe = ReturnType<typeof startProbe>;

/**
 * One probe guest with its own mmap_wasi imports, its memory grown to `pages` 64 KiB
 * pages, and helpers that write a path or read an out-parameter.
 */
export function startProbe(options: MmapImportsOptions, pages = 64) {
  const mmap = createMmapImports(options);
  const instance = new WebAssembly.Instance(probeModule, mmap.imports as unknown as WebAssembly.Imports);
  mmap.attach(instance);
  const g = instance.exports as unknown as ProbeExports;
  const current = g.memory.buffer.byteLength / 65536;
  if (current < pages) g.grow(pages - current);
  const bytes = () => new Uint8Array(g.memory.buffer);
  const view = () => new DataView(g.memory.buffer);
  const putPath = (guestPath: string | Uint8Array): [number, number] => {
    const encoded = typeof guestPath === "string" ? Buffer.from(guestPath, "utf8") : guestPath;
    bytes().set(encoded, PATH);
    return [PATH, encoded.length];
  };
  return {
    g, mmap, bytes, view,
    /** open; returns [errno, handle]. */
    open(guestPath: string | Uint8Array, mode: number): [number, number] {
      view().setUint32(OUT, 0xdeadbeef, true);
      const errno = g.open(...putPath(guestPath), mode, OUT);
      return [errno, view().getUint32(OUT, true)];
    },
    /** open_fd; returns [errno, handle]. */
    openFd(fd: number, mode: number): [number, number] {
      view().setUint32(OUT, 0xdeadbeef, true);
      const errno = g.open_fd(fd, mode, OUT);
      return [errno, view().getUint32(OUT, true)];
    },
    create(guestPath: string | Uint8Array, size: bigint): [number, number] {
      view().setUint32(OUT, 0xdeadbeef, true);
      const errno = g.create(...putPath(guestPath), size, OUT);
      return [errno, view().getUint32(OUT, true)];
    },
    length(handle: number): [number, bigint] {
      view().setBigUint64(OUT, 0xffffn, true);
      const errno = g.len(handle, OUT);
      return [errno, view().getBigUint64(OUT, true)];
    },
    resident(handle: number, offset: bigint, len: bigint): [number, bigint] {
      view().setBigUint64(OUT, 0xffffn, true);
      const errno = g.resident(handle, offset, len, OUT);
      return [errno, view().getBigUint64(OUT, true)];
    },
    /** map; returns [errno, address]. */
    map(handle: number, offset: bigint, len: bigint, prot: number): [number, number] {
      view().setUint32(OUT, 0xdeadbeef, true);
      const errno = g.map(handle, offset, len, prot, OUT);
      return [errno, view().getUint32(OUT, true)];
    },
    /** `len` bytes at guest address `addr`, as the guest's own loads see them. */
    loadText(addr: number, len: number): string {
      let text = "";
      for (let at = 0; at < len; at++) text += String.fromCharCode(g.load_u8(addr + at));
      return text;
    },
    storeText(addr: number, text: string): void {
      for (let at = 0; at < text.length; at++) g.store_u8(addr + at, text.charCodeAt(at));
    },
    readText(handle: number, offset: bigint, len: number): [number, string] {
      const errno = g.read(handle, offset, DATA, len);
      return [errno, Buffer.from(bytes().subarray(DATA, DATA + len)).toString("latin1")];
    },
    writeText(handle: number, offset: bigint, text: string): number {
      bytes().set(Buffer.from(text, "latin1"), DATA);
      return g.write(handle, offset, DATA, text.length);
    },
  };
}
