/*
 * What the bench's C programs share, native and wasm32-wasi alike: a monotonic clock,
 * the offsets file that bench/lib/common.mjs writes (little-endian u64s), and the
 * checksum loop, so that native and guest checksums run the same C code.
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

/*
 * The 32-bit sum of `count` 32-bit words, added to `sum`. Scalar on purpose: the asm
 * keeps the compiler from vectorizing it natively, as wasm32 without -msimd128 cannot
 * (and as the JavaScript loop of checksum-1g-node does not).
 */
static __attribute__((noinline, unused)) uint32_t word_sum(const uint32_t *words, size_t count, uint32_t sum) {
  for (size_t i = 0; i < count; i++) {
    sum += words[i];
    __asm__("" : "+r"(sum));
  }
  return sum;
}

#endif
