// `mmap-wasi lock`: keeps files locked in memory until interrupted (like vmtouch -l).
import { Failures, parseCommand, plural, UsageError } from "./shared.js";
import { MmapError } from "../errors.js";
import { MemoryMappedFile, pageSize } from "../memory-mapped-file.js";
import { regularFiles } from "./page-cache.js";
import { formatBytes } from "./sizes.js";

export const LOCK_HELP = `Usage: mmap-wasi lock PATH...

Maps the files and locks their pages in memory (mlock), like vmtouch -l: the pages are
read in and stay resident until the command ends. Prints a "locked" line once every
page is locked, then waits; Ctrl-C (SIGINT) or SIGTERM unlocks and exits with 0.
Folders are walked recursively; symbolic links inside them are not followed.

Locking needs memory the system lets this user lock: RLIMIT_MEMLOCK ('ulimit -l'),
unless the process has CAP_IPC_LOCK.

Options:
  -h, --help   show this help

Exit status: 0 after a signal; 1 if a path could not be read or locked (nothing stays
locked then).

Example:
  mmap-wasi lock /var/lib/db/index.bin
`;

/** Runs the command; resolves with the exit code once a signal has ended it. */
export async function lock(argv: readonly string[]): Promise<number> {
  const parsed = parseCommand(argv, {}, LOCK_HELP);
  if (!parsed) return 0;
  const { positionals } = parsed;
  if (positionals.length === 0) throw new UsageError("missing PATH");

  const failures = new Failures();
  const locked: MemoryMappedFile[] = [];
  const release = () => {
    for (const file of locked) {
      try {
        file.unlock();
      } finally {
        file.close();
      }
    }
  };
  // Install the handlers first: a signal while locking must still unlock.
  let signalled: (signal: NodeJS.Signals) => void = () => {};
  const interrupted = new Promise<NodeJS.Signals>((resolve) => (signalled = resolve));
  process.once("SIGINT", signalled).once("SIGTERM", signalled);
  let pages = 0;
  try {
    for (const path of regularFiles(positionals, failures.report)) {
      const file = MemoryMappedFile.openRo(path);
      locked.push(file);
      try {
        file.lock();
      } catch (error) {
        if (error instanceof MmapError && (error.code === "ENOMEM" || error.code === "EPERM" || error.code === "EAGAIN")) {
          error.message += " (more than this user may lock: see 'ulimit -l')";
        }
        throw error;
      }
      pages += Math.ceil(file.length / pageSize());
    }
  } catch (error) {
    failures.report(error);
  }
  if (failures.count > 0) {
    process.off("SIGINT", signalled).off("SIGTERM", signalled);
    release();
    return 1;
  }
  process.stdout.write(`locked ${plural(locked.length, "file")}: ${plural(pages, "page")} (${formatBytes(pages * pageSize())}); Ctrl-C to unlock\n`);
  // Signal handlers do not keep Node running; a timer does.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  const signal = await interrupted;
  clearInterval(keepAlive);
  release();
  process.stdout.write(`unlocked (${signal})\n`);
  return 0;
}
