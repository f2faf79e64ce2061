/*
 * posix_mman PATH: the rules of sdk/c's POSIX mmap library, from inside a guest. PATH is
 * a file of at least three pages whose byte i is (i * 7) & 0xff, in a directory the guest
 * may write. Prints one line per check, "NAME: RESULT", where RESULT is "ok" or the errno's
 * macro name; the host test holds the expected table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errno_name(int error) {
  switch (error) {
#define NAME(e) case e: return #e;
    NAME(EACCES) NAME(EBADF) NAME(EINVAL) NAME(ENODEV) NAME(ENOMEM) NAME(ENOTSUP)
    NAME(ENXIO) NAME(EIO)
#undef NAME
    default: return "unknown errno";
  }
}

static void report(const char *name, int ok, const char *detail) {
  printf("%s: %s\n", name, ok ? "ok" : detail);
}

/* Reports how a call that should fail failed: the errno's name, or "succeeded". */
static void expect_failure(const char *name, int failed) {
  report(name, 0, failed ? errno_name(errno) : "succeeded");
}

static unsigned char expected_byte(size_t offset) { return (unsigned char)(offset * 7); }

static int bytes_match(const unsigned char *bytes, size_t offset, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (bytes[i] != expected_byte(offset + i)) return 0;
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fputs("usage: posix_mman PATH\n", stderr);
    return 2;
  }
  const char *path = argv[1];
  int ro = open(path, O_RDONLY);
  int rw = open(path, O_RDWR);
  struct stat st;
  if (ro < 0 || rw < 0 || fstat(ro, &st) != 0) {
    perror(path);
    return 1;
  }
  size_t size = (size_t)st.st_size;

  /* Refusals, each with its POSIX errno. */
  expect_failure("length 0", mmap(NULL, 0, PROT_READ, MAP_SHARED, ro, 0) == MAP_FAILED);
  expect_failure("neither shared nor private", mmap(NULL, 16, PROT_READ, 0, ro, 0) == MAP_FAILED);
  expect_failure("negative offset", mmap(NULL, 16, PROT_READ, MAP_SHARED, ro, -4096) == MAP_FAILED);
  expect_failure("MAP_FIXED", mmap((void *)65536, 16, PROT_READ, MAP_SHARED | MAP_FIXED, ro, 0) == MAP_FAILED);
  expect_failure("PROT_EXEC", mmap(NULL, 16, PROT_READ | PROT_EXEC, MAP_SHARED, ro, 0) == MAP_FAILED);
  expect_failure("PROT_NONE", mmap(NULL, 16, PROT_NONE, MAP_SHARED, ro, 0) == MAP_FAILED);
  expect_failure("not a descriptor", mmap(NULL, 16, PROT_READ, MAP_SHARED, 99, 0) == MAP_FAILED);
  expect_failure("shared write on a read-only descriptor",
                 mmap(NULL, 16, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED);
  expect_failure("past the end of the file", mmap(NULL, size + 1, PROT_READ, MAP_SHARED, ro, 0) == MAP_FAILED);

  /* Any offset: the pointer is to the byte at that offset. */
  size_t odd = 4096 + 123;
  const unsigned char *at_odd = mmap(NULL, 5000, PROT_READ, MAP_SHARED, ro, (off_t)odd);
  report("unaligned offset", at_odd != MAP_FAILED && bytes_match(at_odd, odd, 5000), "wrong bytes");

  /* The mapping outlives its descriptor. */
  int spare = open(path, O_RDONLY);
  const unsigned char *whole = mmap(NULL, size, PROT_READ, MAP_PRIVATE, spare, 0);
  close(spare);
  report("outlives close(fd)", whole != MAP_FAILED && bytes_match(whole, 0, size), "wrong bytes");

  /* Stores through MAP_PRIVATE stay in this mapping. */
  unsigned char *private_copy = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
  int private_ok = private_copy != MAP_FAILED;
  if (private_ok) {
    memset(private_copy, 0xee, 4096);
    unsigned char first = 0;
    private_ok = private_copy[10] == 0xee && pread(ro, &first, 1, 10) == 1 && first == expected_byte(10) &&
                 whole[10] == expected_byte(10);
  }
  report("MAP_PRIVATE stores stay private", private_ok, "a store reached the file");
  expect_failure("MADV_DONTNEED on a writable MAP_PRIVATE mapping", madvise(private_copy, 4096, MADV_DONTNEED) != 0);
  report("POSIX_MADV_DONTNEED on it, a hint: nothing dropped",
         posix_madvise(private_copy, 4096, POSIX_MADV_DONTNEED) == 0 && private_copy[10] == 0xee, "refused or dropped");

  /* Stores through MAP_SHARED reach the file: at once where the mapping is the file's
   * own pages, at msync where the host copies. */
  unsigned char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 2 * 4096);
  if (shared == MAP_FAILED) {
    perror("mmap MAP_SHARED");
    return 1;
  }
  unsigned char seen = 0;
  shared[1] = 0x5a;
  report("MAP_SHARED store, before msync", pread(ro, &seen, 1, 2 * 4096 + 1) == 1 && seen == 0x5a,
         "not in the file");
  report("msync MS_SYNC", msync(shared, 4096, MS_SYNC) == 0, errno_name(errno));
  report("MAP_SHARED store, after msync", pread(ro, &seen, 1, 2 * 4096 + 1) == 1 && seen == 0x5a,
         "not in the file");
  shared[1] = expected_byte(2 * 4096 + 1);
  report("msync MS_ASYNC", msync(shared + 100, 10, MS_ASYNC) == 0, errno_name(errno));
  report("msync of a read-only mapping", msync((void *)whole, size, MS_SYNC) == 0, errno_name(errno));
  expect_failure("msync MS_SYNC|MS_ASYNC", msync(shared, 4096, MS_SYNC | MS_ASYNC) != 0);
  expect_failure("msync past the mapping", msync(shared, 4097, MS_SYNC) != 0);

  /* Advice. */
  report("madvise MADV_WILLNEED", madvise((void *)whole, size, MADV_WILLNEED) == 0, errno_name(errno));
  report("madvise MADV_RANDOM in the middle", madvise((void *)(whole + 100), 200, MADV_RANDOM) == 0,
         errno_name(errno));
  expect_failure("madvise of unknown advice", madvise((void *)whole, size, 99) != 0);
  static unsigned char not_mapped[64];
  expect_failure("madvise outside every mapping", madvise(not_mapped, 64, MADV_NORMAL) != 0);
  errno = 0;
  int returned = posix_madvise(not_mapped, 64, POSIX_MADV_NORMAL);
  report("posix_madvise returns the error, errno untouched", returned == ENOMEM && errno == 0,
         errno_name(returned));

  /* Anonymous memory comes from the heap, zeroed and writable. */
  size_t anonymous_size = 100000;
  unsigned char *anonymous = mmap(NULL, anonymous_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int anonymous_ok = anonymous != MAP_FAILED;
  for (size_t i = 0; anonymous_ok && i < anonymous_size; i++) anonymous_ok = anonymous[i] == 0;
  if (anonymous_ok) anonymous[anonymous_size - 1] = 1;
  report("MAP_ANONYMOUS", anonymous_ok && msync(anonymous, 10, MS_SYNC) == 0 &&
                              munmap(anonymous, anonymous_size) == 0, "not zeroed or not released");

  /* munmap releases a whole mapping, or its first or last part, as SQLite does to remap
   * a grown file; the host takes the mapping back, and its range reads zeros, once none
   * of it is left. A hole in the middle cannot be made. */
  expect_failure("munmap of the middle of a mapping", munmap((void *)(whole + 4096), 4096) != 0);
  expect_failure("munmap of memory never mapped", munmap(not_mapped, 64) != 0);
  int tail_ok = munmap((void *)(whole + 2 * 4096), size - 2 * 4096) == 0 && whole[4096] == expected_byte(4096);
  report("munmap of the last part; the rest still reads", tail_ok, errno_name(errno));
  report("munmap of released pages", munmap((void *)(whole + 2 * 4096), 4096) == 0, errno_name(errno));
  expect_failure("msync of released pages", msync((void *)(whole + 2 * 4096), 4096, MS_SYNC) != 0);
  int head_ok = munmap((void *)whole, 4096) == 0 && whole[4096 + 5] == expected_byte(4096 + 5);
  report("munmap of the first part; the rest still reads", head_ok, errno_name(errno));
  int rest_ok = munmap((void *)(whole + 4096), 4096) == 0;
  for (size_t i = 0; rest_ok && i < size; i++) rest_ok = whole[i] == 0;
  report("munmap of what was left: the host took it, it reads zeros", rest_ok, "not zeros");
  report("munmap", munmap((void *)at_odd, 5000) == 0 && munmap(private_copy, size) == 0 && munmap(shared, 4096) == 0,
         errno_name(errno));
  expect_failure("munmap of a mapping released whole", munmap(shared, 4096) != 0);
  return 0;
}
