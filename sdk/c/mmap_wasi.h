/*
 * mmap_wasi.h: the `mmap_wasi` import module (guest ABI versions 1 and 2) for C and C++
 * guests built with `clang --target=wasm32-wasi`.
 *
 * Every function except mmap_wasi_page_size() returns an errno, numbered as WASI
 * preview1 numbers them; MMAP_WASI_ERRNO_SUCCESS (0) is success. Out-parameters are
 * written only on success. Offsets and lengths inside a mapping are uint64_t and need
 * no page alignment. No argument value traps: a bad one is an errno.
 *
 * The C names carry a mmap_wasi_ prefix; the wasm import names are the ABI's (open,
 * read, close, ...), so nothing here collides with the libc functions of those names.
 */
#ifndef MMAP_WASI_H
#define MMAP_WASI_H

#include <stdint.h>

#if !defined(__wasm32__)
#error "mmap_wasi.h is for wasm32 guests: build with --target=wasm32-wasi"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define MMAP_WASI_IMPORT(name) \
  __attribute__((import_module("mmap_wasi"), import_name(name)))

/* An errno from the table below; the wasm type is i32. */
typedef int32_t mmap_wasi_errno_t;
/* An opaque handle, valid only in the guest instance that opened it. */
typedef uint32_t mmap_wasi_handle_t;

/* Modes for mmap_wasi_open(). */
#define MMAP_WASI_RO 0  /* read-only */
#define MMAP_WASI_RW 1  /* read-write: writes reach the file */
#define MMAP_WASI_COW 2 /* copy-on-write: writes stay private to the handle */

/* Advice for mmap_wasi_advise(), numbered as WASI fd_advise numbers it. */
#define MMAP_WASI_ADVICE_NORMAL 0     /* default read-ahead */
#define MMAP_WASI_ADVICE_SEQUENTIAL 1 /* aggressive read-ahead */
#define MMAP_WASI_ADVICE_RANDOM 2     /* no read-ahead */
#define MMAP_WASI_ADVICE_WILLNEED 3   /* prefetch the whole range */
#define MMAP_WASI_ADVICE_DONTNEED 4   /* drop the range's pages; NOTSUP on cow */
#define MMAP_WASI_ADVICE_NOREUSE 5    /* accepted, no effect */

/* The errnos the host returns (WASI preview1 numbering). */
#define MMAP_WASI_ERRNO_SUCCESS 0
#define MMAP_WASI_ERRNO_ACCES 2       /* mode forbids it, or the OS refused access */
#define MMAP_WASI_ERRNO_BADF 8        /* handle not open */
#define MMAP_WASI_ERRNO_FAULT 21      /* guest-memory range outside guest memory */
#define MMAP_WASI_ERRNO_ILSEQ 25      /* path is not valid UTF-8 */
#define MMAP_WASI_ERRNO_INVAL 28      /* bad mode, advice or path */
#define MMAP_WASI_ERRNO_IO 29         /* host failure, or file truncated beneath us */
#define MMAP_WASI_ERRNO_ISDIR 31      /* the path names a directory */
#define MMAP_WASI_ERRNO_MFILE 33      /* host's limit on open handles */
#define MMAP_WASI_ERRNO_NOENT 44      /* no such file, or no such parent directory */
#define MMAP_WASI_ERRNO_NOMEM 48      /* host's limit on mapped bytes, or mmap failed */
#define MMAP_WASI_ERRNO_NOTSUP 58     /* dontneed on a cow mapping */
#define MMAP_WASI_ERRNO_RANGE 68      /* range outside the mapping, or u64 overflow */
#define MMAP_WASI_ERRNO_NOTCAPABLE 76 /* path outside every grant, or beyond its access */

/* The host's page size in bytes. The only function that returns no errno. */
MMAP_WASI_IMPORT("page_size")
uint32_t mmap_wasi_page_size(void);

/* Maps the whole existing file at the absolute UTF-8 guest path `path` (`path_len`
 * bytes, no NUL needed) with `mode` (MMAP_WASI_RO, _RW or _COW); writes the handle. */
MMAP_WASI_IMPORT("open")
mmap_wasi_errno_t mmap_wasi_open(const char *path, uint32_t path_len, int32_t mode,
                                 mmap_wasi_handle_t *out_handle);

/* Creates the file, or truncates an existing one, to `size` zero bytes and maps it
 * read-write; writes the handle. Needs a read-write grant. */
MMAP_WASI_IMPORT("create")
mmap_wasi_errno_t mmap_wasi_create(const char *path, uint32_t path_len, uint64_t size,
                                   mmap_wasi_handle_t *out_handle);

/* Writes the mapping's current length in bytes. */
MMAP_WASI_IMPORT("len")
mmap_wasi_errno_t mmap_wasi_len(mmap_wasi_handle_t handle, uint64_t *out_len);

/* Copies exactly `len` bytes from the mapping at `offset` to `dst`. */
MMAP_WASI_IMPORT("read")
mmap_wasi_errno_t mmap_wasi_read(mmap_wasi_handle_t handle, uint64_t offset, void *dst,
                                 uint32_t len);

/* Copies `len` bytes from `src` into the mapping at `offset`. rw: reaches the file;
 * cow: private to this handle; ro: ACCES. Never grows the mapping (RANGE). */
MMAP_WASI_IMPORT("write")
mmap_wasi_errno_t mmap_wasi_write(mmap_wasi_handle_t handle, uint64_t offset,
                                  const void *src, uint32_t len);

/* Gives MMAP_WASI_ADVICE_* advice for [offset, offset + len). `len` 0 does nothing. */
MMAP_WASI_IMPORT("advise")
mmap_wasi_errno_t mmap_wasi_advise(mmap_wasi_handle_t handle, uint64_t offset,
                                   uint64_t len, int32_t advice);

/* Writes the range's dirty pages to the file and returns once they are durable.
 * `len` 0 does nothing; ro and cow have nothing to write and succeed. */
MMAP_WASI_IMPORT("flush")
mmap_wasi_errno_t mmap_wasi_flush(mmap_wasi_handle_t handle, uint64_t offset,
                                  uint64_t len);

/* rw only: sets the file's length to `new_len` and remaps it. ACCES on ro and cow. */
MMAP_WASI_IMPORT("resize")
mmap_wasi_errno_t mmap_wasi_resize(mmap_wasi_handle_t handle, uint64_t new_len);

/* Writes how many pages of [offset, offset + len) are resident in memory. */
MMAP_WASI_IMPORT("resident")
mmap_wasi_errno_t mmap_wasi_resident(mmap_wasi_handle_t handle, uint64_t offset,
                                     uint64_t len, uint64_t *out_pages);

/* Unmaps and releases the handle; BADF if it is not open. The host may hand the
 * number out again, so do not use a handle after closing it. */
MMAP_WASI_IMPORT("close")
mmap_wasi_errno_t mmap_wasi_close(mmap_wasi_handle_t handle);

/* Version 2: guest mappings, a range of a file in the guest's own memory. A guest that
 * calls these needs a host that implements version 2 (a link error otherwise). */

/* Protections for mmap_wasi_map(). */
#define MMAP_WASI_PROT_READ 1       /* read-only: stores never reach the file */
#define MMAP_WASI_PROT_READ_WRITE 3 /* rw handle: stores reach the file; cow: private */

/* Makes bytes [offset, offset + len) of the handle's file addressable in guest memory
 * and writes their address, congruent to `offset` modulo the page size. The mapping
 * outlives mmap_wasi_close() of its handle. */
MMAP_WASI_IMPORT("map")
mmap_wasi_errno_t mmap_wasi_map(mmap_wasi_handle_t handle, uint64_t offset, uint64_t len,
                                int32_t prot, uint32_t *out_addr);

/* Releases a mapping: exactly the `addr` and `len` of one mmap_wasi_map(). The memory
 * then reads as zeros and may serve a later mapping. */
MMAP_WASI_IMPORT("unmap")
mmap_wasi_errno_t mmap_wasi_unmap(uint32_t addr, uint64_t len);

/* Makes the stores in [addr, addr + len), inside one mapping, durable in the file. */
MMAP_WASI_IMPORT("sync")
mmap_wasi_errno_t mmap_wasi_sync(uint32_t addr, uint64_t len);

/* MMAP_WASI_ADVICE_* advice for [addr, addr + len), inside one mapping. */
MMAP_WASI_IMPORT("madvise")
mmap_wasi_errno_t mmap_wasi_madvise(uint32_t addr, uint64_t len, int32_t advice);

/* 1: mappings are the file's own pages (zero-copy); 0: the host copies (in at map,
 * back at sync and unmap). */
MMAP_WASI_IMPORT("map_kind")
int32_t mmap_wasi_map_kind(void);

/* Maps the whole file behind WASI file descriptor `fd` (one the guest holds, such as an
 * fd from open()) with `mode`, as mmap_wasi_open() of that file's path would, with the
 * same grants; writes the handle. Not a descriptor the guest holds: BADF. A host that
 * cannot see the guest's files (no WASI file table, or an in-memory file system): NOTSUP. */
MMAP_WASI_IMPORT("open_fd")
mmap_wasi_errno_t mmap_wasi_open_fd(int32_t fd, int32_t mode, mmap_wasi_handle_t *out_handle);

#undef MMAP_WASI_IMPORT

/* The errno's name as the ABI spells it ("range", "notcapable", ...), or "unknown". */
static inline const char *mmap_wasi_errno_name(mmap_wasi_errno_t error) {
  switch (error) {
    case MMAP_WASI_ERRNO_SUCCESS: return "success";
    case MMAP_WASI_ERRNO_ACCES: return "acces";
    case MMAP_WASI_ERRNO_BADF: return "badf";
    case MMAP_WASI_ERRNO_FAULT: return "fault";
    case MMAP_WASI_ERRNO_ILSEQ: return "ilseq";
    case MMAP_WASI_ERRNO_INVAL: return "inval";
    case MMAP_WASI_ERRNO_IO: return "io";
    case MMAP_WASI_ERRNO_ISDIR: return "isdir";
    case MMAP_WASI_ERRNO_MFILE: return "mfile";
    case MMAP_WASI_ERRNO_NOENT: return "noent";
    case MMAP_WASI_ERRNO_NOMEM: return "nomem";
    case MMAP_WASI_ERRNO_NOTSUP: return "notsup";
    case MMAP_WASI_ERRNO_RANGE: return "range";
    case MMAP_WASI_ERRNO_NOTCAPABLE: return "notcapable";
    default: return "unknown";
  }
}

/* A short description of the errno, for messages. */
static inline const char *mmap_wasi_strerror(mmap_wasi_errno_t error) {
  switch (error) {
    case MMAP_WASI_ERRNO_SUCCESS: return "success";
    case MMAP_WASI_ERRNO_ACCES: return "access denied by the mapping's mode or the OS";
    case MMAP_WASI_ERRNO_BADF: return "handle not open";
    case MMAP_WASI_ERRNO_FAULT: return "buffer outside the guest's memory";
    case MMAP_WASI_ERRNO_ILSEQ: return "path is not valid UTF-8";
    case MMAP_WASI_ERRNO_INVAL: return "invalid argument";
    case MMAP_WASI_ERRNO_IO: return "host I/O failure";
    case MMAP_WASI_ERRNO_ISDIR: return "path names a directory";
    case MMAP_WASI_ERRNO_MFILE: return "too many open handles";
    case MMAP_WASI_ERRNO_NOENT: return "no such file or directory";
    case MMAP_WASI_ERRNO_NOMEM: return "mapping limit reached or out of memory";
    case MMAP_WASI_ERRNO_NOTSUP: return "not supported on this mapping";
    case MMAP_WASI_ERRNO_RANGE: return "range outside the mapping";
    case MMAP_WASI_ERRNO_NOTCAPABLE: return "path outside the granted directories";
    default: return "unknown error";
  }
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MMAP_WASI_H */
