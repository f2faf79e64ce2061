// Windows: the platform interface on file mapping objects and views.
//
// Defines come before every include: uv/win.h sets _WIN32_WINNT to 0x0600 when it is
// unset, and PrefetchVirtualMemory is declared only from 0x0602 (Windows 8) on.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0602
#endif
#if _WIN32_WINNT < 0x0602
#error "win32.cc needs _WIN32_WINNT >= 0x0602 (Windows 8) for PrefetchVirtualMemory"
#endif

// uv.h first: it includes winsock2.h before windows.h, as Winsock requires.
#include <uv.h>

#include <windows.h>
#include <psapi.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "platform.h"

// With PSAPI_VERSION 2 (the default from Windows 7 on) QueryWorkingSetEx is
// K32QueryWorkingSetEx in kernel32 and needs no extra library; psapi.lib covers a build
// that forces PSAPI_VERSION 1.
#ifdef _MSC_VER
#pragma comment(lib, "psapi.lib")
#endif

namespace mmap_wasi {
namespace {

// Windows errors around mappings that libuv leaves as UV_UNKNOWN, given the errno a
// POSIX mmap/mlock would have reported, so the host still names them.
Status Translate(DWORD error) {
  switch (error) {
    case ERROR_MAPPED_ALIGNMENT: return UV_EINVAL;   // offset not granularity-aligned
    case ERROR_FILE_INVALID: return UV_EINVAL;       // e.g. mapping an empty file
    case ERROR_WORKING_SET_QUOTA: return UV_ENOMEM;  // VirtualLock over the quota
    case ERROR_COMMITMENT_LIMIT: return UV_ENOMEM;   // no commit for copy-on-write
    default: return uv_translate_sys_error(static_cast<int>(error));
  }
}

// GetLastError() is read right after the failing call, before anything else can change it.
Status LastError() { return Translate(GetLastError()); }

Status Check(BOOL ok) { return ok ? 0 : LastError(); }

// Node's fds are CRT descriptors of node.exe's own CRT: only libuv (inside node.exe) can
// turn them into handles; _get_osfhandle here would consult this module's CRT.
HANDLE FileHandle(int fd) {
  return reinterpret_cast<HANDLE>(uv_get_osfhandle(fd));
}

DWORD High(uint64_t value) { return static_cast<DWORD>(value >> 32); }
DWORD Low(uint64_t value) { return static_cast<DWORD>(value & 0xFFFFFFFFu); }

// QueryWorkingSetEx takes its buffer size as a DWORD: query this many pages at a time
// (1 MiB of entries on 64-bit), which also bounds the allocation.
constexpr size_t kWorkingSetBatch = 65536;

}  // namespace

void PrefetchLine(const void* address, bool /*for_write*/) {
  // A prefetch instruction where the processor has one, nothing where it has none.
  PreFetchCacheLine(PF_TEMPORAL_LEVEL_1, address);
}

// MapFile offsets must be multiples of dwAllocationGranularity (64 KiB), not of this page
// size; the host's 4 GiB segments are.
size_t PageSize() {
  static const size_t page = [] {
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    return static_cast<size_t>(info.dwPageSize);
  }();
  return page;
}

Status ReadAt(int fd, uint64_t offset, void* destination, size_t length, size_t* read) {
  HANDLE file = reinterpret_cast<HANDLE>(uv_get_osfhandle(fd));
  if (file == INVALID_HANDLE_VALUE) return UV_EBADF;
  OVERLAPPED at{};
  at.Offset = static_cast<DWORD>(offset);
  at.OffsetHigh = static_cast<DWORD>(offset >> 32);
  DWORD got = 0;
  const DWORD chunk = length > 0x40000000 ? 0x40000000 : static_cast<DWORD>(length);
  // SAFETY: `destination` holds `length` bytes (checked by the caller), `chunk` <= length.
  if (!::ReadFile(file, destination, chunk, &got, &at)) {
    const DWORD error = GetLastError();
    if (error != ERROR_HANDLE_EOF) return Translate(error);
  }
  *read = got;
  return 0;
}

Status GetFileInfo(int fd, FileInfo* info) {
  HANDLE file = reinterpret_cast<HANDLE>(uv_get_osfhandle(fd));
  if (file == INVALID_HANDLE_VALUE) return UV_EBADF;
  BY_HANDLE_FILE_INFORMATION about;
  // SAFETY: `about` is a local the call fills; the handle is the CRT's for `fd`.
  if (!GetFileInformationByHandle(file, &about)) return LastError();
  info->size = (static_cast<uint64_t>(about.nFileSizeHigh) << 32) | about.nFileSizeLow;
  info->device = about.dwVolumeSerialNumber;
  info->links = about.nNumberOfLinks;
  info->is_directory = (about.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  info->is_regular = !info->is_directory && GetFileType(file) == FILE_TYPE_DISK;
  return 0;
}

Status GetFilesystemType(int fd, uint64_t* type) {
  *type = 0;  // Windows has no pseudo file systems of files to refuse
  return FileHandle(fd) == INVALID_HANDLE_VALUE ? UV_EBADF : 0;
}

// Windows has no open that keeps a path beneath a folder: the caller resolves it.
Status OpenBeneath(const char*, const char*, int, int*) { return UV_ENOSYS; }

Status MapFile(int fd, uint64_t offset, size_t length, Mode mode, void** address) {
  // MapViewOfFile maps to the end of the section for length 0; mmap refuses it.
  if (length == 0) return UV_EINVAL;
  const HANDLE file = FileHandle(fd);
  if (file == INVALID_HANDLE_VALUE) return UV_EBADF;
  const bool shared = mode == Mode::kReadWrite;
  // SAFETY: offset + length cannot overflow (the core keeps mappings below 2^63). A section
  // longer than the file grows it (rw) or fails (ro, cow), so the core maps within the
  // file. PAGE_WRITECOPY needs only read access: ro and cow work on a read-only fd.
  const uint64_t end = offset + length;
  HANDLE mapping = CreateFileMappingW(file, nullptr, shared ? PAGE_READWRITE : PAGE_WRITECOPY,
                                      High(end), Low(end), nullptr);
  if (mapping == nullptr) return LastError();
  // ro is mapped copy-on-write too: a stray write through a view stays in this process
  // instead of crashing it or reaching the file.
  void* view = MapViewOfFile(mapping, shared ? FILE_MAP_WRITE : FILE_MAP_COPY, High(offset),
                             Low(offset), length);
  const Status status = view == nullptr ? LastError() : 0;
  // The view holds its own reference to the mapping object; this handle is not needed.
  CloseHandle(mapping);
  if (status != 0) return status;
  *address = view;
  return 0;
}

Status UnmapFile(void* address, size_t /*length*/) {
  // SAFETY: address is the base MapFile returned and the core unmaps whole mappings only;
  // UnmapViewOfFile always releases the whole view.
  return Check(UnmapViewOfFile(address));
}

// Windows cannot place a view over memory that is already reserved: guest mappings are
// copies there (the host never asks for these).
Status MapFileAt(void* /*address*/, int /*fd*/, uint64_t /*offset*/, size_t /*length*/, bool /*shared*/) {
  return UV_ENOSYS;
}

Status ZeroRange(void* /*address*/, size_t /*length*/) { return UV_ENOSYS; }

bool IsInaccessibleReservation(const void* /*address*/, size_t /*length*/) { return false; }

Status SyncRange(void* address, size_t length, int fd) {
  // SAFETY: the range lies inside a live rw view (the core skips ro and cow, which have
  // nothing to write), and fd is the file that view maps, open for writing.
  // FlushViewOfFile only starts the write-back of the dirty pages; FlushFileBuffers waits
  // for them and the metadata to reach the disk.
  if (!FlushViewOfFile(address, length)) return LastError();
  const HANDLE file = FileHandle(fd);
  if (file == INVALID_HANDLE_VALUE) return UV_EBADF;
  return Check(FlushFileBuffers(file));
}

Status AdviseRange(void* address, size_t length, Action action) {
  // Windows has one kind of advice; the core sends only this action here, the rest are
  // accepted and do nothing, as on a platform that ignores advice.
  if (action != Action::kPrefetchVirtualMemory) return 0;
  // SAFETY: the core validated the range inside a live view; prefetching only reads the
  // file into memory and never changes what the pages contain.
  WIN32_MEMORY_RANGE_ENTRY entry;
  entry.VirtualAddress = address;
  entry.NumberOfBytes = length;
  return Check(PrefetchVirtualMemory(GetCurrentProcess(), 1, &entry, 0));
}

Status CountResidentPages(void* address, size_t length, uint64_t* resident) {
  // Counts pages in this process's working set (mapped into the view), which is narrower
  // than mincore's "in the page cache": a cached page not yet touched here is not counted.
  const size_t page = PageSize();
  const size_t pages = (length + page - 1) / page;
  std::vector<PSAPI_WORKING_SET_EX_INFORMATION> entries(std::min(pages, kWorkingSetBatch));
  char* const base = static_cast<char*>(address);
  uint64_t count = 0;
  // SAFETY: the core validated the range inside a live view, so every queried address is
  // mapped; QueryWorkingSetEx only reads page state and writes into `entries`, whose size
  // (at most kWorkingSetBatch entries) is the byte count it is given.
  for (size_t first = 0; first < pages; first += entries.size()) {
    const size_t batch = std::min(entries.size(), pages - first);
    for (size_t i = 0; i < batch; ++i) {
      entries[i].VirtualAddress = base + (first + i) * page;
    }
    const DWORD bytes = static_cast<DWORD>(batch * sizeof(entries[0]));
    if (!QueryWorkingSetEx(GetCurrentProcess(), entries.data(), bytes)) return LastError();
    for (size_t i = 0; i < batch; ++i) count += entries[i].VirtualAttributes.Valid;
  }
  *resident = count;
  return 0;
}

Status LockRange(void* address, size_t length, Mode /*mode*/) {
  // VirtualLock does not write, so a copy-on-write view is not copied by locking it.
  // SAFETY: the core validated the range inside a live view; locking changes residency,
  // never contents. It fails past the process's minimum working set size.
  return Check(VirtualLock(address, length));
}

Status UnlockRange(void* address, size_t length) {
  // SAFETY: the core validated the range inside a live view.
  if (VirtualUnlock(address, length)) return 0;
  // munlock of pages that are not locked succeeds; keep that behaviour here.
  const DWORD error = GetLastError();
  return error == ERROR_NOT_LOCKED ? 0 : Translate(error);
}

Status AdviseFile(int /*fd*/, uint64_t /*offset*/, uint64_t /*length*/,
                  FileAdvice /*advice*/) {
  return UV_ENOSYS;  // Windows has no posix_fadvise; file hints are given at CreateFile
}

// Windows refuses to truncate a file while a view of it exists (ERROR_USER_MAPPED_FILE),
// so the fault this guards against on POSIX cannot happen.
void InstallFaultGuard(FaultFilter /*is_ours*/) {}

}  // namespace mmap_wasi
