// What the page-cache commands share: argument parsing with usage errors (exit 2), and
// per-file errors that are reported and counted while the command goes on (exit 1).
import { parseArgs } from "node:util";
import { MmapError } from "../errors.js";

/** A mistake in the command line: reported with a hint to --help, exit code 2. */
export class UsageError extends Error {}

/** A command-line switch: the page-cache commands take no option values. */
interface Flag {
  type: "boolean";
  short?: string;
}

/**
 * parseArgs with positionals allowed, plus `-h, --help`: it prints `help` and gives
 * undefined, and the command ends with exit code 0. A mistake becomes a UsageError.
 */
export function parseCommand<K extends string>(
  argv: readonly string[],
  flags: Record<K, Flag>,
  help: string,
): { values: Partial<Record<K, boolean>>; positionals: string[] } | undefined {
  const options: Record<string, Flag> = { ...flags, help: { type: "boolean", short: "h" } };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Partial<Record<K | "help", boolean>>;
  if (values.help) {
    process.stdout.write(help);
    return undefined;
  }
  return { values, positionals: parsed.positionals };
}

/** Message for a failure that names its path and errno (MmapError, fs errors), or the error itself. */
export function describeError(error: unknown): string {
  const named = error instanceof MmapError || typeof (error as NodeJS.ErrnoException)?.code === "string";
  return named ? (error as Error).message : String((error as Error)?.stack ?? error);
}

/** Counts failures and prints each on stderr as it happens. */
export class Failures {
  count = 0;

  report = (error: unknown): void => {
    this.count++;
    process.stderr.write(`mmap-wasi: ${describeError(error)}\n`);
  };

  /** Runs `action`, reporting what it throws; returns its result or undefined. */
  attempt<T>(action: () => T): T | undefined {
    try {
      return action();
    } catch (error) {
      this.report(error);
      return undefined;
    }
  }

  get exitCode(): number {
    return this.count > 0 ? 1 : 0;
  }
}

/** Whole-number percentage with two decimals; 100 only when nothing is missing, 0 only when nothing is there. */
export function percentOf(part: number, whole: number): number {
  if (whole === 0 || part >= whole) return 100;
  if (part <= 0) return 0;
  return Math.min(99.99, Math.max(0.01, Math.round((part / whole) * 10_000) / 100));
}

/** `count` and the noun, plural when needed: "1 file", "3 files". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
