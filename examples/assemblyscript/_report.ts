// Shared by the AssemblyScript examples (a module, not a guest: its name starts with
// "_"): their one argument, and their failures, reported as the C and Rust versions
// report them.

import { GuestMapping, MappedFile, errnoName } from "../../sdk/assemblyscript";

/** The guest's one argument, PATH; without exactly one, prints the usage and exits 2. */
export function pathArgument(program: string): string {
  const argv = process.argv;
  if (argv.length != 2) {
    process.stderr.write(`usage: ${program} PATH\n`);
    process.exit(2);
  }
  return argv[1];
}

/** Prints "error: FUNCTION failed: errno N (NAME)" to stderr and exits 1. */
export function fail(functionName: string, error: i32): void {
  process.stderr.write(`error: ${functionName} failed: errno ${error} (${errnoName(error)})\n`);
  process.exit(1);
}

/** `fail`, after unmapping `window` (if any) and closing `file`, best effort: the first
 *  error is the one reported. */
export function failAndClose(file: MappedFile, functionName: string, error: i32, window: GuestMapping | null = null): void {
  if (window != null) window.unmap();
  file.close();
  fail(functionName, error);
}
