// The guest's WASI file table, as far as open_fd needs it: for each descriptor the guest
// holds, the guest path of its file. It is kept by wrapping node:wasi's path_open,
// fd_close and fd_renumber imports, and seeded with the preopens (node:wasi numbers them
// from 3, in order). open_fd then opens that path exactly as `open` would: the grants
// and every check of `open` apply to it.

/** What createMmapImports needs of a file table: the guest path behind a descriptor. */
export interface WasiFileTable {
  /** The guest path (UTF-8 bytes) of the file behind `fd`, or undefined if the guest does not hold it. */
  pathOf(fd: number): Uint8Array | undefined;
}

const SLASH = Buffer.from("/");

/** Tracks the descriptors of one guest under node:wasi. */
export class NodeWasiFileTable implements WasiFileTable {
  private readonly paths = new Map<number, Uint8Array>();
  private memory: WebAssembly.Memory | undefined;

  /** `preopens`: the guest directories, in the order given to node:wasi. */
  constructor(preopens: readonly string[]) {
    preopens.forEach((guest, index) => this.paths.set(3 + index, Buffer.from(guest, "utf8")));
  }

  pathOf(fd: number): Uint8Array | undefined {
    return this.paths.get(fd >>> 0);
  }

  /** The guest's memory, from which path_open's path and new descriptor are read. */
  attach(instance: WebAssembly.Instance): void {
    const memory = instance.exports.memory;
    if (memory instanceof WebAssembly.Memory) this.memory = memory;
  }

  /** A copy of the preview1 namespace whose path_open, fd_close and fd_renumber keep the table. */
  wrap(wasi: WebAssembly.ModuleImports): WebAssembly.ModuleImports {
    const call = (name: string, args: unknown[]): number =>
      (wasi[name] as (...args: unknown[]) => number).apply(wasi, args);
    const wrapped: WebAssembly.ModuleImports = { ...wasi };
    if (typeof wasi.path_open === "function") {
      wrapped.path_open = (...args: unknown[]) => {
        const errno = call("path_open", args);
        if (errno === 0) this.opened(args[0] as number, args[2] as number, args[3] as number, args[8] as number);
        return errno;
      };
    }
    if (typeof wasi.fd_close === "function") {
      wrapped.fd_close = (...args: unknown[]) => {
        const errno = call("fd_close", args);
        if (errno === 0) this.paths.delete((args[0] as number) >>> 0);
        return errno;
      };
    }
    if (typeof wasi.fd_renumber === "function") {
      wrapped.fd_renumber = (...args: unknown[]) => {
        const errno = call("fd_renumber", args);
        if (errno === 0) this.renumbered((args[0] as number) >>> 0, (args[1] as number) >>> 0);
        return errno;
      };
    }
    return wrapped;
  }

  private opened(dirFd: number, pathPtr: number, pathLen: number, fdOutPtr: number): void {
    if (!this.memory) return;
    const bytes = new Uint8Array(this.memory.buffer);
    const fd = new DataView(this.memory.buffer).getUint32(fdOutPtr >>> 0, true);
    const dir = this.paths.get(dirFd >>> 0);
    if (!dir) {
      this.paths.delete(fd);
      return;
    }
    const relative = bytes.slice(pathPtr >>> 0, (pathPtr >>> 0) + (pathLen >>> 0));
    this.paths.set(fd, Buffer.concat([dir, SLASH, relative]));
  }

  private renumbered(from: number, to: number): void {
    if (from === to) return;
    const path = this.paths.get(from);
    this.paths.delete(from);
    if (path) this.paths.set(to, path);
    else this.paths.delete(to);
  }
}
