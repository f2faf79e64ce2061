// mapupper PATH: turns the ASCII letters of the existing file PATH to upper case in
// place: it maps each 1 MiB window writable into the guest's own memory (ABI version 2),
// changes it through a Uint8Array over the mapping, syncs it, and prints how many bytes
// changed. The Rust version prints the same bytes and leaves the same file.
// Built with @assemblyscript/wasi-shim, which provides `process` and runs this file's
// top level as the WASI `_start`.

import { Errno, MappedFile, Mode, Prot, lastErrno } from "../../sdk/assemblyscript";
import { fail, failAndClose, pathArgument } from "./_report";

const WINDOW: u64 = 1024 * 1024;

function main(): void {
  const path = pathArgument("mapupper");
  const file = MappedFile.open(path, Mode.Rw);
  if (file == null) return fail("open", lastErrno());
  const length = file.len();
  if (lastErrno() != Errno.SUCCESS) return failAndClose(file, "len", lastErrno());

  let changed: u64 = 0;
  for (let offset: u64 = 0; offset < length; ) {
    const n = min(length - offset, WINDOW);
    const window = file.map(offset, n, Prot.ReadWrite);
    if (window == null) return failAndClose(file, "map", lastErrno());
    const bytes = window.bytes();
    if (bytes == null) return failAndClose(file, "map", lastErrno(), window);
    for (let i = 0; i < bytes.length; i++) {
      const byte = unchecked(bytes[i]);
      if (byte >= 0x61 && byte <= 0x7a) {
        unchecked((bytes[i] = byte - 0x20));
        changed++;
      }
    }
    let error = window.sync();
    if (error != Errno.SUCCESS) return failAndClose(file, "sync", error, window);
    error = window.unmap();
    if (error != Errno.SUCCESS) return failAndClose(file, "unmap", error);
    offset += n;
  }

  const error = file.close();
  if (error != Errno.SUCCESS) return fail("close", error);
  process.stdout.write(`changed ${changed} bytes\n`);
}

main();
