// `mmap-wasi residency`: how much of each file is in the page cache, and where.
import { Failures, parseCommand, percentOf, plural, UsageError } from "./shared.js";
import { MemoryMappedFile, pageSize as hostPageSize } from "../memory-mapped-file.js";
import { residencyOf, regularFiles, type FileResidency } from "./page-cache.js";
import { formatBytes } from "./sizes.js";
import { columnsOf, isTerminal, plainStyle, styleFor, visibleLength, type Style } from "./terminal.js";

export const RESIDENCY_HELP = `Usage: mmap-wasi residency [--json] PATH...

Shows how much of each file is resident in the page cache (mincore), and the total.
Folders are walked recursively; symbolic links inside them are not followed, and a
file reached twice (a hard link) counts once, as in vmtouch.

On a terminal, each file also gets a picture of where its resident pages lie: one
column per slice of the file, from empty (not resident) to a full block (all resident).
Piped output is a plain table without it.

Options:
  --json       print one JSON document (its shape is in docs/cli.md, "residency --json")
  -h, --help   show this help

Exit status: 0, or 1 if a path could not be read (the others are still shown).

Example:
  mmap-wasi residency /var/lib/db
`;

/** Version of the --json shape; raised only when a field changes meaning or goes away. */
export const RESIDENCY_JSON_VERSION = 1;

const MAP_WIDTH = 60;
const LEVELS = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

interface Totals {
  files: number;
  size: number;
  residentPages: number;
  totalPages: number;
}

function jsonEntry(entry: FileResidency) {
  return {
    path: entry.path,
    size: entry.size,
    pageSize: entry.pageSize,
    residentPages: entry.residentPages,
    totalPages: entry.totalPages,
    residentBytes: entry.residentPages * entry.pageSize,
    totalBytes: entry.totalPages * entry.pageSize,
    percent: percentOf(entry.residentPages, entry.totalPages),
  };
}

/** `slices` (resident fractions of equal parts of a file) squeezed into at most `width` columns. */
function resample(slices: readonly number[], width: number): number[] {
  if (slices.length <= width) return [...slices];
  return Array.from({ length: width }, (_, column) => {
    const first = Math.floor((column * slices.length) / width);
    const end = Math.floor(((column + 1) * slices.length) / width);
    let sum = 0;
    for (let slice = first; slice < end; slice++) sum += slices[slice]!;
    return sum / (end - first);
  });
}

/** One column per slice, blank (nothing resident) to a full block; a file of few pages gets a column a page. */
function picture(slices: readonly number[], width: number, style: Style): string {
  const columns = resample(slices, width);
  const cells = columns.map((fraction) => LEVELS[fraction <= 0 ? 0 : Math.max(1, Math.round(fraction * 8))]!).join("");
  return `│${cells ? style.green(cells) : ""}${" ".repeat(width - columns.length)}│`;
}

type Row = string[];

function table(header: Row, rows: Row[], rightAligned: readonly boolean[], style: Style): string {
  const widths = header.map((cell, column) => Math.max(visibleLength(cell), ...rows.map((row) => visibleLength(row[column]!))));
  const line = (row: Row) =>
    row
      .map((cell, column) => {
        const pad = " ".repeat(widths[column]! - visibleLength(cell));
        if (column === row.length - 1) return cell; // the path: no trailing blanks
        return rightAligned[column] ? pad + cell : cell + pad;
      })
      .join("  ");
  return [style.bold(line(header)), ...rows.map(line)].map((text) => `${text}\n`).join("");
}

/** Runs the command; resolves with the exit code. */
export async function residency(argv: readonly string[]): Promise<number> {
  const parsed = parseCommand(argv, { json: { type: "boolean" } }, RESIDENCY_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError("missing PATH");
  const json = values.json === true;
  const terminal = !json && isTerminal(process.stdout);
  const style = json ? plainStyle : styleFor(process.stdout);

  const failures = new Failures();
  const errors: { path: string | undefined; code: string; message: string }[] = [];
  const report = (error: unknown) => {
    failures.report(error);
    const { path, code, message } = error as { path?: string; code?: string; message: string };
    errors.push({ path, code: code ?? "ERR_MMAP_INVALID_ARGUMENT", message });
  };
  const entries: FileResidency[] = [];
  const total: Totals = { files: 0, size: 0, residentPages: 0, totalPages: 0 };
  for (const filePath of regularFiles(positionals, report)) {
    let entry: FileResidency;
    try {
      const file = MemoryMappedFile.openRo(filePath);
      try {
        entry = residencyOf(file, terminal ? MAP_WIDTH : 0);
      } finally {
        file.close();
      }
    } catch (error) {
      report(error);
      continue;
    }
    entries.push(entry);
    total.files++;
    total.size += entry.size;
    total.residentPages += entry.residentPages;
    total.totalPages += entry.totalPages;
  }

  if (json) {
    const pageSize = hostPageSize();
    const document = {
      version: RESIDENCY_JSON_VERSION,
      pageSize,
      files: entries.map(jsonEntry),
      total: {
        files: total.files,
        size: total.size,
        residentPages: total.residentPages,
        totalPages: total.totalPages,
        residentBytes: total.residentPages * pageSize,
        totalBytes: total.totalPages * pageSize,
        percent: percentOf(total.residentPages, total.totalPages),
      },
      errors,
    };
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    return failures.exitCode;
  }

  const pageSize = hostPageSize();
  const row = (resident: number, pages: number, name: string): Row => {
    const percent = percentOf(resident, pages);
    const shownPercent = percent.toFixed(percent === 100 || percent === 0 ? 0 : 1);
    return [
      formatBytes(resident * pageSize),
      formatBytes(pages * pageSize),
      `${resident}/${pages}`,
      percent === 100 ? style.green(shownPercent) : percent === 0 ? shownPercent : style.yellow(shownPercent),
      name,
    ];
  };
  const header: Row = ["RESIDENT", "TOTAL", "PAGES", "%", "PATH"];
  const rows = entries.map((entry) => row(entry.residentPages, entry.totalPages, entry.path));
  if (entries.length > 1) {
    rows.push(row(total.residentPages, total.totalPages, style.bold(`total (${plural(total.files, "file")})`)));
  }
  if (rows.length === 0) return failures.exitCode;
  const rightAligned = [true, true, true, true, false];
  if (terminal) {
    // The picture takes the room the other columns leave on the line: 10 to 60 columns.
    const used = header.map((cell, column) => Math.max(visibleLength(cell), ...rows.map((cells) => visibleLength(cells[column]!))));
    const room = columnsOf(process.stdout) - used.reduce((sum, width) => sum + width + 2, 0) - 2;
    const width = Math.max(10, Math.min(MAP_WIDTH, room));
    const where = (index: number) => (index < entries.length ? picture(entries[index]!.slices ?? [], width, style) : "");
    header.splice(4, 0, "WHERE");
    rows.forEach((cells, index) => cells.splice(4, 0, where(index)));
    rightAligned.splice(4, 0, false);
  }
  process.stdout.write(table(header, rows, rightAligned, style));
  return failures.exitCode;
}
