/*
 * bench_guest MODE ARGS...: the C guest behind the guest cases of `npm run bench`.
 * It times itself with clock_gettime (inside WASI), so only the guest's own work counts,
 * not the harness, and prints one line "RESULT {json}".
 *
 *   random-mmap  FILE OFFSETS [SIZE]  SIZE-byte reads at each offset with mmap_wasi_read
 *   random-pread FILE OFFSETS [SIZE]  the same with pread (WASI fd_pread)
 *       Offsets: little-endian u64s. One untimed pass first (pages faulted in, code warm),
 *       then one timed pass.
 *   seq-mmap  FILE CHUNK   open, read the whole file in CHUNK-byte mmap_wasi_reads, close
 *   seq-pread FILE CHUNK   open, read the whole file in CHUNK-byte preads, close
 *   first4k-mmap     FILE N  N times: open, read the first 4 KiB, close (each timed)
 *   first4k-emulated FILE    once: open, mmap (wasi-libc's emulation), copy the first
 *                            4 KiB, munmap, close; only in the -D_WASI_EMULATED_MMAN build
 *
 * Built by bench/lib/build.mjs: clang --target=wasm32-wasi -O2, twice (the second build
 * with -D_WASI_EMULATED_MMAN -lwasi-emulated-mman).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _WASI_EMULATED_MMAN
#include <sys/mman.h>
#endif

#include "mmap_wasi.h"
#include "../native/bench_common.h"

#define MAX_CHUNK (1024 * 1024)

/* Static, so buffers cost no stack and no malloc. */
static uint8_t buffer[MAX_CHUNK] __attribute__((aligned(64)));

static int fail(const char *what, int error) {
  fprintf(stderr, "bench_guest: %s failed: %d (%s)\n", what, error, mmap_wasi_errno_name(error));
  return 1;
}

static int random_mmap(const char *path, const uint64_t *offsets, size_t count, uint32_t size) {
  mmap_wasi_handle_t file;
  int error = mmap_wasi_open(path, (uint32_t)strlen(path), MMAP_WASI_RO, &file);
  if (error) return fail("mmap_wasi_open", error);
  uint64_t sink = 0, ns = 0;
  for (int timed = 0; timed < 2; timed++) {
    uint64_t start = now_ns();
    for (size_t i = 0; i < count; i++) {
      if ((error = mmap_wasi_read(file, offsets[i], buffer, size))) return fail("mmap_wasi_read", error);
      sink += buffer[0];
    }
    ns = now_ns() - start;
  }
  mmap_wasi_close(file);
  printf("RESULT {\"ops\":%zu,\"ns\":%" PRIu64 ",\"sink\":%" PRIu64 "}\n", count, ns, sink);
  return 0;
}

static int random_pread(const char *path, const uint64_t *offsets, size_t count, uint32_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) { perror(path); return 1; }
  uint64_t sink = 0, ns = 0;
  for (int timed = 0; timed < 2; timed++) {
    uint64_t start = now_ns();
    for (size_t i = 0; i < count; i++) {
      if (pread(fd, buffer, size, (off_t)offsets[i]) != (ssize_t)size) { perror("pread"); return 1; }
      sink += buffer[0];
    }
    ns = now_ns() - start;
  }
  close(fd);
  printf("RESULT {\"ops\":%zu,\"ns\":%" PRIu64 ",\"sink\":%" PRIu64 "}\n", count, ns, sink);
  return 0;
}

static int seq_mmap(const char *path, uint32_t chunk) {
  uint64_t start = now_ns(), length = 0, sink = 0;
  mmap_wasi_handle_t file;
  int error = mmap_wasi_open(path, (uint32_t)strlen(path), MMAP_WASI_RO, &file);
  if (error) return fail("mmap_wasi_open", error);
  if ((error = mmap_wasi_len(file, &length))) return fail("mmap_wasi_len", error);
  for (uint64_t offset = 0; offset < length;) {
    uint32_t n = length - offset < chunk ? (uint32_t)(length - offset) : chunk;
    if ((error = mmap_wasi_read(file, offset, buffer, n))) return fail("mmap_wasi_read", error);
    sink += buffer[0];
    offset += n;
  }
  if ((error = mmap_wasi_close(file))) return fail("mmap_wasi_close", error);
  uint64_t ns = now_ns() - start;
  printf("RESULT {\"bytes\":%" PRIu64 ",\"ns\":%" PRIu64 ",\"sink\":%" PRIu64 "}\n", length, ns, sink);
  return 0;
}

static int seq_pread(const char *path, uint32_t chunk) {
  uint64_t start = now_ns(), sink = 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) { perror(path); return 1; }
  struct stat st;
  if (fstat(fd, &st) != 0) { perror("fstat"); return 1; }
  uint64_t length = (uint64_t)st.st_size;
  for (uint64_t offset = 0; offset < length;) {
    uint32_t n = length - offset < chunk ? (uint32_t)(length - offset) : chunk;
    ssize_t got = pread(fd, buffer, n, (off_t)offset);
    if (got <= 0) { perror("pread"); return 1; }
    sink += buffer[0];
    offset += (uint64_t)got;
  }
  close(fd);
  uint64_t ns = now_ns() - start;
  printf("RESULT {\"bytes\":%" PRIu64 ",\"ns\":%" PRIu64 ",\"sink\":%" PRIu64 "}\n", length, ns, sink);
  return 0;
}

static int first4k_mmap(const char *path, int times) {
  uint64_t sink = 0;
  printf("RESULT {\"ns\":[");
  for (int i = 0; i < times; i++) {
    uint64_t start = now_ns();
    mmap_wasi_handle_t file;
    int error = mmap_wasi_open(path, (uint32_t)strlen(path), MMAP_WASI_RO, &file);
    if (error) return fail("mmap_wasi_open", error);
    if ((error = mmap_wasi_read(file, 0, buffer, 4096))) return fail("mmap_wasi_read", error);
    sink += buffer[4095];
    if ((error = mmap_wasi_close(file))) return fail("mmap_wasi_close", error);
    printf("%s%" PRIu64, i ? "," : "", now_ns() - start);
  }
  printf("],\"sink\":%" PRIu64 "}\n", sink);
  return 0;
}

static int first4k_emulated(const char *path) {
#ifdef _WASI_EMULATED_MMAN
  uint64_t start = now_ns();
  int fd = open(path, O_RDONLY);
  if (fd < 0) { perror(path); return 1; }
  struct stat st;
  if (fstat(fd, &st) != 0) { perror("fstat"); return 1; }
  const uint8_t *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (data == MAP_FAILED) { perror("mmap"); return 1; }
  memcpy(buffer, data, 4096);
  munmap((void *)data, (size_t)st.st_size);
  close(fd);
  uint64_t ns = now_ns() - start;
  printf("RESULT {\"ns\":[%" PRIu64 "],\"sink\":%u}\n", ns, buffer[4095]);
  return 0;
#else
  (void)path;
  fputs("bench_guest: first4k-emulated needs the -D_WASI_EMULATED_MMAN build\n", stderr);
  return 2;
#endif
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fputs("usage: bench_guest MODE FILE [ARGS...] (see the comment at the top)\n", stderr);
    return 2;
  }
  const char *mode = argv[1], *path = argv[2];
  if (!strcmp(mode, "random-mmap") || !strcmp(mode, "random-pread")) {
    if (argc < 4) return fail("usage: OFFSETS missing", 28);
    uint32_t size = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 4096;
    if (size == 0 || size > MAX_CHUNK) return fail("size", 28);
    size_t count = 0;
    uint64_t *offsets = load_offsets(argv[3], &count);
    return mode[7] == 'm' ? random_mmap(path, offsets, count, size) : random_pread(path, offsets, count, size);
  }
  if (!strcmp(mode, "seq-mmap") || !strcmp(mode, "seq-pread")) {
    uint32_t chunk = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : MAX_CHUNK;
    if (chunk == 0 || chunk > MAX_CHUNK) return fail("chunk", 28);
    return mode[4] == 'm' ? seq_mmap(path, chunk) : seq_pread(path, chunk);
  }
  if (!strcmp(mode, "first4k-mmap")) return first4k_mmap(path, argc > 3 ? atoi(argv[3]) : 1);
  if (!strcmp(mode, "first4k-emulated")) return first4k_emulated(path);
  fprintf(stderr, "bench_guest: unknown mode %s\n", mode);
  return 2;
}
