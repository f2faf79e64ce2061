// A WASI command that opens files with WASI's own path_open and hands their descriptors
// to open_fd (ABI version 2). Under preopen /data (fd 3) it opens input.bin and other.bin,
// then prints one line per step, "name errno [value]":
//   preopen   open_fd of the preopen itself, a directory (as open of "/data"); under
//             @wasmer/wasi, notsup, and the guest exits 2 at the path_open that follows
//   open      open_fd of input.bin's descriptor, ro; value: its first 5 bytes
//   map       map of that handle, the guest's own loads of the first 5 bytes
//   rw        open_fd of it, rw (notcapable when /data is a read-only grant)
//   mode      open_fd with mode 7 (inval)
//   fault     open_fd with an out pointer past memory (fault)
//   unheld    open_fd of descriptor 77, which the guest never held (badf)
//   renumber  fd_renumber(input, other), then open_fd of the old number (badf)
//   moved     open_fd of the new number: input.bin's first 5 bytes
//   closed    fd_close of it, then open_fd of that number (badf)
// Exits 2 if a WASI call fails.

import { print } from "./_print";

@external("wasi_snapshot_preview1", "path_open")
declare function pathOpen(dirFd: u32, dirFlags: u32, pathPtr: usize, pathLen: u32, oflags: u32,
  rightsBase: u64, rightsInheriting: u64, fdFlags: u32, outFd: usize): u16;
@external("wasi_snapshot_preview1", "fd_close") declare function fdClose(fd: u32): u16;
@external("wasi_snapshot_preview1", "fd_renumber") declare function fdRenumber(from: u32, to: u32): u16;
@external("wasi_snapshot_preview1", "proc_exit") declare function procExit(code: u32): void;
@external("mmap_wasi", "open_fd") declare function mmapOpenFd(fd: u32, mode: i32, outHandle: usize): i32;
@external("mmap_wasi", "read") declare function mmapRead(handle: u32, offset: u64, dst: usize, len: u32): i32;
@external("mmap_wasi", "map") declare function mmapMap(handle: u32, offset: u64, len: u64, prot: i32, outAddr: usize): i32;
@external("mmap_wasi", "close") declare function mmapClose(handle: u32): i32;

function text(at: usize, len: u32): string {
  let result = "";
  for (let i: u32 = 0; i < len; i++) result += String.fromCharCode(load<u8>(at + <usize>i));
  return result;
}

function wasiOpen(name: string): u32 {
  const bytes = String.UTF8.encode(name);
  const out = memory.data(8);
  // Rights: fd_read (2), fd_seek (4), fd_tell (32), fd_filestat_get (2^21).
  const errno = pathOpen(3, 1, changetype<usize>(bytes), <u32>bytes.byteLength, 0, 2 | 4 | 32 | (1 << 21), 0, 0, out);
  if (errno != 0) procExit(2);
  return load<u32>(out);
}

const handleOut = memory.data(8);
const buffer = memory.data(16);

/** open_fd, then (on success) read of the first 5 bytes and close: "name errno [bytes]". */
function step(name: string, fd: u32, mode: i32): void {
  const errno = mmapOpenFd(fd, mode, handleOut);
  if (errno != 0) {
    print(name + " " + errno.toString() + "\n");
    return;
  }
  const handle = load<u32>(handleOut);
  const readErrno = mmapRead(handle, 0, buffer, 5);
  print(name + " 0 " + (readErrno == 0 ? text(buffer, 5) : "read " + readErrno.toString()) + "\n");
  mmapClose(handle);
}

export function _start(): void {
  step("preopen", 3, 0);
  const input = wasiOpen("input.bin");
  const other = wasiOpen("other.bin");
  step("open", input, 0);

  if (mmapOpenFd(input, 0, handleOut) != 0) procExit(2);
  const handle = load<u32>(handleOut);
  const mapped = mmapMap(handle, 0, 5, 1, buffer);
  print("map " + mapped.toString() + (mapped == 0 ? " " + text(<usize>load<u32>(buffer), 5) : "") + "\n");
  mmapClose(handle);

  step("rw", input, 1);
  step("mode", input, 7);
  print("fault " + mmapOpenFd(input, 0, 0xfffffff0).toString() + "\n");
  step("unheld", 77, 0);
  if (fdRenumber(input, other) != 0) procExit(2);
  step("renumber", input, 0);
  step("moved", other, 0);
  if (fdClose(other) != 0) procExit(2);
  step("closed", other, 0);
}
