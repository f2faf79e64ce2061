// A WASI command that grows its memory to 256 MiB and then keeps making WASI and
// mmap_wasi calls: under node:wasi this is where a fast-API garbage collection can crash
// the process, and the host must not let it.

import { print } from "./_print";

@external("mmap_wasi", "page_size") declare function mmapPageSize(): i32;

const PAGES_256_MIB: i32 = 4096;

export function _start(): void {
  memory.grow(PAGES_256_MIB - memory.size());
  // Touch every 64 KiB so the memory is really in use.
  for (let page = 0; page < PAGES_256_MIB; page++) store<u8>(<usize>page * 65536 + 65535, 1);
  let sum: i32 = 0;
  for (let i = 0; i < 2000; i++) {
    sum += mmapPageSize();
    if (i % 100 == 0) print("memory " + (memory.size() / 16).toString() + " MiB, call " + i.toString() + "\n");
  }
  print("done " + sum.toString() + "\n");
}
