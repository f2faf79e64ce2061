// The segments of one mapped file and the operations on them, shared by
// MemoryMappedFile and the guest imports. Callers pass ranges the core has checked;
// failures come back as negative numbers: libuv error numbers from the OS, or
// TRUNCATED / MAP_COUNT_EXCEEDED below. Each caller reports them in its own way (an
// MmapError for Node callers, an errno for guests).
import { readFileSync } from "node:fs";
import { SEGMENT_SIZE, coreExports } from "./core.js";
import { native } from "./native.js";

type PieceOperation = (segment: number, offset: number, length: number, position: number) => number;

/** A copy hit a part of the file that was truncated beneath the mapping. */
export const TRUNCATED = native.TRUNCATED;
/** The runtime refuses external buffers, so no zero-copy view can be made. */
export const NO_EXTERNAL_BUFFERS = native.NO_EXTERNAL_BUFFERS;
/** Mapping, or splitting a mapping by advice, would pass the process's area limit. */
export const MAP_COUNT_EXCEEDED = TRUNCATED - 1;

/**
 * For each region slot, the offset of its lowest page lost to truncation, or Infinity:
 * the addon's fault guard writes it when it puts a zero page in place of a lost one. It
 * lets copies made here in JavaScript see what they reached. Undefined where the runtime
 * refuses external buffers; then the addon makes the copies and checks.
 */
const lostFrom: Float64Array | undefined = (() => {
  const table = native.lossTable();
  return typeof table === "number" ? undefined : new Float64Array(table);
})();

/**
 * Size of the process's user address space, or 0 where it is not known (then mappings
 * have no address-space budget). The main thread's stack sits at its top: 2^47 bytes on
 * x86-64, 2^39 to 2^48 on 64-bit ARM.
 */
const addressSpace = (() => {
  if (process.platform !== "linux") return 0;
  try {
    const stack = /^[0-9a-f]+-([0-9a-f]+) .*\[stack\]$/m.exec(readFileSync("/proc/self/maps", "latin1"));
    return stack ? 2 ** Math.ceil(Math.log2(Number.parseInt(stack[1]!, 16))) : 0;
  } catch {
    return 0;
  }
})();

/** vm.max_map_count, or 0 where there is no such limit to respect. */
const maxMapCount = (() => {
  if (process.platform !== "linux") return 0;
  try {
    return Number.parseInt(readFileSync("/proc/sys/vm/max_map_count", "latin1"), 10) || 0;
  } catch {
    return 0;
  }
})();

/**
 * May `adding` more kernel areas be used? The addon counts the areas of every thread, so
 * workers share one budget. Threads checking at the same moment may pass it by a few
 * areas, far less than the core's headroom.
 */
function withinBudget(adding: number): boolean {
  return coreExports.withinMapBudget(native.areasInUse(), adding, maxMapCount) >= 0;
}

/**
 * One mapped segment: the addon's id for its region, and the buffer that views it, made
 * on first use. While this object is reachable the region stays mapped; once it is
 * garbage (a file never closed), the addon unmaps the region.
 */
class Segment {
  id = -1;
  /** The id's slot in the addon's tables. */
  slot = -1;
  buffer: ArrayBuffer | undefined;
  /** The whole segment, for copies; null where no view can be made, so the addon copies. */
  bytes: Uint8Array | null | undefined;
}

/** The segment's lowest offset lost to truncation, or Infinity. */
function lostIn(segment: Segment): number {
  return lostFrom ? lostFrom[segment.slot]! : native.lostFrom(segment.id);
}

/** The segments of a mapping that is not mapped: shared, and never added to. */
const NO_SEGMENTS: readonly Segment[] = Object.freeze([]);

// Opening and closing allocate as little as they can: on a busy process every young
// collection also has to deal with the mappings that died, so each one costs more than
// its bytes suggest.
export class Mapping {
  /** Bytes mapped; 0 once unmapped. */
  length = 0;
  #segments: readonly Segment[] = NO_SEGMENTS;
  /** A loss to truncation was reported to the caller (by a failed copy, or lostSinceAsked). */
  #lossReported = false;
  /**
   * Page offsets where range advice that changes the kernel's area flags starts or ends:
   * each may split an area in two. Cleared when advice covers the whole mapping again;
   * made by the first such advice.
   */
  #boundaries: Set<number> | undefined;

  constructor(readonly mode: number) {}

  /**
   * Maps `size` bytes of `fd` as consecutive segments; returns 0 or a failure. Past half
   * the address space the failure is ENOMEM, as if the kernel had refused, but early
   * enough that the JavaScript engine keeps room to allocate.
   */
  map(fd: number, size: number): number {
    const segments = new Array<Segment>(Math.ceil(size / SEGMENT_SIZE));
    if (!withinBudget(segments.length)) return MAP_COUNT_EXCEEDED;
    if (coreExports.withinAddressBudget(native.mappedBytes(), size, addressSpace) < 0) return native.ENOMEM;
    this.#segments = segments;
    let count = 0;
    for (let position = 0; position < size; count++) {
      const length = coreExports.nextPiece(position, size, 0);
      const segment = new Segment();
      const id = native.map(fd, position, length, this.mode, segment);
      if (id < 0) {
        segments.length = count; // unmap what was mapped, and only that
        this.unmap();
        return id;
      }
      segment.id = id;
      segment.slot = id % native.REGION_SLOTS;
      segments[count] = segment;
      position += length;
    }
    segments.length = count;
    this.length = size;
    this.#lossReported = false;
    return 0;
  }

  /** Detaches every segment (views get length 0) and unmaps it; returns 0 or a failure. */
  unmap(): number {
    const segments = this.#segments;
    this.#segments = NO_SEGMENTS;
    this.length = 0;
    this.#boundaries = undefined; // the addon forgets a region's splits when it unmaps it
    let failure = 0;
    for (const segment of segments) failure = native.unmap(segment.id, segment.buffer) || failure;
    return failure;
  }

  /** Runs `operation` on each piece of `[start, end)`; stops at, and returns, the first failure. */
  eachPiece(start: number, end: number, maxPiece: number, operation: PieceOperation): number {
    for (let position = start; position < end;) {
      const length = coreExports.nextPiece(position, end, maxPiece);
      const index = Math.floor(position / SEGMENT_SIZE);
      const status = operation(this.#segments[index]!.id, position - index * SEGMENT_SIZE, length, position);
      if (status < 0) return status;
      position += length;
    }
    return 0;
  }

  /**
   * A zero-copy view; the range lies inside one segment. NO_EXTERNAL_BUFFERS where the
   * runtime cannot expose the mapping without a copy.
   */
  view(position: number, count: number): Uint8Array | number {
    const index = Math.floor(position / SEGMENT_SIZE);
    const segment = this.#segments[index]!;
    const buffer = segment.buffer ?? Mapping.#makeView(segment);
    if (typeof buffer === "number") return buffer;
    return new Uint8Array(buffer, position - index * SEGMENT_SIZE, count);
  }

  /**
   * The lowest offset of the mapping whose page was lost to truncation, or Infinity. A
   * view that read there got zeros; a write there is lost.
   */
  lostFrom(): number {
    let lowest = Infinity;
    for (let index = 0; index < this.#segments.length; index++) {
      const segment = this.#segments[index]!;
      const lost = lostIn(segment);
      if (lost !== Infinity && lost >= 0) lowest = Math.min(lowest, index * SEGMENT_SIZE + lost);
    }
    return lowest;
  }

  /**
   * True once, the first time a loss to truncation is found that no failed copy has
   * reported yet: a view met it, or another thread's copy did.
   */
  lossNotYetReported(): boolean {
    if (this.#lossReported) return false;
    // Every call looks, so the usual case (nothing lost) reads one float per segment.
    const segments = this.#segments;
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index]!;
      if (lostIn(segment) !== Infinity) {
        this.#lossReported = true;
        return true;
      }
    }
    return false;
  }

  static #makeView(segment: Segment): ArrayBuffer | number {
    const made = native.view(segment.id);
    if (typeof made === "number") return made;
    // Not marked untransferable: on Node 22 and later that sets a detach key, and the
    // addon could no longer detach the buffer. Node copies an external buffer that is
    // transferred (20) or refuses to (22 and later), so it never leaves this owner.
    segment.buffer = made;
    return made;
  }

  static #bytesOf(segment: Segment): Uint8Array | null {
    const buffer = segment.buffer ?? Mapping.#makeView(segment);
    segment.bytes = typeof buffer === "number" ? null : new Uint8Array(buffer);
    return segment.bytes;
  }

  /** Copies `[position, position + count)` into `target` at `targetOffset`; 0 or a failure. */
  copyOut(position: number, count: number, target: Uint8Array, targetOffset: number): number {
    if (position + count <= SEGMENT_SIZE) return this.#copyPiece(true, this.#segments[0]!, position, count, target, targetOffset);
    const index = Math.floor(position / SEGMENT_SIZE);
    const at = position - index * SEGMENT_SIZE;
    if (at + count > SEGMENT_SIZE) return this.#copyAcross(true, position, count, target, targetOffset);
    return this.#copyPiece(true, this.#segments[index]!, at, count, target, targetOffset);
  }

  /** Copies `count` bytes of `source` from `sourceOffset` into the mapping at `position`; 0 or a failure. */
  copyIn(position: number, count: number, source: Uint8Array, sourceOffset: number): number {
    if (position + count <= SEGMENT_SIZE) return this.#copyPiece(false, this.#segments[0]!, position, count, source, sourceOffset);
    const index = Math.floor(position / SEGMENT_SIZE);
    const at = position - index * SEGMENT_SIZE;
    if (at + count > SEGMENT_SIZE) return this.#copyAcross(false, position, count, source, sourceOffset);
    return this.#copyPiece(false, this.#segments[index]!, at, count, source, sourceOffset);
  }

  /**
   * Advice over a page-aligned range, in pieces of at most the core's size for `action`.
   * Advice that splits the kernel's areas is refused once the process's budget of areas
   * is spent (a million scattered calls would otherwise exhaust vm.max_map_count).
   */
  advise(start: number, end: number, action: number, readAheadWindow: number, pageSize: number): number {
    if (coreExports.actionSplitsMapping(action) && !this.#recordSplits(start, end, pageSize)) return MAP_COUNT_EXCEEDED;
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

  /**
   * mlock; like flag advice, locking part of a mapping splits the kernel's areas. All or
   * nothing: when a segment fails, the segments before it are unlocked again.
   */
  lock(start: number, end: number, pageSize: number): number {
    if (!this.#recordSplits(start, end, pageSize)) return MAP_COUNT_EXCEEDED;
    let lockedEnd = start;
    const status = this.eachPiece(start, end, 0, (segment, at, length, position) => {
      const locked = native.lock(segment, at, length);
      if (locked >= 0) lockedEnd = position + length;
      return locked;
    });
    if (status < 0 && lockedEnd > start) this.eachPiece(start, lockedEnd, 0, native.unlock);
    return status;
  }

  unlock(start: number, end: number, pageSize: number): number {
    if (!this.#recordSplits(start, end, pageSize)) return MAP_COUNT_EXCEEDED;
    return this.eachPiece(start, end, 0, native.unlock);
  }

  /**
   * One copy inside one segment, made here with a typed-array copy: the addon's fault
   * guard turns a page lost to truncation into zeros instead of a dead process, and the
   * loss table says whether the copy reached one. Where no view can be made the addon
   * copies and checks instead.
   */
  #copyPiece(out: boolean, segment: Segment, at: number, count: number, bytes: Uint8Array, bytesOffset: number): number {
    const mapped = segment.bytes ?? Mapping.#bytesOf(segment);
    if (mapped === null || lostFrom === undefined) {
      const status = (out ? native.copyOut : native.copyIn)(segment.id, at, count, bytes, bytesOffset);
      if (status === TRUNCATED) this.#lossReported = true;
      return status;
    }
    if (out) bytes.set(mapped.subarray(at, at + count), bytesOffset);
    else mapped.set(bytes.subarray(bytesOffset, bytesOffset + count), at);
    // An empty copy touches no page, wherever it starts.
    if (count === 0 || at + count <= lostFrom[segment.slot]!) return 0;
    this.#lossReported = true;
    return TRUNCATED;
  }

  /** A copy that crosses segments: one piece in each. */
  #copyAcross(out: boolean, position: number, count: number, bytes: Uint8Array, bytesOffset: number): number {
    for (let done = 0; done < count;) {
      const index = Math.floor((position + done) / SEGMENT_SIZE);
      const at = position + done - index * SEGMENT_SIZE;
      const length = Math.min(count - done, SEGMENT_SIZE - at);
      const status = this.#copyPiece(out, this.#segments[index]!, at, length, bytes, bytesOffset + done);
      if (status < 0) return status;
      done += length;
    }
    return 0;
  }

  /** Notes the area boundaries advice on `[start, end)` makes; false if over budget. */
  #recordSplits(start: number, end: number, pageSize: number): boolean {
    const mappedEnd = Math.ceil(this.length / pageSize) * pageSize;
    if (start === 0 && end >= mappedEnd) {
      // The whole mapping has the same flags again: the kernel merges its areas.
      this.#clearSplits();
      return true;
    }
    const boundaries = (this.#boundaries ??= new Set());
    const added = [start, end].filter((at) => at !== 0 && at < mappedEnd && !boundaries.has(at));
    if (added.length === 0) return true;
    if (!withinBudget(added.length)) return false;
    for (const at of added) boundaries.add(at);
    // Counted on the first segment's region: when it is unmapped, or collected without
    // close(), the count goes with it.
    native.setSplitAreas(this.#segments[0]!.id, boundaries.size);
    return true;
  }

  #clearSplits(): void {
    if (!this.#boundaries?.size) return;
    this.#boundaries.clear();
    native.setSplitAreas(this.#segments[0]!.id, 0);
  }
}
