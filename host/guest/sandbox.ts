// The sandbox of guest opens: a guest path, already normalized and split from its grant
// by the guest core, is opened beneath the grant's host folder and checked there, so no
// `..`, link, hard link, swapped folder or special file leads the guest outside it.
// Results are a GrantedFile or the core's name for the refusal; OS errors throw.
import * as fs from "node:fs";
import * as path from "node:path";
import { getSystemErrorName } from "node:util";
import { osError, osErrorNamed } from "../errors.js";
import { fileInfo, native } from "../native.js";

const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0; // a FIFO must not block the open
const O_PATH = 0o10000000; // Linux's value on the platforms Node supports; fs.constants lacks it
const PATH_MAX = 4096; // Linux's longest path, with its NUL

/** Why a resolved file is refused, as the core names it (OS errors throw instead). */
export type Refusal = "FAIL_OUTSIDE_GRANT" | "FAIL_EISDIR" | "FAIL_NOT_REGULAR";

/** A regular file beneath a grant, open, that the guest may map. */
export interface GrantedFile {
  fd: number;
  size: number;
  dev: number;
}

function isBeneath(base: string, candidate: string): boolean {
  return candidate === base || candidate.startsWith(base.endsWith(path.sep) ? base : base + path.sep);
}

/**
 * Failures of native.openBeneath (see openConfinedFd) that are no verdict on the path,
 * only on the way of opening it: the path needs what RESOLVE_BENEATH refuses (an absolute
 * link, a way out and back in), the grant's own path leads through a link now (it was swapped: the walk
 * by hand refuses what lies outside that path), a rename raced the walk, or the kernel
 * (or a seccomp filter) has no openat2.
 * Links are also refused there when they are /proc's or too many; the walk by hand
 * decides those too.
 */
const RESOLVE_BY_HAND = new Set(["EXDEV", "EAGAIN", "ENOSYS", "EPERM", "E2BIG", "EINVAL", "ELOOP"]);

/**
 * Whether `fs` accepts a descriptor the addon opened. Deno's `fs` keeps a table of its
 * own and refuses any other descriptor (EBADF), so there every path is resolved by hand
 * and opened through `fs`.
 */
const fsTakesAddonDescriptors = !("Deno" in globalThis);

/**
 * Opens `relative` inside the grant's folder `base` in one system call that the kernel
 * keeps inside it (Linux openat2 with RESOLVE_BENEATH). Returns the descriptor, not yet
 * checked (see grantedFileOf); undefined where the kernel cannot decide, and the path is
 * then resolved by hand; throws the OS errors that decide. `create` opens are left with
 * ELOOP: for them it means a link in the last place, which O_NOFOLLOW refuses.
 */
function openConfinedFd(base: string, relative: string, flags: number): number | undefined {
  if (!relative || !fsTakesAddonDescriptors) return undefined;
  // The addon's export, named after its system call: a descriptor, or a negative errno.
  const fd = native.openBeneath(base, relative, flags);
  if (fd >= 0) return fd;
  const name = getSystemErrorName(fd);
  if (RESOLVE_BY_HAND.has(name) && !(name === "ELOOP" && (flags & fs.constants.O_CREAT) !== 0)) return undefined;
  throw osError(fd, "openat2", path.join(base, relative));
}

/**
 * Throws ENAMETOOLONG for a host path longer than the system names (the guest's path fits
 * its 4096 bytes, but the grant's folder comes on top). openat2 walks only `relative`
 * and would open or create the file, but no check by its whole path could follow.
 */
function refuseOverlongPath(base: string, relative: string): void {
  if (process.platform === "linux" && Buffer.byteLength(base) + 1 + Buffer.byteLength(relative) >= PATH_MAX) {
    throw osErrorNamed("ENAMETOOLONG", "open", `${base}${path.sep}${relative.slice(0, 64)}...`);
  }
}

/**
 * Opens `relative` under `base` following links that stay inside: the checked file, or
 * why it is refused (what lies outside, a folder, a device…).
 */
export function openGrantedFile(base: string, relative: string, writable: boolean): GrantedFile | Refusal {
  refuseOverlongPath(base, relative);
  const flags = (writable ? fs.constants.O_RDWR : fs.constants.O_RDONLY) | O_NONBLOCK;
  const confined = openConfinedFd(base, relative, flags);
  if (confined !== undefined) return grantedFileOf(base, confined, true);
  const real = fs.realpathSync.native(relative ? path.join(base, relative) : base);
  if (!isBeneath(base, real)) return "FAIL_OUTSIDE_GRANT";
  return grantedFileOf(base, fs.openSync(real, flags | O_NOFOLLOW), false);
}

/**
 * Creates (or truncates) `relative` under `base` with `size` bytes; its folder must
 * exist. The checked file, or why it is refused.
 */
export function createGrantedFile(base: string, relative: string, size: number): GrantedFile | Refusal {
  if (!relative) return "FAIL_EISDIR";
  refuseOverlongPath(base, relative);
  // O_NOFOLLOW: a symbolic link in the last place is refused (ELOOP), never followed.
  const flags = fs.constants.O_RDWR | fs.constants.O_CREAT | O_NOFOLLOW | O_NONBLOCK;
  let created = openConfinedFd(base, relative, flags);
  if (created === undefined) {
    const target = path.join(base, relative);
    const parent = fs.realpathSync.native(path.dirname(target));
    if (!isBeneath(base, parent)) return "FAIL_OUTSIDE_GRANT";
    const made = createFdIn(base, parent, path.basename(target), flags);
    if (typeof made === "string") return made;
    created = made;
  }
  // Checked where it is even when the kernel kept the walk inside: its folder may have
  // been moved out between the walk and the create.
  const opened = grantedFileOf(base, created, false);
  if (typeof opened !== "string") {
    try {
      // Like O_TRUNC, but only once the file has passed the checks, and only once `size`
      // is known to be possible: a refused size leaves an existing file as it was.
      fs.ftruncateSync(opened.fd, size);
      fs.ftruncateSync(opened.fd, 0);
      fs.ftruncateSync(opened.fd, size);
    } catch (error) {
      fs.closeSync(opened.fd);
      throw error;
    }
    opened.size = size;
  }
  return opened;
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Linux: the link that names what an open descriptor is; reading it gives its real path. */
function descriptorPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/**
 * Opens `name` in the folder `parent` with `flags` (which create it): its descriptor, or
 * a refusal. A folder on the path swapped for a link after the check would make a plain
 * open create the file wherever the link points, and checking the new file afterwards
 * can refuse it but not un-create it. On Linux the file is therefore created through a descriptor of the
 * folder itself (/proc/self/fd/N/name, which does not walk the path again), after
 * checking where that descriptor's folder is. What is left there: the folder itself
 * renamed out of the grant between that check and the create (which needs write access
 * outside the grant, on the same file system); elsewhere, any swap. In both cases the
 * check after the open refuses the file, but it stays where it was made.
 */
function createFdIn(base: string, parent: string, name: string, flags: number): number | Refusal {
  if (process.platform !== "linux") return fs.openSync(path.join(parent, name), flags, 0o666);
  let folder: number;
  try {
    // O_PATH: a folder the process may write to but not list can still be named this way.
    folder = fs.openSync(parent, O_PATH | fs.constants.O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    // The checked folder is now a link: it was swapped. A file that was always there
    // instead of a folder is only a missing folder (ENOTDIR, as openat2 says too).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || (code === "ENOTDIR" && isLink(parent))) return "FAIL_OUTSIDE_GRANT";
    throw error;
  }
  try {
    if (!isBeneath(base, fs.readlinkSync(descriptorPath(folder)))) return "FAIL_OUTSIDE_GRANT";
    return fs.openSync(`${descriptorPath(folder)}/${name}`, flags, 0o666);
  } finally {
    fs.closeSync(folder);
  }
}

// File systems whose "regular files" are views of the kernel, not data: never mapped.
const PSEUDO_FILE_SYSTEMS = new Set([0x9fa0 /* proc */, 0x62656572 /* sysfs */]);

/**
 * The file `fd` as a GrantedFile if it is an ordinary regular file beneath `base`: not a
 * folder, device, FIFO or socket, not a file of /proc or /sys, and with no second name (a
 * hard link) that could lie outside the grant. Otherwise `fd` is closed and the refusal
 * returned. Unless the kernel `confined` the open to `base`, on
 * Linux the open file's own path is checked again, which catches a folder swapped for a
 * link between the check and the open.
 */
function grantedFileOf(base: string, fd: number, confined: boolean): GrantedFile | Refusal {
  try {
    const info = fileInfo(fd);
    if (typeof info === "number") throw osError(info, "fstat", base);
    let refusal: Refusal | undefined = info.isDirectory ? "FAIL_EISDIR" : info.isRegular ? undefined : "FAIL_NOT_REGULAR";
    if (!refusal && info.links > 1) refusal = "FAIL_OUTSIDE_GRANT";
    if (!refusal && process.platform === "linux") {
      const filesystem = native.filesystemType(fd);
      if (filesystem < 0) throw osError(filesystem, "fstatfs", base);
      if (!confined && !isBeneath(base, fs.readlinkSync(descriptorPath(fd)))) refusal = "FAIL_OUTSIDE_GRANT";
      else if (PSEUDO_FILE_SYSTEMS.has(filesystem)) refusal = "FAIL_NOT_REGULAR";
    }
    if (!refusal) return { fd, size: info.size, dev: info.device };
    fs.closeSync(fd);
    return refusal;
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}
