// A one-line progress bar on stderr, drawn only when stderr is a terminal (piped output
// stays free of it and of escapes). Redrawn at most ten times a second.
import { formatBytes } from "./sizes.js";
import { columnsOf, isTerminal, styleFor, type Style } from "./terminal.js";

const REDRAW_MS = 100;
const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #style: Style;
  readonly #total: number;
  readonly #start = performance.now();
  readonly #enabled: boolean;
  #drawnAt = -Infinity;
  #drawn = false;

  /** `total`: bytes the whole job covers. */
  constructor(total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#total = total;
    this.#enabled = isTerminal(stream);
    this.#style = styleFor(stream);
  }

  /** Shows `done` bytes of the total, working on `label`; throttled unless `force`. */
  update(done: number, label: string, force = false): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (!force && now - this.#drawnAt < REDRAW_MS) return;
    this.#drawnAt = now;
    this.#drawn = true;
    const fraction = this.#total > 0 ? Math.min(1, done / this.#total) : 1;
    const seconds = (now - this.#start) / 1000;
    const rate = seconds > 0 ? `${formatBytes(done / seconds)}/s` : "";
    const figures = `${(fraction * 100).toFixed(0).padStart(3)}%  ${formatBytes(done)} / ${formatBytes(this.#total)}  ${rate}`;
    const columns = columnsOf(this.#stream);
    const width = Math.max(10, Math.min(40, columns - figures.length - 20));
    const cells = fraction * width;
    const full = Math.floor(cells);
    const bar = "█".repeat(full) + (full < width ? EIGHTHS[Math.floor((cells - full) * 8)]! : "");
    const room = columns - width - figures.length - 6;
    const name = room <= 3 ? "" : label.length <= room ? label : `…${label.slice(label.length - room + 1)}`;
    const line = `${this.#style.cyan(bar.padEnd(width, " "))}│ ${figures}  ${this.#style.dim(name)}`;
    this.#stream.write(`\r│${line}\x1b[K`);
  }

  /** Removes the bar, leaving the cursor at the start of an empty line. */
  clear(): void {
    if (this.#drawn) this.#stream.write("\r\x1b[K");
    this.#drawn = false;
  }
}
