// write PATH: creates PATH (4096 bytes), writes to it, grows it to 8192 bytes, writes
// near the new end, makes it durable and prints the length read back. The C and Rust
// versions print the same bytes and leave the same file.
// Built with @assemblyscript/wasi-shim, which provides `process` and runs this file's
// top level as the WASI `_start`.

import { Errno, MappedFile, lastErrno } from "../../sdk/assemblyscript";
import { fail, failAndClose, pathArgument } from "./_report";

function utf8(text: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(text));
}

function main(): void {
  const path = pathArgument("write");
  const file = MappedFile.create(path, 4096);
  if (file == null) return fail("create", lastErrno());

  let error = file.write(0, utf8("hello, mapped world\n"));
  if (error != Errno.SUCCESS) return failAndClose(file, "write", error);
  error = file.resize(8192);
  if (error != Errno.SUCCESS) return failAndClose(file, "resize", error);
  error = file.write(8000, utf8("tail\n"));
  if (error != Errno.SUCCESS) return failAndClose(file, "write", error);
  error = file.flush(0, 8192);
  if (error != Errno.SUCCESS) return failAndClose(file, "flush", error);
  const length = file.len();
  if (lastErrno() != Errno.SUCCESS) return failAndClose(file, "len", lastErrno());

  error = file.close();
  if (error != Errno.SUCCESS) return fail("close", error);
  process.stdout.write(`wrote ${length} bytes\n`);
}

main();
