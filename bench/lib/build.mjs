// Builds the native and WebAssembly programs the cases need into build/bench/, once per
// run: the C ceiling with the system `cc -O2`, the C guest with clang for wasm32-wasi
// (TOOLCHAIN.md: Debian's clang lld wasi-libc libclang-rt-14-dev-wasm32).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO } from "./common.mjs";

export const BUILD_DIR = path.join(REPO, "build/bench");
const built = new Map();

function once(name, make) {
  if (!built.has(name)) built.set(name, make());
  return built.get(name);
}

function compile(compiler, args) {
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  try {
    execFileSync(compiler, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const output = `${error.stdout ?? ""}${error.stderr ?? ""}`.trim();
    throw new Error(`${compiler} ${args.join(" ")} failed: ${output || error.message}`);
  }
}

/** build/bench/memcpy_ceiling: random memcpy from a mapping, in C. */
export function memcpyCeiling() {
  return once("memcpy_ceiling", () => {
    const output = path.join(BUILD_DIR, "memcpy_ceiling");
    compile("cc", ["-O2", "-Wall", "-o", output, "bench/native/memcpy_ceiling.c"]);
    return output;
  });
}

const GUEST_FLAGS = ["--target=wasm32-wasi", "-O2", "-mbulk-memory", "-Wall", "-Wextra", "-Wl,--strip-debug", "-Isdk/c"];

/** build/bench/bench_guest.wasm: the C guest for the guest cases. */
export function benchGuest() {
  return once("bench_guest", () => {
    const output = path.join(BUILD_DIR, "bench_guest.wasm");
    compile(process.env.CLANG ?? "clang", [...GUEST_FLAGS, "-o", output, "bench/guest/bench_guest.c"]);
    return output;
  });
}

/** build/bench/bench_guest_emulated.wasm: the same guest with wasi-libc's emulated mmap. */
export function benchGuestEmulated() {
  return once("bench_guest_emulated", () => {
    const output = path.join(BUILD_DIR, "bench_guest_emulated.wasm");
    compile(process.env.CLANG ?? "clang", [
      ...GUEST_FLAGS, "-D_WASI_EMULATED_MMAN", "-o", output, "bench/guest/bench_guest.c", "-lwasi-emulated-mman",
    ]);
    return output;
  });
}

/** build/bench/reference: kernel-and-libc-only reference timings (sequential copies, mmap). */
export function reference() {
  return once("reference", () => {
    const output = path.join(BUILD_DIR, "reference");
    compile("cc", ["-O2", "-Wall", "-o", output, "bench/native/reference.c"]);
    return output;
  });
}
