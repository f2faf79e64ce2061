// Guest paths and grants: lexical resolution of `.` and `..`, and which granted prefix a
// path lies beneath. The host then resolves symbolic links and checks the real file.

export const GRANT_RO: i32 = 0;
export const GRANT_RW: i32 = 1;

const SLASH: u8 = 0x2f;
const DOT: u8 = 0x2e;

/**
 * Writes the absolute path at `src` with `.`, `..` and repeated slashes resolved to
 * `dst` (room for `len` bytes) and returns its length; `..` never climbs above `/`.
 * Returns -1 for a relative or empty path.
 */
export function normalizePath(src: usize, len: usize, dst: usize): isize {
  if (len == 0 || load<u8>(src) != SLASH) return -1;
  let out: usize = 0;
  let i: usize = 0;
  while (i < len) {
    while (i < len && load<u8>(src + i) == SLASH) i++;
    const start = i;
    while (i < len && load<u8>(src + i) != SLASH) i++;
    const segment = i - start;
    if (segment == 0) break;
    if (segment == 1 && load<u8>(src + start) == DOT) continue;
    if (segment == 2 && load<u8>(src + start) == DOT && load<u8>(src + start + 1) == DOT) {
      while (out > 0 && load<u8>(dst + out - 1) != SLASH) out--;
      if (out > 0) out--;
      continue;
    }
    store<u8>(dst + out, SLASH);
    memory.copy(dst + out + 1, src + start, segment);
    out += segment + 1;
  }
  if (out == 0) {
    store<u8>(dst, SLASH);
    out = 1;
  }
  return <isize>out;
}

export function containsNul(ptr: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) if (load<u8>(ptr + i) == 0) return true;
  return false;
}

/**
 * Where the part of normalized path `path` below normalized prefix `prefix` starts, or -1
 * when `path` is not `prefix` itself or beneath it. Matching is by whole segments:
 * `/data` covers `/data/x` but not `/database`.
 */
export function remainderAfter(path: usize, pathLen: usize, prefix: usize, prefixLen: usize): isize {
  if (prefixLen == 1) return 1; // the prefix is "/", which covers every absolute path
  if (pathLen < prefixLen || memory.compare(path, prefix, prefixLen) != 0) return -1;
  if (pathLen == prefixLen) return <isize>pathLen;
  return load<u8>(path + prefixLen) == SLASH ? <isize>(prefixLen + 1) : -1;
}
