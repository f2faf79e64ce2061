// Linux, macOS and FreeBSD: the platform interface on mmap and friends.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#include <sys/vfs.h>
#if __has_include(<linux/openat2.h>)  // kernel headers of Linux 5.6 and later
#include <linux/openat2.h>
#define MMAP_WASI_HAVE_OPENAT2 1
#endif
#endif

#include <atomic>
#include <vector>

#include "platform.h"

namespace mmap_wasi {
namespace {

// errno is read right after the failing call, before anything else can change it.
Status LastError() { return -errno; }

Status Check(int result) { return result == 0 ? 0 : LastError(); }

// Flag table: the madvise flag for each action, or false where this platform has none
// (the core never asks for those here; the check only keeps a bug from reaching madvise).
bool MadviseFlag(Action action, int* flag) {
  switch (action) {
    case Action::kMadvNormal: *flag = MADV_NORMAL; return true;
    case Action::kMadvSequential: *flag = MADV_SEQUENTIAL; return true;
    case Action::kMadvRandom: *flag = MADV_RANDOM; return true;
    case Action::kMadvWillNeed: *flag = MADV_WILLNEED; return true;
    case Action::kMadvDontNeed: *flag = MADV_DONTNEED; return true;
#ifdef MADV_HUGEPAGE
    case Action::kMadvHugePage: *flag = MADV_HUGEPAGE; return true;
    case Action::kMadvNoHugePage: *flag = MADV_NOHUGEPAGE; return true;
#endif
#ifdef MADV_COLD
    case Action::kMadvCold: *flag = MADV_COLD; return true;
    case Action::kMadvPageOut: *flag = MADV_PAGEOUT; return true;
#endif
#ifdef MADV_POPULATE_READ
    case Action::kMadvPopulateRead: *flag = MADV_POPULATE_READ; return true;
#endif
    default: return false;
  }
}

#if defined(__linux__) || defined(__FreeBSD__)
bool FadviseFlag(FileAdvice advice, int* flag) {
  switch (advice) {
    case FileAdvice::kNormal: *flag = POSIX_FADV_NORMAL; return true;
    case FileAdvice::kSequential: *flag = POSIX_FADV_SEQUENTIAL; return true;
    case FileAdvice::kRandom: *flag = POSIX_FADV_RANDOM; return true;
    case FileAdvice::kWillNeed: *flag = POSIX_FADV_WILLNEED; return true;
    case FileAdvice::kDontNeed: *flag = POSIX_FADV_DONTNEED; return true;
    case FileAdvice::kNoReuse: *flag = POSIX_FADV_NOREUSE; return true;
    default: return false;
  }
}
#endif

// mincore's vector is `unsigned char*` on Linux and `char*` on the BSDs.
#if defined(__linux__)
using MincoreByte = unsigned char;
#else
using MincoreByte = char;
#endif

FaultFilter fault_filter = nullptr;
// The handlers installed before ours, one per signal we take.
struct sigaction previous_sigbus;
struct sigaction previous_sigsegv;

// Linux raises SIGBUS for a page past the end of a mapped file; FreeBSD and macOS may
// raise SIGSEGV for it too.
#if defined(__FreeBSD__) || defined(__APPLE__)
constexpr bool kGuardSigsegv = true;
#else
constexpr bool kGuardSigsegv = false;
#endif

void Forward(const struct sigaction& previous, int signal_number, siginfo_t* info, void* context) {
  if (previous.sa_flags & SA_SIGINFO) {
    previous.sa_sigaction(signal_number, info, context);
  } else if (previous.sa_handler == SIG_IGN) {
    return;
  } else if (previous.sa_handler == SIG_DFL) {
    // The default action: the process ends, as it would have without this library.
    sigaction(signal_number, &previous, nullptr);
    raise(signal_number);
  } else {
    previous.sa_handler(signal_number);
  }
}

void OnFault(int signal_number, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  void* address = info->si_addr;
  // si_code > 0: raised by the hardware for that address; <= 0: sent by a process
  // (kill, tgkill), with no address in it.
  if (info->si_code > 0 && fault_filter != nullptr && fault_filter(address)) {
    const uintptr_t page = reinterpret_cast<uintptr_t>(address) & ~(static_cast<uintptr_t>(PageSize()) - 1);
    // SAFETY: the page lies inside one of our live mappings (the filter checked), which
    // this process owns; putting zeros there harms no one else. mmap is a plain system
    // call here. If it fails, the access faults again and reaches this handler again.
    mmap(reinterpret_cast<void*>(page), PageSize(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
         -1, 0);
    errno = saved_errno;
    return;
  }
  errno = saved_errno;
  Forward(signal_number == SIGBUS ? previous_sigbus : previous_sigsegv, signal_number, info, context);
}

void Install(int signal_number, struct sigaction* previous) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = OnFault;
  sigemptyset(&action.sa_mask);
  // SA_ONSTACK: a fault on a thread whose stack ran out still has somewhere to run.
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigaction(signal_number, &action, previous);
}

}  // namespace

void InstallFaultGuard(FaultFilter is_ours) {
  PageSize();  // sysconf is not async-signal-safe: ask once before any fault
  fault_filter = is_ours;
  Install(SIGBUS, &previous_sigbus);
  if (kGuardSigsegv) Install(SIGSEGV, &previous_sigsegv);
}

void PrefetchLine(const void* address, bool for_write) {
  // __builtin_prefetch needs its read/write flag as a constant.
  if (for_write) __builtin_prefetch(address, 1);
  else __builtin_prefetch(address, 0);
}

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

Status ReadAt(int fd, uint64_t offset, void* destination, size_t length, size_t* read) {
  ssize_t got;
  do {
    got = pread(fd, destination, length, static_cast<off_t>(offset));
  } while (got < 0 && errno == EINTR);
  if (got < 0) return LastError();
  *read = static_cast<size_t>(got);
  return 0;
}

Status GetFileInfo(int fd, FileInfo* info) {
  struct stat stats;
  if (fstat(fd, &stats) != 0) return LastError();
  info->size = static_cast<uint64_t>(stats.st_size);
  info->device = static_cast<uint64_t>(stats.st_dev);
  info->links = static_cast<uint64_t>(stats.st_nlink);
  info->is_directory = S_ISDIR(stats.st_mode);
  info->is_regular = S_ISREG(stats.st_mode);
  return 0;
}

Status GetFilesystemType(int fd, uint64_t* type) {
  *type = 0;
#ifdef __linux__
  struct statfs about;
  if (fstatfs(fd, &about) != 0) return LastError();
  *type = static_cast<uint64_t>(about.f_type);
#else
  (void)fd;
#endif
  return 0;
}

#if defined(MMAP_WASI_HAVE_OPENAT2) && defined(SYS_openat2)
namespace {

int OpenAt2(int folder, const char* path, uint64_t flags, uint64_t resolve) {
  struct open_how how;
  memset(&how, 0, sizeof how);  // openat2 refuses unknown (nonzero) fields
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & O_CREAT) != 0 ? 0666 : 0;  // openat2 refuses a mode without O_CREAT
  how.resolve = resolve;
  long opened;
  do {
    opened = syscall(SYS_openat2, folder, path, &how, sizeof how);
  } while (opened < 0 && errno == EINTR);
  return static_cast<int>(opened);
}

}  // namespace
#endif

Status OpenBeneath(const char* base, const char* relative, int flags, int* fd) {
#if defined(MMAP_WASI_HAVE_OPENAT2) && defined(SYS_openat2)
  // O_PATH: the folder is only named, so one that may be searched but not listed works.
  // NO_SYMLINKS: `base` had none when it was resolved; one there now was swapped in, and
  // walking beneath wherever it leads would keep the guest inside the wrong folder.
  const int folder = OpenAt2(AT_FDCWD, base, O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
  if (folder < 0) return errno == ELOOP ? -EXDEV : LastError();
  // NO_MAGICLINKS: /proc's links to open files jump anywhere; BENEATH alone stops them
  // today, but its man page says that may change.
  const int opened = OpenAt2(folder, relative, static_cast<uint64_t>(flags), RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
  const Status status = opened < 0 ? LastError() : 0;
  close(folder);
  if (status != 0) return status;
  *fd = opened;
  return 0;
#else
  (void)base, (void)relative, (void)flags, (void)fd;
  return -ENOSYS;
#endif
}

Status MapFile(int fd, uint64_t offset, size_t length, Mode mode, void** address) {
  const int sharing = mode == Mode::kReadWrite ? MAP_SHARED : MAP_PRIVATE;
  void* mapped = mmap(nullptr, length, PROT_READ | PROT_WRITE, sharing, fd,
                      static_cast<off_t>(offset));
  if (mapped == MAP_FAILED) return LastError();
  *address = mapped;
  return 0;
}

Status UnmapFile(void* address, size_t length) { return Check(munmap(address, length)); }

Status MapFileAt(void* address, int fd, uint64_t offset, size_t length, bool shared) {
  void* mapped = mmap(address, length, PROT_READ | PROT_WRITE, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED, fd,
                      static_cast<off_t>(offset));
  if (mapped == MAP_FAILED) return LastError();
  return 0;
}

Status ZeroRange(void* address, size_t length) {
  void* mapped = mmap(address, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  return mapped == MAP_FAILED ? LastError() : 0;
}

// SAFETY: never dereferences `address`: the kernel checks each page for us, in msync and
// in the write() that copies one byte from it, and reports EFAULT/ENOMEM instead of a fault.
bool IsInaccessibleReservation(const void* address, size_t length) {
  const size_t page = PageSize();
  if (length < page || length % page != 0 || reinterpret_cast<uintptr_t>(address) % page != 0) return false;
  // msync fails with ENOMEM on any page that is not mapped; MS_ASYNC writes nothing.
  if (msync(const_cast<void*>(address), length, MS_ASYNC) != 0) return false;
  // The kernel reads a write()'s bytes itself: EFAULT, and no signal, where it cannot.
  int ends[2];
  // Close-on-exec from the start: another thread may exec a child meanwhile.
#if defined(__linux__) || defined(__FreeBSD__)
  if (pipe2(ends, O_CLOEXEC) != 0) return false;
#else
  if (pipe(ends) != 0) return false;
  fcntl(ends[0], F_SETFD, FD_CLOEXEC);
  fcntl(ends[1], F_SETFD, FD_CLOEXEC);
#endif
  constexpr size_t kSamples = 64;
  const size_t pages = length / page;
  bool inaccessible = true;
  for (size_t sample = 0; sample <= kSamples && inaccessible; sample++) {
    const char* at = static_cast<const char*>(address) + (pages - 1) * sample / kSamples * page;
    ssize_t wrote;
    do {
      wrote = write(ends[1], at, 1);
    } while (wrote < 0 && errno == EINTR);
    inaccessible = wrote < 0 && errno == EFAULT;
  }
  close(ends[0]);
  close(ends[1]);
  return inaccessible;
}

Status SyncRange(void* address, size_t length, int /*fd*/) {
  // MS_SYNC waits for the write-back; MS_ASYNC would return with the pages still dirty.
  return Check(msync(address, length, MS_SYNC));
}

Status AdviseRange(void* address, size_t length, Action action) {
  int flag = 0;
  if (!MadviseFlag(action, &flag)) return -ENOSYS;
  return Check(madvise(address, length, flag));
}

Status CountResidentPages(void* address, size_t length, uint64_t* resident) {
  const size_t page = PageSize();
  std::vector<MincoreByte> pages((length + page - 1) / page);
  if (mincore(address, length, pages.data()) != 0) return LastError();
  uint64_t count = 0;
  for (MincoreByte state : pages) count += state & 1;
  *resident = count;
  return 0;
}

// The locking part of LockRange: may fail with the range (partly) locked.
static Status LockAndFaultIn(void* address, size_t length, Mode mode) {
#if defined(__linux__) && defined(MLOCK_ONFAULT)
  if (mode != Mode::kReadWrite) {
    // Lock pages as they fault in, then fault them in for reading: they map the page
    // cache read-only instead of becoming private copies.
    if (mlock2(address, length, MLOCK_ONFAULT) != 0) return LastError();
    if (madvise(address, length, MADV_POPULATE_READ) == 0) return 0;
    if (errno != EINVAL) return LastError();
    // Kernels before 5.14 lack MADV_POPULATE_READ: read one byte of each page instead
    // (a page lost to truncation becomes a zero page: the fault guard records it).
    const size_t page = PageSize();
    for (size_t at = 0; at < length; at += page) {
      (void)*static_cast<const volatile char*>(static_cast<const char*>(address) + at);
    }
    return 0;
  }
#else
  (void)mode;
#endif
  return Check(mlock(address, length));
}

Status LockRange(void* address, size_t length, Mode mode) {
  const Status status = LockAndFaultIn(address, length, mode);
  // mlock marks the pages locked before it faults them in, and keeps the mark when that
  // fails (a file truncated beneath the mapping): undo it, so a failed lock leaves the
  // range unlocked.
  if (status != 0) munlock(address, length);
  return status;
}

Status UnlockRange(void* address, size_t length) { return Check(munlock(address, length)); }

Status AdviseFile(int fd, uint64_t offset, uint64_t length, FileAdvice advice) {
#if defined(__linux__) || defined(__FreeBSD__)
  int flag = 0;
  if (!FadviseFlag(advice, &flag)) return -EINVAL;
  // posix_fadvise returns the error number instead of setting errno.
  return -posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(length), flag);
#else
  (void)fd; (void)offset; (void)length; (void)advice;
  return -ENOSYS;  // macOS has no posix_fadvise
#endif
}

}  // namespace mmap_wasi
