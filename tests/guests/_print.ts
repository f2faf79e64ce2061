// Shared by the test guests: print to standard output through WASI's fd_write.

@external("wasi_snapshot_preview1", "fd_write")
declare function fdWrite(fd: u32, iovs: usize, iovsLen: u32, written: usize): u16;

/** Writes `text` as UTF-8 to descriptor 1. */
export function print(text: string): void {
  const bytes = String.UTF8.encode(text);
  const iov = memory.data(16);
  store<u32>(iov, <u32>changetype<usize>(bytes));
  store<u32>(iov, <u32>bytes.byteLength, 4);
  fdWrite(1, iov, 1, iov + 8);
}
