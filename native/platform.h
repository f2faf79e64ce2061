// The one interface every platform file (posix.cc, win32.cc, unsupported.cc) implements.
// Each function performs an operation that the core has already validated: ranges lie
// inside a live mapping made by MapFile, and addresses of range operations are
// page-aligned. Failures are returned as negative libuv error numbers (-errno on POSIX),
// so the host names them with util.getSystemErrorName.
#ifndef MMAP_WASI_PLATFORM_H_
#define MMAP_WASI_PLATFORM_H_

#include <cstddef>
#include <cstdint>

namespace mmap_wasi {

using Status = int;  // 0 on success, a negative libuv error number on failure

// The file shrank beneath the mapping, so the bytes of a copy are gone. Below every libuv
// error number, so it cannot be mistaken for one.
constexpr Status kTruncated = -1000001;

// Numbered as the guest ABI numbers them (assembly/core/modes.ts).
enum class Mode : int { kReadOnly = 0, kReadWrite = 1, kCopyOnWrite = 2 };

// Numbered as assembly/core/advice.ts numbers its ACTION_* values.
enum class Action : int {
  kNone = 0,
  kMadvNormal = 1,
  kMadvSequential = 2,
  kMadvRandom = 3,
  kMadvWillNeed = 4,
  kMadvDontNeed = 5,
  kMadvHugePage = 6,
  kMadvNoHugePage = 7,
  kMadvCold = 8,
  kMadvPageOut = 9,
  kMadvPopulateRead = 10,
  kPrefetchVirtualMemory = 11,
};

// Advice for a file's page cache (posix_fadvise), numbered as WASI fd_advise numbers it.
enum class FileAdvice : int {
  kNormal = 0,
  kSequential = 1,
  kRandom = 2,
  kWillNeed = 3,
  kDontNeed = 4,
  kNoReuse = 5,
};

size_t PageSize();

struct FileInfo {
  uint64_t size;
  uint64_t device;  // for finding the device's read-ahead window
  uint64_t links;   // names the file has (a guest's file must have only one)
  bool is_directory;
  bool is_regular;
};

// What MapFile needs to know about `fd`, in one system call (fstat).
Status GetFileInfo(int fd, FileInfo* info);

// The type of the file system `fd` lives on (Linux: fstatfs's f_type, e.g. proc's
// 0x9fa0), or 0 where the platform has no such number. Asked of the open file, not of a
// path that may have changed since it was opened.
Status GetFilesystemType(int fd, uint64_t* type);

// Opens `relative` (open(2) `flags`; a created file gets mode 0666 less the umask) inside
// the folder `base` so that nothing can lead out of it: Linux's openat2 with
// RESOLVE_BENEATH refuses every `..` or link that would leave `base`, also one
// swapped in while the path is walked. `base` is a resolved path, so a link on it means
// it was swapped since: it is not followed. Sets `fd` (close-on-exec). UV_EXDEV where the
// path needs what RESOLVE_BENEATH refuses (an absolute link, or a way out and back in)
// and where `base` leads through a link; UV_ENOSYS where the platform or kernel has no
// such open. Callers then resolve the path themselves.
Status OpenBeneath(const char* base, const char* relative, int flags, int* fd);

// Maps `length` bytes of the open file `fd` from `offset` (a multiple of the allocation
// granularity). rw is shared with the file; ro and cow are private and writable, so a
// stray write through a view stays in this process.
Status MapFile(int fd, uint64_t offset, size_t length, Mode mode, void** address);
Status UnmapFile(void* address, size_t length);

// Guest mappings (ABI version 2): maps `length` bytes of `fd` from `offset` at exactly
// `address`, replacing the pages there, which belong to a guest's linear memory (so
// page-aligned and readable-writable). `shared`: stores reach the file (rw); otherwise
// the mapping is private. Always readable and writable: the engine makes the whole
// memory read-write at every grow anyway, and a read-only page would kill the process
// when the host itself writes guest memory there. UV_ENOSYS where the platform cannot.
Status MapFileAt(void* address, int fd, uint64_t offset, size_t length, bool shared);
// Puts fresh zero pages, readable and writable, over a range MapFileAt mapped: it stays
// part of the guest's memory.
Status ZeroRange(void* address, size_t length);
// True if [address, address + length) is reserved address space that nothing can read
// yet: mapped throughout, and inaccessible at every page sampled. A guest memory followed
// by such a reservation up to its 4 GiB limit grows in place and is unmapped, not reused,
// when the engine frees it. False where the platform cannot tell.
bool IsInaccessibleReservation(const void* address, size_t length);

// Writes the range's dirty pages to the file and returns once they are durable.
Status SyncRange(void* address, size_t length, int fd);
Status AdviseRange(void* address, size_t length, Action action);
Status CountResidentPages(void* address, size_t length, uint64_t* resident);
// Locks the range in memory. A private (ro or cow) mapping is writable, so a plain mlock
// would fault every page in for writing and copy it; `mode` lets the platform avoid that.
// A failure leaves the range unlocked.
Status LockRange(void* address, size_t length, Mode mode);
Status UnlockRange(void* address, size_t length);
Status AdviseFile(int fd, uint64_t offset, uint64_t length, FileAdvice advice);

// Reads up to `length` bytes of `fd` at `offset` into `destination` (pread); sets `read`.
Status ReadAt(int fd, uint64_t offset, void* destination, size_t length, size_t* read);

// Decides about a fault at `address`: true if it lies in one of our mappings (the file
// shrank beneath it), which the callee records. Called from a signal handler: it must be
// async-signal-safe and take no locks.
using FaultFilter = bool (*)(const void* address);

// Installs the process's guard, once: a fault at an address `is_ours` accepts gets an
// anonymous zero page in place of the lost file page, and the access completes (a read
// gives zeros, a write is lost). Every other fault goes to the handler installed before,
// or gets the default action, as without this library. A no-op where files cannot
// shrink beneath a mapping (Windows refuses to truncate a mapped file).
void InstallFaultGuard(FaultFilter is_ours);

// Starts loading the cache line at `address` for a read (or a write) that follows. A
// hint: it never faults, also past the end of a truncated file, and may do nothing.
void PrefetchLine(const void* address, bool for_write);

}  // namespace mmap_wasi

#endif  // MMAP_WASI_PLATFORM_H_
