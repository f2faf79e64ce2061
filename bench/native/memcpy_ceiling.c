/*
 * memcpy_ceiling FILE OFFSETS [SIZE]: the machine's ceiling for random reads from a
 * memory-mapped file. Maps FILE read-only (private, like mmap-wasi's "ro"), loads the
 * offsets (little-endian u64, as bench/lib/common.mjs writes them), copies SIZE bytes
 * (default 4096) from each offset into one buffer once untimed (every page faulted in),
 * then once timed with clock_gettime. Prints one line of JSON: ops, ns, opsPerSec.
 * Built by the bench harness with the system `cc -O2`.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"

/* One pass of copies; the returned byte sum keeps the compiler from dropping them. */
static uint64_t pass(const uint8_t *base, const uint64_t *offsets, size_t count, uint8_t *dst, size_t size) {
  uint64_t sink = 0;
  for (size_t i = 0; i < count; i++) {
    memcpy(dst, base + offsets[i], size);
    __asm__ volatile("" : : "r"(dst) : "memory");
    sink += dst[0];
  }
  return sink;
}

int main(int argc, char **argv) {
  if (argc < 3) { fputs("usage: memcpy_ceiling FILE OFFSETS [SIZE]\n", stderr); return 2; }
  size_t size = argc > 3 ? (size_t)strtoull(argv[3], NULL, 10) : 4096;
  size_t count = 0;
  uint64_t *offsets = load_offsets(argv[2], &count);
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) { perror(argv[1]); return 1; }
  struct stat st;
  if (fstat(fd, &st) != 0) { perror("fstat"); return 1; }
  const uint8_t *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (base == MAP_FAILED) { perror("mmap"); return 1; }
  close(fd);
  for (size_t i = 0; i < count; i++) {
    if (offsets[i] + size > (uint64_t)st.st_size) { fputs("offset out of range\n", stderr); return 1; }
  }
  static uint8_t dst[1 << 20] __attribute__((aligned(64)));
  if (size > sizeof dst) { fputs("size too large\n", stderr); return 1; }

  uint64_t sink = pass(base, offsets, count, dst, size); /* warm-up: faults every page in */
  uint64_t start = now_ns();
  sink += pass(base, offsets, count, dst, size);
  uint64_t ns = now_ns() - start;
  printf("{\"ops\":%zu,\"ns\":%" PRIu64 ",\"opsPerSec\":%.1f,\"sink\":%" PRIu64 "}\n", count, ns,
         (double)count * 1e9 / (double)ns, sink);
  munmap((void *)base, (size_t)st.st_size);
  free(offsets);
  return 0;
}
