#!/usr/bin/env node
// The `mmap-wasi` command: a subcommand per job. Exit codes: the command's own (run: the
// guest's), 1 for a failure, 2 for a usage error.
import { readFileSync } from "node:fs";
import { MmapError } from "./errors.js";
import { UsageError, run } from "./cli-run.js";
import { residency } from "./cli-residency.js";
import { touch } from "./cli-touch.js";
import { evict } from "./cli-evict.js";
import { advise } from "./cli-advise.js";
import { lock } from "./cli-lock.js";
import { packageRoot } from "./paths.js";

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

const commands: Record<string, (argv: readonly string[]) => Promise<number>> = { run, residency, touch, evict, advise, lock };

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
  const command = first === undefined ? undefined : commands[first];
  if (!command) throw new UsageError(first === undefined ? "missing COMMAND" : `unknown command: ${first}`);
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      const command = process.argv[2] && process.argv[2] in commands ? ` ${process.argv[2]}` : "";
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
