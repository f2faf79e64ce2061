// The segments of one mapped file and the operations on them, shared by
// MemoryMappedFile and the guest imports. Callers pass ranges the core has checked;
// failures come back as negative libuv error numbers, for the caller to report in its
// own way (an MmapError for Node callers, an errno for guests).
import { SEGMENT_SIZE, coreExports } from "./core.js";
import { native } from "./native.js";

type PieceOperation = (segment: ArrayBuffer, offset: number, length: number, position: number) => number;

export class Mapping {
  /** Bytes mapped; 0 once unmapped. */
  length = 0;
  #segments: ArrayBuffer[] = [];
  #bytes: Uint8Array[] = [];

  constructor(readonly mode: number) {}

  /** Maps `size` bytes of `fd` as consecutive segments; returns 0 or a failure. */
  map(fd: number, size: number): number {
    for (let position = 0; position < size;) {
      const length = coreExports.nextPiece(position, size, 0);
      const segment = native.map(fd, position, length, this.mode);
      if (typeof segment === "number") {
        this.unmap();
        return segment;
      }
      this.#segments.push(segment);
      this.#bytes.push(new Uint8Array(segment));
      position += length;
    }
    this.length = size;
    return 0;
  }

  /** Detaches every segment (views get length 0) and unmaps it; returns 0 or a failure. */
  unmap(): number {
    const segments = this.#segments;
    this.#segments = [];
    this.#bytes = [];
    this.length = 0;
    let failure = 0;
    for (const segment of segments) failure = native.unmap(segment) || failure;
    return failure;
  }

  /** Runs `operation` on each piece of `[start, end)`; stops at, and returns, the first failure. */
  eachPiece(start: number, end: number, maxPiece: number, operation: PieceOperation): number {
    for (let position = start; position < end;) {
      const length = coreExports.nextPiece(position, end, maxPiece);
      const index = Math.floor(position / SEGMENT_SIZE);
      const status = operation(this.#segments[index]!, position - index * SEGMENT_SIZE, length, position);
      if (status < 0) return status;
      position += length;
    }
    return 0;
  }

  /** A zero-copy view; the range lies inside one segment. */
  view(position: number, count: number): Uint8Array {
    const index = Math.floor(position / SEGMENT_SIZE);
    return new Uint8Array(this.#segments[index]!, position - index * SEGMENT_SIZE, count);
  }

  /** A copy of `[position, position + count)`. */
  slice(position: number, count: number): Uint8Array {
    const index = Math.floor(position / SEGMENT_SIZE);
    const at = position - index * SEGMENT_SIZE;
    if (at + count <= SEGMENT_SIZE) return this.#bytes[index]!.slice(at, at + count);
    const copy = new Uint8Array(count);
    this.copyOut(position, count, copy, 0);
    return copy;
  }

  /** Copies `[position, position + count)` into `target` at `targetOffset`. */
  copyOut(position: number, count: number, target: Uint8Array, targetOffset: number): void {
    const index = Math.floor(position / SEGMENT_SIZE);
    const at = position - index * SEGMENT_SIZE;
    if (at + count <= SEGMENT_SIZE) {
      target.set(this.#bytes[index]!.subarray(at, at + count), targetOffset);
      return;
    }
    this.eachPiece(position, position + count, 0, (_segment, pieceAt, length, piecePosition) => {
      target.set(this.#bytesAt(piecePosition).subarray(pieceAt, pieceAt + length), targetOffset + piecePosition - position);
      return 0;
    });
  }

  /** Copies `source` into the mapping at `position`. */
  copyIn(position: number, source: Uint8Array): void {
    const index = Math.floor(position / SEGMENT_SIZE);
    const at = position - index * SEGMENT_SIZE;
    if (at + source.length <= SEGMENT_SIZE) {
      this.#bytes[index]!.set(source, at);
      return;
    }
    this.eachPiece(position, position + source.length, 0, (_segment, pieceAt, length, piecePosition) => {
      const from = piecePosition - position;
      this.#bytesAt(piecePosition).set(source.subarray(from, from + length), pieceAt);
      return 0;
    });
  }

  /** Advice over a page-aligned range, in pieces of at most the core's size for `action`. */
  advise(start: number, end: number, action: number, readAheadWindow: number, pageSize: number): number {
    const maxPiece = coreExports.actionPiece(action, readAheadWindow, pageSize);
    return this.eachPiece(start, end, maxPiece, (segment, at, length) => native.advise(segment, at, length, action));
  }

  /** Durable write-back of a page-aligned range. */
  sync(start: number, end: number, fd: number): number {
    return this.eachPiece(start, end, 0, (segment, at, length) => native.sync(segment, at, length, fd));
  }

  /** sync() off the main thread; resolves with 0 or the first failure. */
  async syncAsync(start: number, end: number, fd: number): Promise<number> {
    const flushes: Promise<number>[] = [];
    this.eachPiece(start, end, 0, (segment, at, length) => {
      flushes.push(native.syncAsync(segment, at, length, fd));
      return 0;
    });
    return (await Promise.all(flushes)).find((status) => status < 0) ?? 0;
  }

  /** Resident pages of a page-aligned range, or a failure. */
  residentPages(start: number, end: number): number {
    let resident = 0;
    const status = this.eachPiece(start, end, 0, (segment, at, length) => {
      const count = native.residentPages(segment, at, length);
      if (count > 0) resident += count;
      return count;
    });
    return status < 0 ? status : resident;
  }

  lock(start: number, end: number): number {
    return this.eachPiece(start, end, 0, native.lock);
  }

  unlock(start: number, end: number): number {
    return this.eachPiece(start, end, 0, native.unlock);
  }

  #bytesAt(position: number): Uint8Array {
    return this.#bytes[Math.floor(position / SEGMENT_SIZE)]!;
  }
}
