// mapchecksum PATH: prints what checksum prints, but reads the file in place: it maps
// each 1 MiB window of PATH into the guest's own memory (a guest mapping, ABI version 2)
// and hashes it through a Uint8Array over the mapping, with no copy into a buffer. The
// Rust version prints the same bytes.
// Built with @assemblyscript/wasi-shim, which provides `process` and runs this file's
// top level as the WASI `_start`.

import { Advice, Errno, MappedFile, Mode, Prot, lastErrno } from "../../sdk/assemblyscript";
import { fail, failAndClose, pathArgument } from "./_report";

const WINDOW: u64 = 1024 * 1024;

function main(): void {
  const path = pathArgument("mapchecksum");
  const file = MappedFile.open(path, Mode.Ro);
  if (file == null) return fail("open", lastErrno());
  const length = file.len();
  if (lastErrno() != Errno.SUCCESS) return failAndClose(file, "len", lastErrno());

  let hash: u64 = 0xcbf29ce484222325; // FNV-1a 64 offset basis
  for (let offset: u64 = 0; offset < length; ) {
    const n = min(length - offset, WINDOW);
    const window = file.map(offset, n, Prot.Read);
    if (window == null) return failAndClose(file, "map", lastErrno());
    let error = window.advise(Advice.WillNeed);
    if (error != Errno.SUCCESS) return failAndClose(file, "madvise", error, window);
    const bytes = window.bytes();
    if (bytes == null) return failAndClose(file, "map", lastErrno(), window);
    for (let i = 0; i < bytes.length; i++) {
      hash ^= <u64>unchecked(bytes[i]);
      hash *= 0x100000001b3; // FNV-1a 64 prime
    }
    // The host reuses the range for the next window; `bytes` is empty from here on.
    error = window.unmap();
    if (error != Errno.SUCCESS) return failAndClose(file, "unmap", error);
    offset += n;
  }

  const error = file.close();
  if (error != Errno.SUCCESS) return fail("close", error);
  process.stdout.write(`checksum ${hash.toString(16).padStart(16, "0")} bytes ${length}\n`);
}

main();
