/*
 * checksum PATH: maps PATH read-only, prefetches it, and prints the FNV-1a 64-bit
 * hash of its bytes and its length. The Rust and AssemblyScript versions print the
 * same bytes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../sdk/c/mmap_wasi.h"

#define CHUNK_SIZE (1024 * 1024)

/* Static, so the 1 MiB buffer costs no stack and no malloc. */
static uint8_t chunk[CHUNK_SIZE];

static int fail(const char *function, mmap_wasi_errno_t error) {
  fprintf(stderr, "error: %s failed: errno %" PRId32 " (%s)\n", function, error,
          mmap_wasi_errno_name(error));
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fputs("usage: checksum PATH\n", stderr);
    return 2;
  }
  const char *path = argv[1];

  mmap_wasi_handle_t file;
  mmap_wasi_errno_t error = mmap_wasi_open(path, (uint32_t)strlen(path), MMAP_WASI_RO, &file);
  if (error) return fail("open", error);

  const char *failed = NULL;
  uint64_t length = 0;
  uint64_t hash = UINT64_C(0xcbf29ce484222325); /* FNV-1a 64 offset basis */

  if ((error = mmap_wasi_len(file, &length))) {
    failed = "len";
  } else if ((error = mmap_wasi_advise(file, 0, length, MMAP_WASI_ADVICE_WILLNEED))) {
    failed = "advise";
  } else if ((error = mmap_wasi_advise(file, 0, length, MMAP_WASI_ADVICE_SEQUENTIAL))) {
    failed = "advise";
  } else {
    for (uint64_t offset = 0; offset < length;) {
      uint64_t left = length - offset;
      uint32_t n = left < CHUNK_SIZE ? (uint32_t)left : CHUNK_SIZE;
      if ((error = mmap_wasi_read(file, offset, chunk, n))) {
        failed = "read";
        break;
      }
      for (uint32_t i = 0; i < n; i++) {
        hash ^= chunk[i];
        hash *= UINT64_C(0x100000001b3); /* FNV-1a 64 prime */
      }
      offset += n;
    }
  }

  if (failed) {
    mmap_wasi_close(file); /* best effort: the first error is the one reported */
    return fail(failed, error);
  }
  if ((error = mmap_wasi_close(file))) return fail("close", error);

  printf("checksum %016" PRIx64 " bytes %" PRIu64 "\n", hash, length);
  return 0;
}
