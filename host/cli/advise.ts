// `mmap-wasi advise`: gives one piece of advice for a range of a file.
import { parseCommand, plural, UsageError } from "./shared.js";
import { MmapAdvice } from "../advice.js";
import { MmapError } from "../errors.js";
import { MemoryMappedFile } from "../memory-mapped-file.js";
import { formatBytes, parseSize } from "./sizes.js";

/** Command-line names of the advice values. */
export const ADVICE_NAMES: Readonly<Record<string, MmapAdvice>> = {
  normal: MmapAdvice.Normal,
  sequential: MmapAdvice.Sequential,
  random: MmapAdvice.Random,
  willneed: MmapAdvice.WillNeed,
  dontneed: MmapAdvice.DontNeed,
  noreuse: MmapAdvice.NoReuse,
  hugepage: MmapAdvice.HugePage,
  nohugepage: MmapAdvice.NoHugePage,
  cold: MmapAdvice.Cold,
  pageout: MmapAdvice.PageOut,
  "populate-read": MmapAdvice.PopulateRead,
};

export const ADVISE_HELP = `Usage: mmap-wasi advise PATH OFFSET LENGTH ADVICE

Maps PATH read-only and gives ADVICE for the range [OFFSET, OFFSET + LENGTH), as
MemoryMappedFile#advise does (no alignment needed; willneed prefetches the whole range in
read-ahead-sized chunks). A LENGTH of 0 means "to the end of the file", as in
posix_fadvise.

OFFSET and LENGTH are byte counts: a plain integer, or one with a suffix B, K, M, G or T
(powers of 1024: 4K = 4096, 64M = 67108864; KiB, MiB, GiB, TiB are accepted too).

ADVICE is one of
  normal, sequential, random, willneed, dontneed, noreuse        (portable)
  hugepage, nohugepage, cold, pageout, populate-read             (Linux; no-ops elsewhere)

The mapping lasts only as long as the command, and so does most advice: willneed and
populate-read leave the pages in the page cache, the others end with the command (they
are useful to check that the advice is accepted). To drop a file from the page cache,
use 'mmap-wasi evict'.

Options:
  -h, --help   show this help

Exit status: 0; 1 if the file cannot be mapped or the advice fails (a range outside the
file, say); 2 for a malformed size or an unknown advice.

Example:
  mmap-wasi advise data.bin 64M 16M willneed
`;

function size(text: string, what: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined) throw new UsageError(`${what} must be a byte count such as 4096, 4K or 64M, got '${text}'`);
  return bytes;
}

/** Runs the command; resolves with the exit code. */
export async function advise(argv: readonly string[]): Promise<number> {
  const parsed = parseCommand(argv, {}, ADVISE_HELP);
  if (!parsed) return 0;
  const { positionals } = parsed;
  if (positionals.length !== 4) throw new UsageError(`expected PATH OFFSET LENGTH ADVICE, got ${plural(positionals.length, "argument")}`);
  const [path, offsetText, lengthText, adviceText] = positionals as [string, string, string, string];
  const offset = size(offsetText, "OFFSET");
  const length = size(lengthText, "LENGTH");
  const name = adviceText.toLowerCase().replace(/_/g, "-");
  const advice = Object.hasOwn(ADVICE_NAMES, name) ? ADVICE_NAMES[name] : undefined;
  if (advice === undefined) throw new UsageError(`unknown ADVICE '${adviceText}'; expected one of ${Object.keys(ADVICE_NAMES).join(", ")}`);

  const file = MemoryMappedFile.openRo(path);
  try {
    if (length === 0 && offset > file.length) {
      throw new MmapError("ERR_MMAP_OUT_OF_BOUNDS",
        `advise: OFFSET ${offset} lies beyond the end of the file (${file.length} bytes): ${path}`, { path });
    }
    const count = length === 0 ? file.length - offset : length;
    file.advise(offset, count, advice);
    process.stdout.write(`${name}: ${formatBytes(count)} of ${path} from offset ${offset}\n`);
  } finally {
    file.close();
  }
  return 0;
}
