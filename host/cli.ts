#!/usr/bin/env node
// The `mmap-wasi` command. Subcommands arrive with their issues (run, residency, touch, …);
// until then it answers --help and --version.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { packageRoot } from "./paths.js";

const HELP = `Usage: mmap-wasi [--help] [--version]

Memory-mapped files for Node.js and WASI guests. The library is the package's main
export (import { MemoryMappedFile } from "mmap-wasi"); this command's subcommands are
still to come.
`;

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: { help: { type: "boolean", short: "h" }, version: { type: "boolean", short: "v" } },
    strict: true,
  });
  if (values.version) {
    const { version } = JSON.parse(readFileSync(`${packageRoot}package.json`, "utf8")) as { version: string };
    process.stdout.write(`${version}\n`);
    return 0;
  }
  process.stdout.write(HELP);
  return values.help ? 0 : 2;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`mmap-wasi: ${(error as Error).message}\n${HELP}`);
  process.exitCode = 2;
}
