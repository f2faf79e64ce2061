// checksum PATH: maps PATH read-only, prefetches it, and prints the FNV-1a 64-bit hash
// of its bytes and its length. The C and Rust versions print the same bytes.
// Built with @assemblyscript/wasi-shim, which provides `process` and runs this file's
// top level as the WASI `_start`.

import { Advice, Errno, MappedFile, Mode, lastErrno } from "../../sdk/assemblyscript";
import { fail, failAndClose, pathArgument } from "./_report";

const CHUNK_SIZE: u64 = 1024 * 1024;

function main(): void {
  const path = pathArgument("checksum");
  const file = MappedFile.open(path, Mode.Ro);
  if (file == null) return fail("open", lastErrno());

  const length = file.len();
  if (lastErrno() != Errno.SUCCESS) return failAndClose(file, "len", lastErrno());
  let error = file.advise(0, length, Advice.WillNeed);
  if (error != Errno.SUCCESS) return failAndClose(file, "advise", error);
  error = file.advise(0, length, Advice.Sequential);
  if (error != Errno.SUCCESS) return failAndClose(file, "advise", error);

  const chunk = new Uint8Array(<i32>CHUNK_SIZE);
  let hash: u64 = 0xcbf29ce484222325; // FNV-1a 64 offset basis
  for (let offset: u64 = 0; offset < length; ) {
    const n = <i32>min(length - offset, CHUNK_SIZE);
    // A view of the first n bytes, so the last chunk reads no more than is left.
    const bytes = n == chunk.length ? chunk : chunk.subarray(0, n);
    error = file.read(offset, bytes);
    if (error != Errno.SUCCESS) return failAndClose(file, "read", error);
    const start = bytes.dataStart;
    for (let i = 0; i < n; i++) {
      hash ^= <u64>load<u8>(start + <usize>i);
      hash *= 0x100000001b3; // FNV-1a 64 prime
    }
    offset += <u64>n;
  }

  error = file.close();
  if (error != Errno.SUCCESS) return fail("close", error);
  process.stdout.write(`checksum ${hash.toString(16).padStart(16, "0")} bytes ${length}\n`);
}

main();
