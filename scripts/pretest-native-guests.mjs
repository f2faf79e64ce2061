#!/usr/bin/env node
// npm test's last build step: the C, Rust and SQLite guests (examples/build-native-guests.sh
// --if-available), where the machine has their toolchain, so that `npm test` runs the
// tests that need them. Without the toolchain, or without bash (Windows), it says so and
// the tests that need the guests are skipped with their reason.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const script = join(dirname(dirname(fileURLToPath(import.meta.url))), "examples", "build-native-guests.sh");
const run = process.platform === "win32" ? { error: new Error("the build script needs bash") } : spawnSync("bash", [script, "--if-available"], { stdio: "inherit" });
if (run.error) {
  console.error(`pretest: C, Rust and SQLite guests not built (${run.error.message}); the tests that need them will be skipped.`);
  process.exit(process.env.CI ? 1 : 0);
}
process.exit(run.status ?? 1);
