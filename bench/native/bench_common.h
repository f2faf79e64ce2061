/*
 * What the bench's C programs share, native and wasm32-wasi alike: a monotonic clock,
 * and the offsets file that bench/lib/common.mjs writes (little-endian u64s).
 * Included by bench/native/memcpy_ceiling.c, bench/native/reference.c and
 * bench/guest/bench_guest.c.
 */
#ifndef MMAP_WASI_BENCH_COMMON_H
#define MMAP_WASI_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Reads the whole offsets file; exits the program if it cannot. */
static inline uint64_t *load_offsets(const char *path, size_t *count) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(1); }
  fseek(f, 0, SEEK_END);
  long bytes = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint64_t *offsets = malloc((size_t)bytes);
  if (!offsets || fread(offsets, 1, (size_t)bytes, f) != (size_t)bytes) { perror("read offsets"); exit(1); }
  fclose(f);
  *count = (size_t)bytes / sizeof(uint64_t);
  return offsets;
}

#endif
