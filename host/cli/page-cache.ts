// Page-cache operations on whole files, for the page-cache commands (residency, touch,
// evict, lock): finding the files, seeing which pages are resident, bringing a file in,
// dropping it. Built on MemoryMappedFile; eviction uses the addon's posix_fadvise.
import * as fs from "node:fs";
import * as path from "node:path";
import { MmapAdvice } from "../advice.js";
import { MmapError, fromFsError, osError } from "../errors.js";
import { MemoryMappedFile, pageSize } from "../memory-mapped-file.js";
import { FileAdvice, native } from "../native.js";
import { readAheadWindow } from "../readahead.js";

/**
 * The regular files named by `paths`, in order, each once (hard links and repeats are
 * counted once, as vmtouch does). Folders are walked recursively in name order; symbolic
 * links inside them are not followed, while a link named on the command line is.
 * Anything that cannot be read is passed to `onError` and skipped.
 */
export function* regularFiles(paths: readonly string[], onError: (error: MmapError) => void): Generator<string> {
  const seen = new Set<string>();
  const once = (stats: fs.BigIntStats) => {
    const key = `${stats.dev}:${stats.ino}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  function* walk(folder: string): Generator<string> {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch (error) {
      onError(fromFsError(error, folder));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const child = path.join(folder, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        yield* walk(child);
        continue;
      }
      if (!entry.isFile()) continue; // sockets, FIFOs, devices
      try {
        if (once(fs.lstatSync(child, { bigint: true }))) yield child;
      } catch (error) {
        onError(fromFsError(error, child));
      }
    }
  }
  for (const named of paths) {
    let stats: fs.BigIntStats;
    try {
      stats = fs.statSync(named, { bigint: true });
    } catch (error) {
      onError(fromFsError(error, named));
      continue;
    }
    if (stats.isDirectory()) {
      if (once(stats)) yield* walk(named);
    } else if (stats.isFile()) {
      if (once(stats)) yield named;
    } else {
      onError(new MmapError("ERR_MMAP_INVALID_ARGUMENT", `not a regular file or folder: ${named}`, { path: named }));
    }
  }
}

export interface FileResidency {
  path: string;
  /** The file's length in bytes. */
  size: number;
  pageSize: number;
  residentPages: number;
  totalPages: number;
  /** Where the resident pages lie: the resident fraction of each of `columns` equal slices. */
  slices?: number[];
}

/** Residency of the mapped file `file`; with `columns`, also per slice of the file. */
export function residencyOf(file: MemoryMappedFile, columns = 0): FileResidency {
  const size = file.length;
  const page = pageSize();
  const totalPages = Math.ceil(size / page);
  if (columns <= 0 || totalPages === 0) {
    const { residentPages } = file.residency();
    return { path: file.path, size, pageSize: page, residentPages, totalPages };
  }
  // Slices are whole pages, so their counts add up to the file's exactly.
  const count = Math.min(columns, totalPages);
  const slices: number[] = [];
  let residentPages = 0;
  for (let slice = 0; slice < count; slice++) {
    const first = Math.floor((slice * totalPages) / count);
    const end = Math.floor(((slice + 1) * totalPages) / count);
    const resident = file.residency(first * page, Math.min(end * page, size) - first * page).residentPages;
    residentPages += resident;
    slices.push(resident / (end - first));
  }
  return { path: file.path, size, pageSize: page, residentPages, totalPages, slices };
}

/** Bytes handled per step of touch(): the device's read-ahead window as a power of two, 4 to 64 MiB. */
function touchChunk(file: string): number {
  let window = 0;
  try {
    window = readAheadWindow(fs.statSync(file).dev);
  } catch {
    // Unknown device: the default below serves.
  }
  let chunk = 4 << 20;
  while (chunk * 2 <= Math.min(window, 64 << 20)) chunk *= 2;
  // A power of two from 4 MiB up divides the 4 GiB segment size: no chunk crosses a segment.
  return chunk;
}

export interface TouchResult {
  totalPages: number;
  /** Pages that were resident before the touch. */
  residentBefore: number;
  /** Pages resident at the end: all of them, unless memory pressure took some back. */
  residentAfter: number;
}

/** Whether MADV_POPULATE_READ is worth trying (Linux 5.14+; elsewhere it is no advice at all). */
let populateWorks = process.platform === "linux";

/**
 * Makes every page of the mapped file resident and returns once it is (as vmtouch -t
 * does). Chunk by chunk, in read-ahead-sized chunks: the chunk is prefetched with
 * MADV_POPULATE_READ, which faults its pages in inside the kernel and waits for them;
 * whatever the advice did not bring in (no such advice on this system) is read, one byte
 * per page. Chunks of a warm file that are resident already are skipped.
 * `onProgress` gets the bytes done so far after each chunk.
 *
 * Why not WillNeed over the whole file first: measured on Linux 6.18 (ext4, virtio disk),
 * that is about 1.3x slower on a cold 1 GiB file than the fault path, which reads ahead
 * asynchronously and in large folios where WILLNEED's forced read-ahead allocates single
 * pages.
 */
export function touchFile(file: MemoryMappedFile, onProgress?: (bytesDone: number) => void): TouchResult {
  const size = file.length;
  const { residentPages: residentBefore, totalPages } = file.residency();
  if (residentBefore >= totalPages) {
    onProgress?.(size);
    return { totalPages, residentBefore, residentAfter: residentBefore };
  }
  const chunk = touchChunk(file.path);
  const page = pageSize();
  // Checking a chunk before prefetching it lets a warm file skip its resident chunks, but
  // on a cold file, mincore just ahead of the fault path's own read-ahead makes the whole
  // touch about 1.5x slower (Linux 6.18): check first only if pages were resident already.
  let checkFirst = residentBefore > 0;
  for (let attempt = 0; ; attempt++) {
    for (let start = 0; start < size; start += chunk) {
      const length = Math.min(chunk, size - start);
      const chunkPages = Math.ceil(length / page);
      if (!checkFirst || file.residency(start, length).residentPages < chunkPages) {
        if (populateWorks) {
          try {
            file.advise(start, length, MmapAdvice.PopulateRead);
          } catch (error) {
            // An older kernel (EINVAL): read the pages instead, from now on.
            if (!(error instanceof MmapError) || error.code !== "EINVAL") throw error;
            populateWorks = false;
          }
        }
        const after = populateWorks ? file.residency(start, length).residentPages : 0;
        if (after < chunkPages) readEachPage(file.view(start, length), page);
      }
      if (attempt === 0) onProgress?.(start + length);
    }
    // Memory pressure may take pages back while later ones arrive: go round again, a few times.
    const residentAfter = file.residency().residentPages;
    checkFirst = true;
    if (residentAfter >= totalPages || attempt === 2) return { totalPages, residentBefore, residentAfter };
  }
}

/** Reads one byte of each page of `view`, so each is faulted in. */
function readEachPage(view: Uint8Array, page: number): number {
  let sum = 0;
  for (let at = 0; at < view.length; at += page) sum += view[at]!;
  return sum;
}

export interface EvictResult {
  totalPages: number;
  residentBefore: number;
  residentAfter: number;
}

/**
 * Drops a file's pages from the page cache: fsync (so no page is dirty), then
 * posix_fadvise(POSIX_FADV_DONTNEED). Pages that another process maps or locks stay.
 */
export function evictFile(filePath: string): EvictResult {
  const file = MemoryMappedFile.openRo(filePath);
  try {
    const { residentPages: residentBefore, totalPages } = file.residency();
    let fd: number;
    try {
      fd = fs.openSync(filePath, "r");
    } catch (error) {
      throw fromFsError(error, filePath);
    }
    try {
      try {
        fs.fsyncSync(fd);
      } catch (error) {
        // Some file systems cannot sync (EINVAL) and read-only ones need not (EROFS).
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "EINVAL" && code !== "EROFS") throw fromFsError(error, filePath);
      }
      const status = native.adviseFile(fd, 0, 0, FileAdvice.DontNeed);
      if (status < 0) throw osError(status, "posix_fadvise", filePath);
    } finally {
      fs.closeSync(fd);
    }
    return { totalPages, residentBefore, residentAfter: file.residency().residentPages };
  } finally {
    file.close();
  }
}
