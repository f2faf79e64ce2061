// A WASI command that reads a file through a guest mapping (ABI version 2) with its own
// loads, and writes another through a writable one: it maps /data/input.bin read-only
// and sums its bytes, stores "MAPPED" at offset 5 of /out/touched.bin, syncs, closes the
// handle before unmapping, and prints "kind K sum S". Any failed call exits with 10 + its
// step.

import { print } from "./_print";

@external("wasi_snapshot_preview1", "proc_exit") declare function procExit(code: u32): void;
@external("mmap_wasi", "open") declare function mmapOpen(pathPtr: usize, pathLen: u32, mode: i32, outHandle: usize): i32;
@external("mmap_wasi", "len") declare function mmapLen(handle: u32, outLen: usize): i32;
@external("mmap_wasi", "close") declare function mmapClose(handle: u32): i32;
@external("mmap_wasi", "map") declare function mmapMap(handle: u32, offset: u64, len: u64, prot: i32, outAddr: usize): i32;
@external("mmap_wasi", "unmap") declare function mmapUnmap(addr: u32, len: u64): i32;
@external("mmap_wasi", "sync") declare function mmapSync(addr: u32, len: u64): i32;
@external("mmap_wasi", "map_kind") declare function mmapMapKind(): i32;

function check(errno: i32, step: u32): void {
  if (errno != 0) procExit(10 + step);
}

function openPath(path: string, mode: i32, step: u32): u32 {
  const bytes = String.UTF8.encode(path);
  const out = memory.data(8);
  check(mmapOpen(changetype<usize>(bytes), <u32>bytes.byteLength, mode, out), step);
  return load<u32>(out);
}

export function _start(): void {
  const out = memory.data(8);
  const input = openPath("/data/input.bin", 0, 0);
  check(mmapLen(input, out), 1);
  const length = load<u64>(out);
  check(mmapMap(input, 0, length, 1, out), 2);
  const addr = load<u32>(out);
  let sum: u32 = 0;
  for (let at: u64 = 0; at < length; at++) sum += <u32>load<u8>(<usize>(<u64>addr + at));
  check(mmapUnmap(addr, length), 3);
  check(mmapClose(input), 4);

  const touched = openPath("/out/touched.bin", 1, 5);
  check(mmapMap(touched, 5, 10, 3, out), 6);
  const target = load<u32>(out);
  const word = "MAPPED";
  for (let i = 0; i < word.length; i++) store<u8>(<usize>target + <usize>i, <u8>word.charCodeAt(i));
  check(mmapSync(target, 10), 7);
  check(mmapClose(touched), 8);
  check(mmapUnmap(target, 10), 9);
  print("kind " + mmapMapKind().toString() + " sum " + sum.toString() + "\n");
}
