// What the page-cache commands may draw: pictures, progress and color only on a terminal,
// and color only when NO_COLOR is unset or empty (https://no-color.org).

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

export const plainStyle: Style = { bold: (t) => t, dim: (t) => t, green: (t) => t, yellow: (t) => t, cyan: (t) => t };

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;

const colored: Style = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
};

export function isTerminal(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true;
}

/** Color for `stream`: a terminal, NO_COLOR unset or empty, and TERM not "dumb". */
export function useColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return isTerminal(stream) && !env.NO_COLOR && env.TERM !== "dumb";
}

export function styleFor(stream: NodeJS.WriteStream): Style {
  return useColor(stream) ? colored : plainStyle;
}

/** Width of the terminal behind `stream`, or `fallback` when it is not one. */
export function columnsOf(stream: NodeJS.WriteStream, fallback = 80): number {
  return isTerminal(stream) && stream.columns > 0 ? stream.columns : fallback;
}

/** Visible length of a string that may hold SGR escapes. */
export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "").length;
}
