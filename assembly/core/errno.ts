// WASI errnos a guest can see, and the one table that chooses them for host failures.

export const ERRNO_SUCCESS: i32 = 0;
export const ERRNO_ACCES: i32 = 2;
export const ERRNO_BADF: i32 = 8;
export const ERRNO_FAULT: i32 = 21;
export const ERRNO_ILSEQ: i32 = 25;
export const ERRNO_INVAL: i32 = 28;
export const ERRNO_IO: i32 = 29;
export const ERRNO_ISDIR: i32 = 31;
export const ERRNO_MFILE: i32 = 33;
export const ERRNO_NOENT: i32 = 44;
export const ERRNO_NOMEM: i32 = 48;
export const ERRNO_NOTSUP: i32 = 58;
export const ERRNO_RANGE: i32 = 68;
export const ERRNO_NOTCAPABLE: i32 = 76;

// Host failures. The host names an OS error by its errno name and passes the id exported
// here under `FAIL_<name>`; a name without an id arrives as FAIL_OTHER.
export const FAIL_OTHER: i32 = -1;
export const FAIL_EACCES: i32 = -2;
export const FAIL_EPERM: i32 = -3;
export const FAIL_EROFS: i32 = -4;
export const FAIL_ENOENT: i32 = -5;
export const FAIL_ENOTDIR: i32 = -6;
export const FAIL_EISDIR: i32 = -7;
export const FAIL_ENOMEM: i32 = -8;
export const FAIL_EAGAIN: i32 = -9;
export const FAIL_EMFILE: i32 = -10;
export const FAIL_ENFILE: i32 = -11;
export const FAIL_ELOOP: i32 = -12;
export const FAIL_ENAMETOOLONG: i32 = -13;
export const FAIL_EINVAL: i32 = -14;
/** What open() gives for a socket, and some devices: not a file at all. */
export const FAIL_ENXIO: i32 = -15;
// Failures the host finds itself rather than the OS.
/** After every symbolic link is resolved, the file lies outside its grant. */
export const FAIL_OUTSIDE_GRANT: i32 = -100;
/** Not a regular file (device, FIFO, socket, …): only regular files are mapped. */
export const FAIL_NOT_REGULAR: i32 = -101;
/** The file shrank beneath the mapping: the bytes are gone. */
export const FAIL_TRUNCATED: i32 = -102;
/** Mapping would take the process past its limit on mapping areas (vm.max_map_count). */
export const FAIL_MAP_COUNT: i32 = -103;

/** The errno a guest sees for a host result: 0 stays success, failures are chosen here. */
export function errnoOfHostResult(result: i32): i32 {
  if (result >= 0) return ERRNO_SUCCESS;
  switch (result) {
    case FAIL_EACCES:
    case FAIL_EPERM:
    case FAIL_EROFS: return ERRNO_ACCES;
    case FAIL_ENOENT:
    case FAIL_ENOTDIR: return ERRNO_NOENT;
    case FAIL_EISDIR: return ERRNO_ISDIR;
    case FAIL_ENOMEM:
    case FAIL_EAGAIN:
    case FAIL_MAP_COUNT: return ERRNO_NOMEM;
    case FAIL_EMFILE:
    case FAIL_ENFILE: return ERRNO_MFILE;
    // A symbolic link where none may be followed is a way out of the sandbox.
    case FAIL_ELOOP:
    case FAIL_OUTSIDE_GRANT: return ERRNO_NOTCAPABLE;
    case FAIL_ENAMETOOLONG:
    case FAIL_EINVAL:
    case FAIL_ENXIO:
    case FAIL_NOT_REGULAR: return ERRNO_INVAL;
    default: return ERRNO_IO;
  }
}
