#!/usr/bin/env node
// The `mmap-wasi` command: a subcommand per job. Exit codes: the command's own (run: the
// guest's), 1 for a failure, 2 for a usage error.
import { readFileSync } from "node:fs";
import { MmapError } from "./errors.js";
import { UsageError, run } from "./cli-run.js";
import { packageRoot } from "./paths.js";

const HELP = `Usage: mmap-wasi COMMAND [options]

Memory-mapped files for Node.js and WASI guests.

Commands:
  run        run a WASI guest that maps files through the mmap_wasi imports

Options:
  -h, --help       show this help (or COMMAND --help for a command's)
  -v, --version    show the version

Example:
  mmap-wasi run --dir ./data::/data checksum.wasm -- /data/big.bin
`;

const commands: Record<string, (argv: readonly string[]) => Promise<number>> = { run };

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
