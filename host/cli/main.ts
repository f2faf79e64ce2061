#!/usr/bin/env node
// The `mmap-wasi` command: a subcommand per job. Exit codes: the command's own (run: the
// guest's), 1 for a failure, 2 for a usage error.
import { readFileSync } from "node:fs";
import { MmapError } from "../errors.js";
import { UsageError } from "./shared.js";
import { packageRoot } from "../paths.js";

const HELP = `Usage: mmap-wasi COMMAND [options]

Memory-mapped files for Node.js and WASI guests.

Commands:
  run        run a WASI guest that maps files through the mmap_wasi imports
  residency  show how much of files is in the page cache, and where (--json)
  touch      bring files into the page cache
  evict      drop files from the page cache
  advise     give madvise advice for a range of a file (willneed, …)
  lock       lock files in memory until interrupted

Options:
  -h, --help       show this help (or COMMAND --help for a command's)
  -v, --version    show the version

Example:
  mmap-wasi run --dir ./data::/data checksum.wasm -- /data/big.bin
  mmap-wasi touch ./data && mmap-wasi residency ./data
`;

type Command = (argv: readonly string[]) => Promise<number>;

// Each command's module is loaded only when it runs: a page-cache command does not pay
// for the guest runtime, and the process starts sooner.
const commands: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./run.js")).run,
  residency: async () => (await import("./residency.js")).residency,
  touch: async () => (await import("./touch.js")).touch,
  evict: async () => (await import("./evict.js")).evict,
  advise: async () => (await import("./advise.js")).advise,
  lock: async () => (await import("./lock.js")).lock,
};

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "-v" || first === "--version") {
    const { version } = JSON.parse(readFileSync(`${packageRoot}package.json`, "utf8")) as { version: string };
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (first === "-h" || first === "--help" || first === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const load = first !== undefined && Object.hasOwn(commands, first) ? commands[first] : undefined;
  if (!load) throw new UsageError(first === undefined ? "missing COMMAND" : `unknown command: ${first}`);
  return (await load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      const command = process.argv[2] && Object.hasOwn(commands, process.argv[2]) ? ` ${process.argv[2]}` : "";
      process.stderr.write(`mmap-wasi: ${error.message}\nRun 'mmap-wasi${command} --help' for usage.\n`);
      process.exitCode = 2;
      return;
    }
    // Errors that name their cause (MmapError, fs errors) need no stack trace.
    const named = error instanceof MmapError || typeof (error as NodeJS.ErrnoException)?.code === "string";
    const detail = named ? (error as Error).message : String((error as Error)?.stack ?? error);
    process.stderr.write(`mmap-wasi: ${detail}\n`);
    process.exitCode = 1;
  },
);
