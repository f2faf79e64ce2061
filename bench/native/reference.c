/*
 * reference MODE FILE [ARG]: what the kernel and libc alone cost on this machine, for the
 * explanations in BENCHMARKS.md. Prints one line of JSON. Built by the bench harness
 * with the system `cc -O2`.
 *
 *   seq-mmap  FILE CHUNK   open, mmap (private, like mmap-wasi's "ro"), memcpy the whole
 *                          file in CHUNK-byte pieces into one buffer, munmap, close
 *   seq-pread FILE CHUNK   open, pread the whole file in CHUNK-byte pieces, close
 *   open-map-close FILE N  N times: open, fstat, mmap the whole file, munmap, close
 *   sum-mmap  FILE CHUNK   open, mmap, a scalar 32-bit word sum over the mapping, CHUNK
 *                          bytes at a time, munmap, close (as checksum-1g-node does in JS)
 *   sum-pread FILE CHUNK   the same sum over CHUNK-byte preads into one buffer
 *   sum-mmap-again FILE CHUNK  sum-mmap, then a second pass over the same mapping before
 *                          munmap (its pages mapped: the sum alone), timed apart as againNs
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

#define MAX_CHUNK (1 << 20)

static uint8_t buffer[MAX_CHUNK] __attribute__((aligned(64)));

static int open_file(const char *path, off_t *size) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) { perror(path); exit(1); }
  *size = st.st_size;
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 3) { fputs("usage: reference MODE FILE [ARG]\n", stderr); return 2; }
  const char *mode = argv[1], *path = argv[2];
  long arg = argc > 3 ? strtol(argv[3], NULL, 10) : MAX_CHUNK;
  uint64_t sink = 0;
  off_t size = 0;
  if (!strcmp(mode, "seq-mmap") || !strcmp(mode, "seq-pread")) {
    if (arg <= 0 || arg > MAX_CHUNK) { fputs("bad chunk\n", stderr); return 2; }
    size_t chunk = (size_t)arg;
    uint64_t start = now_ns();
    int fd = open_file(path, &size);
    if (mode[4] == 'm') {
      const uint8_t *data = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
      if (data == MAP_FAILED) { perror("mmap"); return 1; }
      for (off_t at = 0; at < size; at += (off_t)chunk) {
        size_t n = (size_t)(size - at) < chunk ? (size_t)(size - at) : chunk;
        memcpy(buffer, data + at, n);
        __asm__ volatile("" : : "r"(buffer) : "memory");
        sink += buffer[0];
      }
      munmap((void *)data, (size_t)size);
    } else {
      for (off_t at = 0; at < size;) {
        ssize_t got = pread(fd, buffer, chunk, at);
        if (got <= 0) { perror("pread"); return 1; }
        sink += buffer[0];
        at += got;
      }
    }
    close(fd);
    uint64_t ns = now_ns() - start;
    printf("{\"bytes\":%lld,\"ns\":%" PRIu64 ",\"sink\":%" PRIu64 "}\n", (long long)size, ns, sink);
    return 0;
  }
  if (!strcmp(mode, "sum-mmap") || !strcmp(mode, "sum-pread") || !strcmp(mode, "sum-mmap-again")) {
    if (arg <= 0 || arg > MAX_CHUNK || arg % 4) { fputs("bad chunk\n", stderr); return 2; }
    size_t chunk = (size_t)arg;
    uint32_t sum = 0, again = 0;
    uint64_t again_ns = 0;
    uint64_t start = now_ns();
    int fd = open_file(path, &size);
    if (mode[4] == 'm') {
      const uint8_t *data = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
      if (data == MAP_FAILED) { perror("mmap"); return 1; }
      for (off_t at = 0; at + (off_t)chunk <= size; at += (off_t)chunk) sum = word_sum((const uint32_t *)(data + at), chunk / 4, sum);
      if (mode[8] == '-') {
        uint64_t again_start = now_ns();
        for (off_t at = 0; at + (off_t)chunk <= size; at += (off_t)chunk) again = word_sum((const uint32_t *)(data + at), chunk / 4, again);
        again_ns = now_ns() - again_start;
        if (again != sum) { fputs("the second pass summed differently\n", stderr); return 1; }
      }
      munmap((void *)data, (size_t)size);
    } else {
      for (off_t at = 0; at + (off_t)chunk <= size; at += (off_t)chunk) {
        if (pread(fd, buffer, chunk, at) != (ssize_t)chunk) { perror("pread"); return 1; }
        sum = word_sum((const uint32_t *)buffer, chunk / 4, sum);
      }
    }
    close(fd);
    uint64_t ns = now_ns() - start - again_ns;
    printf("{\"bytes\":%lld,\"ns\":%" PRIu64 ",\"againNs\":%" PRIu64 ",\"sum\":%u}\n", (long long)size, ns, again_ns, sum);
    return 0;
  }
  if (!strcmp(mode, "open-map-close")) {
    uint64_t start = now_ns();
    for (long i = 0; i < arg; i++) {
      int fd = open_file(path, &size);
      void *data = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
      if (data == MAP_FAILED) { perror("mmap"); return 1; }
      munmap(data, (size_t)size);
      close(fd);
    }
    uint64_t ns = now_ns() - start;
    printf("{\"count\":%ld,\"ns\":%" PRIu64 "}\n", arg, ns);
    return 0;
  }
  fprintf(stderr, "reference: unknown mode %s\n", mode);
  return 2;
}
