// The guest's linear memory, as the host operations see it: byte and DataView views that
// are remade only when the memory has grown.
import { MmapError } from "../errors.js";

export class GuestMemory {
  #memory: WebAssembly.Memory | undefined;
  #shared = false;
  #bytes = new Uint8Array(0);
  #view = new DataView(new ArrayBuffer(0));

  /** The attached memory, if any. */
  get memory(): WebAssembly.Memory | undefined {
    return this.#memory;
  }

  /** Takes the guest's memory: the instance's exported `memory`, or the memory itself. */
  attach(target: WebAssembly.Instance | WebAssembly.Memory): void {
    const memory = target instanceof WebAssembly.Memory ? target : target.exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) {
      throw new MmapError("ERR_MMAP_INVALID_ARGUMENT", "the guest does not export its memory as `memory`");
    }
    this.#memory = memory;
    this.#shared = typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer;
    this.#bytes = new Uint8Array(0);
  }

  /**
   * The guest's bytes (empty until attached). Growing a memory detaches its old buffer, so
   * the views' length drops to 0 and memory.buffer (a call into the engine) is read only
   * then. A shared memory's buffer is never detached: read always.
   */
  bytes(): Uint8Array {
    if (this.#bytes.byteLength === 0 || this.#shared) {
      const buffer = this.#memory?.buffer;
      if (buffer && buffer !== this.#bytes.buffer) {
        this.#bytes = new Uint8Array(buffer);
        this.#view = new DataView(buffer);
      }
    }
    return this.#bytes;
  }

  /** A DataView of the same bytes. */
  view(): DataView {
    this.bytes();
    return this.#view;
  }
}
