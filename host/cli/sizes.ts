// Byte sizes on the command line ("4K", "64M", "1G") and in human output ("1.50 GiB").
// Suffixes are powers of 1024; anything else is refused, never guessed at.

const UNITS = ["B", "K", "M", "G", "T"] as const;

/**
 * Parses a byte count: a plain integer, or an integer followed by B, K, M, G or T
 * (case-insensitive; K, M, G and T may be spelled KiB, MiB, GiB, TiB). Returns undefined
 * for anything else, or when the result exceeds Number.MAX_SAFE_INTEGER.
 */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+)(?:([bkmgt])|([kmgt])ib)?$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? match[3] ?? "b").toUpperCase();
  const value = BigInt(match[1]!) << BigInt(10 * UNITS.indexOf(unit as (typeof UNITS)[number]));
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}

const NAMES = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** "0 B", "512 B", "4.00 KiB", "1.50 GiB": three significant digits from KiB up. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < NAMES.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${NAMES[unit]}`;
}

/** Seconds with a precision that suits their size: "0.042 s", "1.25 s", "93.1 s". */
export function formatSeconds(seconds: number): string {
  return `${seconds.toFixed(seconds < 1 ? 3 : seconds < 10 ? 2 : 1)} s`;
}
