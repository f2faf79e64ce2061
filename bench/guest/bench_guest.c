/*
 * bench_guest MODE ARGS...: the C guest behind the guest cases of `npm run bench`.
 * It times itself with clock_gettime (inside WASI), so only the guest's own work counts,
 * not the harness, and prints one line "RESULT {json}".
 *
 *   random-mmap  FILE OFFSETS [SIZE]  SIZE-byte reads at each offset with mmap_wasi_read
 *   random-pread FILE OFFSETS [SIZE]  the same with pread (WASI fd_pread)
 *       Offsets: little-endian u64s. One untimed pass first (pages faulted in, code warm),
 *       then one timed pass.
 *   random-map   FILE OFFSETS [SIZE]  the same through a guest mapping of the whole file
 *       (mmap_wasi_map): a memcpy into the buffer; SIZE 8 is one 8-byte load instead.
 *   seq-mmap  FILE CHUNK   open, read the whole file in CHUNK-byte mmap_wasi_reads, close
 *   seq-pread FILE CHUNK   open, read the whole file in CHUNK-byte preads, close
 *   first4k-mmap     FILE N  N times: open, read the first 4 KiB, close (each timed)
 *   first4k-map      FILE N  N times: open, map the whole file (mmap_wasi_map), copy the
 *                            first 4 KiB, unmap, close (each timed)
 *   sum-map FILE CHUNK     open, map the whole file, word_sum (bench_common.h) CHUNK bytes
 *                          at a time, unmap, close: reference.c's sum-mmap-again in a
 *                          guest, with the same second pass before unmap, timed apart as
 *                          againNs. Prints the mapping's address: the host places it where
 *                          address and file offset agree modulo 2 MiB, as a native mmap's.
 *   grow-first FILE        once, as the guest's first act: grow its memory by FILE's size
 *                          (memory.grow), as a first mmap_wasi_map of the whole file must
 *   first4k-emulated FILE    once: open, mmap (wasi-libc's emulation), copy the first
 *                            4 KiB, munmap, close; only in the -D_WASI_EMULATED_MMAN build
 *
 * Built by bench/lib/build.mjs: clang --target=wasm32-wasi -O2 -mbulk-memory (memcpy is
 * then the engine's memory.copy, not wasi-libc's byte-and-word loop), twice (the second
 * build with -D_WASI_EMULATED_MMAN -lwasi-emulated-mman).
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

/* Opens `path` read-only and maps the whole file; the handle is closed again (the
 * mapping outlives it). Writes the mapping's address and length and returns 0, or
 * prints the failure and returns 1. */
static int map_whole(const char *path, const uint8_t **data, uint64_t *length) {
  mmap_wasi_handle_t file;
  uint32_t addr = 0;
  int error = mmap_wasi_open(path, (uint32_t)strlen(path), MMAP_WASI_RO, &file);
  if (error) return fail("mmap_wasi_open", error);
  if ((error = mmap_wasi_len(file, length))) return fail("mmap_wasi_len", error);
  if ((error = mmap_wasi_map(file, 0, *length, MMAP_WASI_PROT_READ, &addr))) return fail("mmap_wasi_map", error);
  if ((error = mmap_wasi_close(file))) return fail("mmap_wasi_close", error);
  *data = (const uint8_t *)(uintptr_t)addr;
  return 0;
}

static int random_map(const char *path, const uint64_t *offsets, size_t count, uint32_t size) {
  const uint8_t *data;
  uint64_t length, sink = 0, ns = 0;
  if (map_whole(path, &data, &length)) return 1;
  for (size_t i = 0; i < count; i++) {
    if (offsets[i] + size > length) return fail("offset", MMAP_WASI_ERRNO_RANGE);
  }
  for (int timed = 0; timed < 2; timed++) {
    uint64_t start = now_ns();
    if (size == 8) {
      for (size_t i = 0; i < count; i++) {
        uint64_t word;
        memcpy(&word, data + offsets[i], 8); /* one i64.load */
        sink += word;
      }
    } else {
      for (size_t i = 0; i < count; i++) {
        memcpy(buffer, data + offsets[i], size);
        __asm__ volatile("" : : "r"(buffer) : "memory");
        sink += buffer[0];
      }
    }
    ns = now_ns() - start;
  }
  int error = mmap_wasi_unmap((uint32_t)(uintptr_t)data, length);
  if (error) return fail("mmap_wasi_unmap", error);
  printf("RESULT {\"ops\":%zu,\"ns\":%" PRIu64 ",\"sink\":%" PRIu64 ",\"mapKind\":%d}\n", count, ns, sink,
         mmap_wasi_map_kind());
  return 0;
}

static int sum_map(const char *path, uint32_t chunk) {
  const uint8_t *data;
  uint64_t length;
  uint32_t sum = 0, again = 0;
  uint64_t start = now_ns();
  if (map_whole(path, &data, &length)) return 1;
  for (uint64_t at = 0; at + chunk <= length; at += chunk) sum = word_sum((const uint32_t *)(data + at), chunk / 4, sum);
  uint64_t again_start = now_ns();
  for (uint64_t at = 0; at + chunk <= length; at += chunk) again = word_sum((const uint32_t *)(data + at), chunk / 4, again);
  uint64_t again_ns = now_ns() - again_start;
  if (again != sum) return fail("the second pass", MMAP_WASI_ERRNO_IO);
  int error = mmap_wasi_unmap((uint32_t)(uintptr_t)data, length);
  if (error) return fail("mmap_wasi_unmap", error);
  uint64_t ns = now_ns() - start - again_ns;
  printf("RESULT {\"bytes\":%" PRIu64 ",\"ns\":%" PRIu64 ",\"againNs\":%" PRIu64 ",\"sum\":%u,\"mapKind\":%d,\"addr\":%" PRIuPTR "}\n",
         length, ns, again_ns, sum, mmap_wasi_map_kind(), (uintptr_t)data);
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

static int first4k_map(const char *path, int times) {
  uint64_t sink = 0;
  printf("RESULT {\"ns\":[");
  for (int i = 0; i < times; i++) {
    uint64_t start = now_ns(), length;
    const uint8_t *data;
    if (map_whole(path, &data, &length)) return 1;
    memcpy(buffer, data, 4096);
    sink += buffer[4095];
    int error = mmap_wasi_unmap((uint32_t)(uintptr_t)data, length);
    if (error) return fail("mmap_wasi_unmap", error);
    printf("%s%" PRIu64, i ? "," : "", now_ns() - start);
  }
  printf("],\"sink\":%" PRIu64 ",\"mapKind\":%d}\n", sink, mmap_wasi_map_kind());
  return 0;
}

static int grow_first(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) { perror(path); return 1; }
  size_t pages = ((size_t)st.st_size + 65535) / 65536;
  uint64_t start = now_ns();
  size_t old = __builtin_wasm_memory_grow(0, pages);
  uint64_t ns = now_ns() - start;
  if (old == (size_t)-1) return fail("memory.grow", MMAP_WASI_ERRNO_NOMEM);
  printf("RESULT {\"ns\":[%" PRIu64 "],\"pages\":%zu}\n", ns, pages);
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
  if (!strcmp(mode, "random-mmap") || !strcmp(mode, "random-pread") || !strcmp(mode, "random-map")) {
    if (argc < 4) return fail("usage: OFFSETS missing", 28);
    uint32_t size = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 4096;
    if (size == 0 || size > MAX_CHUNK) return fail("size", 28);
    size_t count = 0;
    uint64_t *offsets = load_offsets(argv[3], &count);
    if (!strcmp(mode, "random-map")) return random_map(path, offsets, count, size);
    return mode[7] == 'm' ? random_mmap(path, offsets, count, size) : random_pread(path, offsets, count, size);
  }
  if (!strcmp(mode, "seq-mmap") || !strcmp(mode, "seq-pread")) {
    uint32_t chunk = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : MAX_CHUNK;
    if (chunk == 0 || chunk > MAX_CHUNK) return fail("chunk", 28);
    return mode[4] == 'm' ? seq_mmap(path, chunk) : seq_pread(path, chunk);
  }
  if (!strcmp(mode, "first4k-mmap")) return first4k_mmap(path, argc > 3 ? atoi(argv[3]) : 1);
  if (!strcmp(mode, "first4k-map")) return first4k_map(path, argc > 3 ? atoi(argv[3]) : 1);
  if (!strcmp(mode, "sum-map")) {
    uint32_t chunk = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : MAX_CHUNK;
    if (chunk == 0 || chunk % 4) return fail("chunk", 28);
    return sum_map(path, chunk);
  }
  if (!strcmp(mode, "grow-first")) return grow_first(path);
  if (!strcmp(mode, "first4k-emulated")) return first4k_emulated(path);
  fprintf(stderr, "bench_guest: unknown mode %s\n", mode);
  return 2;
}
