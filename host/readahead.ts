// The read-ahead window of the block device a file lives on. Linux caps each
// WILLNEED call at this window, so WillNeed is issued in chunks no larger than it.
import { readFileSync } from "node:fs";

const windows = new Map<bigint, number>();

/** Major and minor numbers of a Linux dev_t (glibc's encoding). */
function majorMinor(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

function readKilobytes(path: string): number {
  try {
    const kb = Number.parseInt(readFileSync(path, "latin1"), 10);
    return Number.isSafeInteger(kb) && kb > 0 ? kb * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Read-ahead window in bytes for files on device `dev` (fs.Stats#dev), or 0 when it
 * cannot be found (then the core uses a safe default of 128 KiB).
 */
export function readAheadWindow(dev: number | bigint): number {
  if (process.platform !== "linux") return 0;
  const key = BigInt(dev);
  let window = windows.get(key);
  if (window === undefined) {
    const id = majorMinor(key);
    window =
      readKilobytes(`/sys/dev/block/${id}/queue/read_ahead_kb`) || // a whole disk
      readKilobytes(`/sys/dev/block/${id}/../queue/read_ahead_kb`) || // a partition
      readKilobytes(`/sys/class/bdi/${id}/read_ahead_kb`); // anything with a bdi
    windows.set(key, window);
  }
  return window;
}
