// The built addons speak Node-API only: no binary refers to V8's C++ API, so one build per
// platform loads in every Node major, in Bun and in Deno. Reads the local build and the
// prebuilds (`npm run prebuilds`); missing prebuilds skip with the reason (fail under CI).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { missingPrerequisite } from "./helpers.js";

const nativeDir = fileURLToPath(new URL("../native/", import.meta.url));
const prebuilds: Record<string, string> = {
  "linux-x64": "linux-x64/mmap-wasi.napi.glibc.node",
  "linux-arm64": "linux-arm64/mmap-wasi.napi.glibc.node",
  "win32-x64": "win32-x64/mmap-wasi.napi.node",
};

/**
 * What a built addon imports: an ELF file's undefined dynamic symbols (nm -D); for a PE
 * file every name in it, since node.exe's functions are delay-imported and objdump does
 * not list delay imports (each imported name is in the file as a string).
 */
function importedSymbols(file: string): string[] {
  const bytes = fs.readFileSync(file);
  if (bytes.subarray(0, 2).toString("latin1") === "MZ") return bytes.toString("latin1").match(/[\x21-\x7e]{4,}/g) ?? [];
  const result = spawnSync("nm", ["-D", "--undefined-only", file], { encoding: "utf8" });
  if (result.error || result.status !== 0) {
    throw new Error(`nm -D --undefined-only ${file} failed: ${result.error?.message ?? result.stderr}`);
  }
  return result.stdout.split("\n");
}

function assertNoV8(file: string): void {
  const symbols = importedSymbols(file);
  assert.ok(symbols.some((line) => /napi_create_/.test(line)), `${file}: no napi_create_ function among its imports, so the check saw nothing`);
  const v8 = symbols.filter((line) => line.includes("_ZN2v8") || /@v8@@/.test(line));
  assert.deepEqual(v8, [], `${file} uses V8's C++ API`);
}

describe("prebuilds: Node-API only", function () {
  it("the local build (native/build/Release) has no V8 symbol", function () {
    const file = path.join(nativeDir, "build", "Release", "mmap_wasi.node");
    if (!fs.existsSync(file)) missingPrerequisite(this, `${file} is not built (npm install builds it)`);
    if (process.platform !== "linux") missingPrerequisite(this, "the check reads ELF symbols (nm -D): Linux only");
    assertNoV8(file);
  });

  for (const [target, relative] of Object.entries(prebuilds)) {
    it(`${target}: ${relative} exists and has no V8 symbol`, function () {
      const file = path.join(nativeDir, "prebuilds", relative);
      if (!fs.existsSync(file)) missingPrerequisite(this, `${file} is not built (npm run prebuilds)`);
      assertNoV8(file);
    });
  }
});
