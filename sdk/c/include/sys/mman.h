/*
 * <sys/mman.h> for wasm32-wasi guests, backed by mmap-wasi's guest mappings.
 *
 * Put this folder first on the include path (-I path/to/sdk/c/include) and compile
 * sdk/c/mmap_wasi_mman.c with the program: code written for POSIX mmap then maps files
 * for real, into the guest's own memory, through the host's mmap_wasi imports (ABI
 * version 2). wasi-libc's own <sys/mman.h> (-D_WASI_EMULATED_MMAN) copies the whole
 * range at mmap() instead; do not link -lwasi-emulated-mman as well.
 *
 * The constants have wasi-libc's (musl's, Linux's) values, so code that stores them
 * keeps working. What the host cannot do fails with a POSIX errno; see
 * mmap_wasi_mman.c and docs/guests.md for the rules.
 */
#ifndef MMAP_WASI_SYS_MMAN_H
#define MMAP_WASI_SYS_MMAN_H

#if !defined(__wasm32__)
#error "this <sys/mman.h> is for wasm32 guests: build with --target=wasm32-wasi"
#endif

/* wasi-libc's header also guards on _SYS_MMAN_H: claim it, so that nothing pulls both in. */
#define _SYS_MMAN_H

#include <sys/types.h> /* off_t, size_t, mode_t */

#ifdef __cplusplus
extern "C" {
#endif

#define MAP_FAILED ((void *)-1)

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANON 0x20
#define MAP_ANONYMOUS MAP_ANON
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_FILE 0

#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4

#define POSIX_MADV_NORMAL 0
#define POSIX_MADV_RANDOM 1
#define POSIX_MADV_SEQUENTIAL 2
#define POSIX_MADV_WILLNEED 3
#define POSIX_MADV_DONTNEED 4

#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4

/* Maps `len` bytes of `fd`'s file from `offset` (any offset, aligned or not) and returns
 * their address; or, with MAP_ANONYMOUS, `len` zero bytes from the guest's heap.
 * MAP_SHARED with PROT_WRITE: stores reach the file, without msync where the mapping is
 * the file's own pages (mmap_wasi_map_kind() 1); where the host copies (0), a mapping
 * is a snapshot, and stores reach the file at msync and munmap. MAP_PRIVATE with
 * PROT_WRITE: stores stay private to this mapping. `addr` is only a hint and ignored.
 * On failure returns MAP_FAILED and sets errno. */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset);

/* Releases [addr, addr + len): a whole mapping, or its first or last part (a hole in the
 * middle of one is EINVAL). The host takes the mapping back once all of it is released. */
int munmap(void *addr, size_t len);

/* MS_SYNC: the stores in [addr, addr + len) are durable in the file before it returns.
 * MS_ASYNC: they are (already, where the mapping is the file's own pages) visible to
 * readers of the file. The range must lie inside one mapping. */
int msync(void *addr, size_t len, int flags);

/* Access-pattern advice for [addr, addr + len), inside one mapping. */
int madvise(void *addr, size_t len, int advice);

/* posix_madvise: as madvise, but returns the error number instead of setting errno. */
int posix_madvise(void *addr, size_t len, int advice);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MMAP_WASI_SYS_MMAN_H */
