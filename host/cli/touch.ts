// `mmap-wasi touch`: brings files into the page cache, and says how fast.
import * as fs from "node:fs";
import { Failures, parseCommand, plural, UsageError } from "./shared.js";
import { MmapError } from "../errors.js";
import { MemoryMappedFile } from "../memory-mapped-file.js";
import { regularFiles, touchFile } from "./page-cache.js";
import { Progress } from "./progress.js";
import { formatBytes, formatSeconds } from "./sizes.js";

export const TOUCH_HELP = `Usage: mmap-wasi touch [-q] PATH...

Makes every page of the files resident in the page cache, like vmtouch -t, and returns
once they are. Each file is prefetched in read-ahead-sized chunks (MADV_POPULATE_READ on
Linux); whatever the kernel does not bring in is read, one byte per page. Folders are
walked recursively; symbolic links inside them are not followed.

On a terminal, a progress bar is drawn on stderr; piped, there is none. The summary
(files, pages, bytes, the time it took, throughput) goes to stdout.

Options:
  -q, --quiet  print no summary
  -h, --help   show this help

Exit status: 0, or 1 if a path could not be read or did not stay resident.

Example:
  mmap-wasi touch /var/lib/db/index.bin
`;

/** Runs the command; resolves with the exit code. */
export async function touch(argv: readonly string[]): Promise<number> {
  const parsed = parseCommand(argv, { quiet: { type: "boolean", short: "q" } }, TOUCH_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError("missing PATH");

  const start = performance.now();
  const failures = new Failures();
  const files: { path: string; size: number }[] = [];
  for (const path of regularFiles(positionals, failures.report)) {
    const size = failures.attempt(() => fs.statSync(path).size);
    if (size !== undefined) files.push({ path, size });
  }
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const progress = new Progress(totalBytes);
  let done = 0;
  let touched = 0;
  let pages = 0;
  let broughtIn = 0;
  let bytes = 0;
  for (const { path, size } of files) {
    progress.update(done, path, true);
    try {
      const file = MemoryMappedFile.openRo(path);
      try {
        const result = touchFile(file, (fileDone) => progress.update(done + fileDone, path));
        touched++;
        pages += result.totalPages;
        bytes += file.length;
        broughtIn += Math.max(0, result.residentAfter - result.residentBefore);
        if (result.residentAfter < result.totalPages) {
          failures.report(new MmapError("ERR_MMAP_NOT_RESIDENT",
            `only ${result.residentAfter} of ${result.totalPages} pages stayed resident (memory pressure?): ${path}`, { path }));
        }
      } finally {
        file.close();
      }
    } catch (error) {
      progress.clear();
      failures.report(error);
    }
    done += size;
  }
  progress.clear();
  const seconds = (performance.now() - start) / 1000;
  if (!values.quiet) {
    const rate = seconds > 0 ? (bytes / 2 ** 20 / seconds).toFixed(0) : "-";
    process.stdout.write(
      `touched ${plural(touched, "file")}: ${plural(pages, "page")} (${formatBytes(bytes)}), ` +
        `${broughtIn} brought in, in ${formatSeconds(seconds)} (${rate} MiB/s)\n`,
    );
  }
  return failures.exitCode;
}
