/*
 * mmap_wasi_mman.c: POSIX mmap, munmap, msync, madvise and posix_madvise for wasm32-wasi
 * guests, over mmap-wasi's guest mappings (ABI version 2: open_fd, map, unmap, sync,
 * madvise). Declared by sdk/c/include/sys/mman.h.
 *
 * A file mapping is one mmap_wasi_map() of a handle that mmap_wasi_open_fd() gives for
 * the descriptor; the handle is closed at once, since a guest mapping outlives it. The
 * host picks the address, so MAP_FIXED is refused. MAP_ANONYMOUS memory comes from the
 * guest's heap. This file keeps a table of live mappings to tell the two apart and to
 * answer POSIX's errnos for ranges that are not mapped. The table has no lock: it is for
 * guests of one thread, as wasm32-wasi (preview 1) programs are.
 *
 * wasi-libc numbers errno as WASI does, so the host's errnos are errno values already;
 * only the ones whose POSIX meaning differs for these calls are translated.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmap_wasi.h"

typedef struct {
  uintptr_t addr; /* what mmap() returned, and its length: what the host unmaps */
  size_t len;
  /* [live_start, live_end): the part munmap() has not released. A prefix or suffix may
   * go before the rest (SQLite does that to remap a grown file); the host releases the
   * whole mapping once nothing of it is live. */
  uintptr_t live_start;
  uintptr_t live_end;
  int anonymous; /* from the heap: free() releases it, and there is no file to sync */
} mapping_t;

static mapping_t *mappings;
static size_t mapping_count;
static size_t mapping_capacity;

static int remember(uintptr_t addr, size_t len, int anonymous) {
  if (mapping_count == mapping_capacity) {
    size_t capacity = mapping_capacity ? mapping_capacity * 2 : 16;
    mapping_t *grown = realloc(mappings, capacity * sizeof *grown);
    if (!grown) return 0;
    mappings = grown;
    mapping_capacity = capacity;
  }
  mappings[mapping_count++] = (mapping_t){addr, len, addr, addr + len, anonymous};
  return 1;
}

static void forget(size_t index) { mappings[index] = mappings[--mapping_count]; }

/* The mapping whose live part holds all of [addr, addr + len), or -1. */
static long mapping_holding(const void *addr, size_t len) {
  uintptr_t start = (uintptr_t)addr;
  for (size_t i = 0; i < mapping_count; i++) {
    const mapping_t *m = &mappings[i];
    if (start >= m->live_start && start <= m->live_end && len <= m->live_end - start) return (long)i;
  }
  return -1;
}

static void *fail(int error) {
  errno = error;
  return MAP_FAILED;
}

/* The host's errno from open_fd or map, as mmap(2) names the same failure. */
static int mmap_errno(mmap_wasi_errno_t error) {
  switch (error) {
    case MMAP_WASI_ERRNO_RANGE: return ENXIO;        /* past the end of the file */
    case MMAP_WASI_ERRNO_NOTSUP: return ENODEV;      /* the host cannot see this file */
    case MMAP_WASI_ERRNO_ISDIR: return ENODEV;
    case MMAP_WASI_ERRNO_NOTCAPABLE: return EACCES;  /* outside the host's grants */
    case MMAP_WASI_ERRNO_MFILE: return ENOMEM;       /* the host's limit on handles */
    default: return error;                           /* same number, same meaning */
  }
}

static void *map_anonymous(size_t len) {
  size_t page = mmap_wasi_page_size();
  if (len > SIZE_MAX - (page - 1)) return fail(ENOMEM);
  size_t rounded = (len + page - 1) & ~(page - 1);
  void *memory = aligned_alloc(page, rounded);
  if (!memory) return fail(ENOMEM);
  memset(memory, 0, rounded);
  if (!remember((uintptr_t)memory, len, 1)) {
    free(memory);
    return fail(ENOMEM);
  }
  return memory;
}

static void *map_file(size_t len, int prot, int shared, int fd, off_t offset) {
  int access = fcntl(fd, F_GETFL);
  if (access == -1) return fail(EBADF);
  access &= O_ACCMODE;
  int writable = (prot & PROT_WRITE) != 0;
  /* POSIX: the descriptor must be open for reading, and for writing too when stores
   * are to reach the file. */
  if (access == O_WRONLY || (shared && writable && access != O_RDWR)) return fail(EACCES);

  int32_t mode = !writable ? MMAP_WASI_RO : shared ? MMAP_WASI_RW : MMAP_WASI_COW;
  mmap_wasi_handle_t handle;
  mmap_wasi_errno_t error = mmap_wasi_open_fd(fd, mode, &handle);
  if (error) return fail(mmap_errno(error));
  uint32_t addr;
  error = mmap_wasi_map(handle, (uint64_t)offset, len,
                        writable ? MMAP_WASI_PROT_READ_WRITE : MMAP_WASI_PROT_READ, &addr);
  /* The mapping, if any, outlives the handle. */
  mmap_wasi_close(handle);
  if (error) return fail(mmap_errno(error));
  if (!remember(addr, len, 0)) {
    mmap_wasi_unmap(addr, len);
    return fail(ENOMEM);
  }
  return (void *)(uintptr_t)addr;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset) {
  (void)addr; /* a hint only; the host chooses where a mapping goes */
  int type = flags & MAP_TYPE;
  if (len == 0 || offset < 0) return fail(EINVAL);
  if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
    return fail(EINVAL);
  /* The address is the host's choice, and pages cannot be made inaccessible or
   * executable inside a wasm memory. */
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) return fail(ENOTSUP);
  if ((prot & ~(PROT_READ | PROT_WRITE)) || prot == PROT_NONE) return fail(ENOTSUP);
  if (flags & MAP_ANONYMOUS) return map_anonymous(len);
  return map_file(len, prot, type != MAP_PRIVATE, fd, offset);
}

/* Gives mapping `index` back to the heap or the host, and forgets it. */
static int release(size_t index) {
  mapping_t m = mappings[index];
  forget(index);
  if (m.anonymous) {
    free((void *)m.addr);
    return 0;
  }
  mmap_wasi_errno_t error = mmap_wasi_unmap(m.addr, m.len);
  if (error) {
    errno = error;
    return -1;
  }
  return 0;
}

int munmap(void *addr, size_t len) {
  uintptr_t start = (uintptr_t)addr;
  if (len == 0 || len > UINTPTR_MAX - start) {
    errno = EINVAL;
    return -1;
  }
  uintptr_t end = start + len;
  for (size_t i = 0; i < mapping_count; i++) {
    mapping_t *m = &mappings[i];
    if (end <= m->addr || start >= m->addr + m->len) continue;
    /* Pages already released, or the whole rest: as POSIX allows, both succeed. */
    if (end <= m->live_start || start >= m->live_end) return 0;
    if (start <= m->live_start && end >= m->live_end) return release(i);
    if (start <= m->live_start) {
      m->live_start = end;
      return 0;
    }
    if (end >= m->live_end) {
      m->live_end = start;
      return 0;
    }
    break; /* a hole in the middle: the host releases whole mappings only */
  }
  /* Memory no mmap() returned, or a hole inside a mapping. */
  errno = EINVAL;
  return -1;
}

int msync(void *addr, size_t len, int flags) {
  if ((flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) ||
      (flags & (MS_ASYNC | MS_SYNC)) == (MS_ASYNC | MS_SYNC)) {
    errno = EINVAL;
    return -1;
  }
  long index = mapping_holding(addr, len);
  if (index < 0) {
    errno = ENOMEM;
    return -1;
  }
  if (mappings[index].anonymous || len == 0) return 0;
  /* In place, stores are in the file's pages already and MS_ASYNC asks no more. A
   * copying host writes them back only at sync. */
  if (!(flags & MS_SYNC) && mmap_wasi_map_kind() == 1) return 0;
  mmap_wasi_errno_t error = mmap_wasi_sync((uint32_t)(uintptr_t)addr, len);
  if (error) {
    errno = error;
    return -1;
  }
  return 0;
}

/* madvise and posix_madvise: the error number, or 0. `may_discard`: MADV_DONTNEED may
 * drop a private mapping's stores (madvise on Linux does); POSIX_MADV_DONTNEED must not. */
static int advise(void *addr, size_t len, int advice, int may_discard) {
  int32_t host_advice;
  switch (advice) {
    case POSIX_MADV_NORMAL: host_advice = MMAP_WASI_ADVICE_NORMAL; break;
    case POSIX_MADV_RANDOM: host_advice = MMAP_WASI_ADVICE_RANDOM; break;
    case POSIX_MADV_SEQUENTIAL: host_advice = MMAP_WASI_ADVICE_SEQUENTIAL; break;
    case POSIX_MADV_WILLNEED: host_advice = MMAP_WASI_ADVICE_WILLNEED; break;
    case POSIX_MADV_DONTNEED: host_advice = MMAP_WASI_ADVICE_DONTNEED; break;
    default: return EINVAL;
  }
  long index = mapping_holding(addr, len);
  if (index < 0) return ENOMEM;
  if (mappings[index].anonymous || len == 0) return 0; /* heap memory takes no advice */
  mmap_wasi_errno_t error = mmap_wasi_madvise((uint32_t)(uintptr_t)addr, len, host_advice);
  /* The host will not drop the pages of a writable MAP_PRIVATE mapping (NOTSUP), which
   * would lose its stores. posix_madvise's DONTNEED is only a hint, so nothing is done;
   * madvise(2)'s would discard them, so it is refused, with EINVAL as for advice a range
   * does not take. */
  if (error == MMAP_WASI_ERRNO_NOTSUP) return may_discard ? EINVAL : 0;
  return error;
}

int posix_madvise(void *addr, size_t len, int advice) { return advise(addr, len, advice, 0); }

int madvise(void *addr, size_t len, int advice) {
  int error = advise(addr, len, advice, 1);
  if (error) {
    errno = error;
    return -1;
  }
  return 0;
}
