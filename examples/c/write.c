/*
 * write PATH: creates PATH (4096 bytes), writes to it, grows it to 8192 bytes,
 * writes near the new end, makes it durable and prints the length read back. The Rust
 * and AssemblyScript versions print the same bytes and leave the same file.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../sdk/c/mmap_wasi.h"

static const char greeting[] = "hello, mapped world\n";
static const char tail[] = "tail\n";

static int fail(const char *function, mmap_wasi_errno_t error) {
  fprintf(stderr, "error: %s failed: errno %" PRId32 " (%s)\n", function, error,
          mmap_wasi_errno_name(error));
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fputs("usage: write PATH\n", stderr);
    return 2;
  }
  const char *path = argv[1];

  mmap_wasi_handle_t file;
  mmap_wasi_errno_t error = mmap_wasi_create(path, (uint32_t)strlen(path), 4096, &file);
  if (error) return fail("create", error);

  const char *failed = NULL;
  uint64_t length = 0;

  /* sizeof - 1: the NUL terminator is not part of the file's contents. */
  if ((error = mmap_wasi_write(file, 0, greeting, sizeof greeting - 1))) {
    failed = "write";
  } else if ((error = mmap_wasi_resize(file, 8192))) {
    failed = "resize";
  } else if ((error = mmap_wasi_write(file, 8000, tail, sizeof tail - 1))) {
    failed = "write";
  } else if ((error = mmap_wasi_flush(file, 0, 8192))) {
    failed = "flush";
  } else if ((error = mmap_wasi_len(file, &length))) {
    failed = "len";
  }

  if (failed) {
    mmap_wasi_close(file); /* best effort: the first error is the one reported */
    return fail(failed, error);
  }
  if ((error = mmap_wasi_close(file))) return fail("close", error);

  printf("wrote %" PRIu64 " bytes\n", length);
  return 0;
}
