// `mmap-wasi run`: runs a WASI command module with the mmap_wasi imports.
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { MmapGrant } from "../guest/imports.js";
import { runGuest } from "../guest/run-guest.js";
import { UsageError } from "./shared.js";

export const RUN_HELP = `Usage: mmap-wasi run [options] GUEST.wasm [--] [ARGS...]

Runs a WASI command module. The guest may map files through the mmap_wasi imports
(docs/abi.md in the package) beneath the folders granted to it, and sees the same
folders through WASI.

Options:
  --dir HOST[::GUEST]      let the guest map files of the folder HOST read-only (ro
                           and cow mappings) at the guest path GUEST (default: HOST's
                           absolute path), and preopen it for WASI; may be repeated.
                           Under node:wasi the preopen itself is not read-only.
  --dir-rw HOST[::GUEST]   the same, read-write: rw mappings and create are allowed
  --runtime node|wasmer    node:wasi (default: real files) or @wasmer/wasi (an
                           in-memory file system; the grants still map the host's files)
  --env KEY=VALUE          an environment variable for the guest; may be repeated
  -h, --help               show this help

Arguments after GUEST.wasm (or after --) are passed to the guest. The exit code is the
guest's.

Example:
  mmap-wasi run --dir ./data::/data checksum.wasm -- /data/big.bin
`;

function grant(spec: string, access: "ro" | "rw"): MmapGrant {
  const split = spec.lastIndexOf("::");
  const host = split < 0 ? spec : spec.slice(0, split);
  const guest = split < 0 ? path.resolve(host) : spec.slice(split + 2);
  if (!host || !guest.startsWith("/")) {
    throw new UsageError(`--dir${access === "rw" ? "-rw" : ""} ${spec}: expected HOST or HOST::/GUEST (an absolute guest path)`);
  }
  return { host, guest, access };
}

function environment(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const split = pair.indexOf("=");
    if (split <= 0) throw new UsageError(`--env ${pair}: expected KEY=VALUE`);
    env[pair.slice(0, split)] = pair.slice(split + 1);
  }
  return env;
}

/** Runs the command; resolves with the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const separator = argv.indexOf("--");
  const own = separator < 0 ? argv : argv.slice(0, separator);
  const after = separator < 0 ? [] : argv.slice(separator + 1);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...own],
      allowPositionals: true,
      options: {
        dir: { type: "string", multiple: true, default: [] },
        "dir-rw": { type: "string", multiple: true, default: [] },
        runtime: { type: "string", default: "node" },
        env: { type: "string", multiple: true, default: [] },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  const [wasm, ...guestArgs] = positionals;
  if (!wasm) throw new UsageError("missing GUEST.wasm");
  const runtime = values.runtime;
  if (runtime !== "node" && runtime !== "wasmer") throw new UsageError(`--runtime must be node or wasmer, got ${runtime}`);
  const grants = [...values.dir.map((spec) => grant(spec, "ro")), ...values["dir-rw"].map((spec) => grant(spec, "rw"))];
  const { exitCode } = await runGuest(wasm, {
    args: [...guestArgs, ...after],
    programName: path.basename(wasm),
    env: environment(values.env),
    grants,
    runtime,
  });
  return exitCode;
}
