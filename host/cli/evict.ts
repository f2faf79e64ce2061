// `mmap-wasi evict`: drops files from the page cache.
import { Failures, parseCommand, plural, UsageError } from "./shared.js";
import { pageSize } from "../memory-mapped-file.js";
import { evictFile, regularFiles } from "./page-cache.js";
import { formatBytes } from "./sizes.js";

export const EVICT_HELP = `Usage: mmap-wasi evict [-q] PATH...

Drops the files' pages from the page cache, like vmtouch -e: each file is flushed
(fsync, so no page is dirty), then posix_fadvise(POSIX_FADV_DONTNEED) drops its pages.
Pages that another process has mapped or locked stay; the summary counts them.
Folders are walked recursively; symbolic links inside them are not followed.

Options:
  -q, --quiet  print no summary
  -h, --help   show this help

Exit status: 0, or 1 if a path could not be read or evicted.

Example:
  mmap-wasi evict /var/lib/db
`;

/** Runs the command; resolves with the exit code. */
export async function evict(argv: readonly string[]): Promise<number> {
  const parsed = parseCommand(argv, { quiet: { type: "boolean", short: "q" } }, EVICT_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError("missing PATH");

  const failures = new Failures();
  let files = 0;
  let dropped = 0;
  let remaining = 0;
  for (const path of regularFiles(positionals, failures.report)) {
    const result = failures.attempt(() => evictFile(path));
    if (!result) continue;
    files++;
    dropped += Math.max(0, result.residentBefore - result.residentAfter);
    remaining += result.residentAfter;
  }
  if (!values.quiet) {
    const stayed = remaining > 0 ? `; ${plural(remaining, "page")} stayed resident (mapped or locked elsewhere)` : "";
    process.stdout.write(`evicted ${plural(files, "file")}: ${plural(dropped, "page")} (${formatBytes(dropped * pageSize())}) dropped${stayed}\n`);
  }
  return failures.exitCode;
}
