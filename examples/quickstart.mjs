// Quick start: create a file, write to it through a mapping, make it durable, prefetch
// it, and read it back zero-copy. Run from the repository root after `npm install`:
//   node examples/quickstart.mjs
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MemoryMappedFile, MmapAdvice, MmapError } from "../build/lib/index.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mmap-wasi-quickstart-"));
const file = path.join(dir, "data.bin");

try {
  // 1 MiB, zero-filled, mapped read-write: writes reach the file.
  const rw = MemoryMappedFile.createRw(file, 1024 * 1024);
  try {
    rw.write(4096, new TextEncoder().encode("hello, mapped world"));
    rw.flush(); // msync(MS_SYNC): durable when it returns
    console.log(`wrote ${rw.length} bytes to ${rw.path} (mode ${rw.mode})`);
  } finally {
    rw.close();
  }

  // Map it again read-only, prefetch all of it, and read without copying.
  const ro = MemoryMappedFile.openRo(file);
  try {
    ro.advise(0, ro.length, MmapAdvice.WillNeed);
    const view = ro.view(4096, 19);
    console.log(`read back: "${new TextDecoder().decode(view)}"`);
    const { residentPages, totalPages } = ro.residency();
    console.log(`resident: ${residentPages} of ${totalPages} pages`);

    try {
      ro.write(0, new Uint8Array([1]));
    } catch (error) {
      if (!(error instanceof MmapError)) throw error;
      console.log(`write to a read-only mapping refused: ${error.code}`);
    }
  } finally {
    ro.close();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
