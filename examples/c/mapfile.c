/*
 * mapfile: plain POSIX mmap in a WASI guest. It includes <sys/mman.h> and <fcntl.h> and
 * nothing of mmap-wasi's own; built with -Isdk/c/include and sdk/c/mmap_wasi_mman.c, its
 * mappings are the file's pages in the guest's memory.
 *
 *   mapfile sum PATH STRIDE
 *     maps the whole file read-only and adds up the byte at every STRIDE-th offset,
 *     touching only those pages; prints "sum S touched N".
 *   mapfile store PATH OFFSET TEXT sync|nosync
 *     maps the file MAP_SHARED read-write and copies TEXT to OFFSET with plain stores,
 *     then msync(MS_SYNC)s it if asked. Prints "stored" or "synced", then whether a
 *     pread() of the file through another descriptor sees TEXT ("file has it" or "file
 *     lacks it"), then waits for standard input to close before unmapping.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int usage(void) {
  fputs("usage: mapfile sum PATH STRIDE\n"
        "       mapfile store PATH OFFSET TEXT sync|nosync\n", stderr);
  return 2;
}

static int sum(const char *path, size_t stride) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) { perror("open"); return 1; }
  struct stat st;
  if (fstat(fd, &st) != 0) { perror("fstat"); return 1; }
  const unsigned char *bytes = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  if (bytes == MAP_FAILED) { perror("mmap"); return 1; }
  close(fd); /* the mapping outlives the descriptor */
  unsigned long long total = 0, touched = 0;
  for (size_t at = 0; at < (size_t)st.st_size; at += stride, touched++) total += bytes[at];
  printf("sum %llu touched %llu\n", total, touched);
  if (munmap((void *)bytes, (size_t)st.st_size) != 0) { perror("munmap"); return 1; }
  return 0;
}

static int store(const char *path, off_t offset, const char *text, int sync) {
  size_t len = strlen(text);
  int fd = open(path, O_RDWR);
  if (fd < 0) { perror("open"); return 1; }
  char *bytes = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
  if (bytes == MAP_FAILED) { perror("mmap"); return 1; }
  memcpy(bytes, text, len);
  if (sync && msync(bytes, len, MS_SYNC) != 0) { perror("msync"); return 1; }
  puts(sync ? "synced" : "stored");

  int reader = open(path, O_RDONLY);
  char *seen = malloc(len);
  if (reader < 0 || !seen) { perror("open"); return 1; }
  ssize_t got = pread(reader, seen, len, offset);
  puts(got == (ssize_t)len && memcmp(seen, text, len) == 0 ? "file has it" : "file lacks it");
  fflush(stdout);

  while (getchar() != EOF) continue;
  if (munmap(bytes, len) != 0) { perror("munmap"); return 1; }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "sum") == 0) {
    long stride = atol(argv[3]);
    return stride > 0 ? sum(argv[2], (size_t)stride) : usage();
  }
  if (argc == 6 && strcmp(argv[1], "store") == 0) {
    int sync = strcmp(argv[5], "sync") == 0;
    if (!sync && strcmp(argv[5], "nosync") != 0) return usage();
    return store(argv[2], (off_t)atoll(argv[3]), argv[4], sync);
  }
  return usage();
}
