// Platforms with neither POSIX mmap nor Win32 file mappings: every call is "not supported",
// so the package still installs and fails with a clear ENOSYS instead of at build time.
#include <uv.h>

#include <cstring>

#include "platform.h"

namespace mmap_wasi {
namespace {
constexpr Status kNotSupported = UV_ENOSYS;
}  // namespace

size_t PageSize() { return 4096; }
Status GetFileInfo(int, FileInfo*) { return kNotSupported; }
Status GetFilesystemType(int, uint64_t*) { return kNotSupported; }
Status ReadAt(int, uint64_t, void*, size_t, size_t*) { return kNotSupported; }
Status OpenBeneath(const char*, const char*, int, int*) { return kNotSupported; }
Status MapFile(int, uint64_t, size_t, Mode, void**) { return kNotSupported; }
Status UnmapFile(void*, size_t) { return kNotSupported; }
Status MapFileAt(void*, int, uint64_t, size_t, bool) { return kNotSupported; }
Status ZeroRange(void*, size_t) { return kNotSupported; }
bool IsInaccessibleReservation(const void*, size_t) { return false; }
Status SyncRange(void*, size_t, int) { return kNotSupported; }
Status AdviseRange(void*, size_t, Action) { return kNotSupported; }
Status CountResidentPages(void*, size_t, uint64_t*) { return kNotSupported; }
Status LockRange(void*, size_t, Mode) { return kNotSupported; }
Status UnlockRange(void*, size_t) { return kNotSupported; }
Status AdviseFile(int, uint64_t, uint64_t, FileAdvice) { return kNotSupported; }
void InstallFaultGuard(FaultFilter) {}
void PrefetchLine(const void*, bool) {}

}  // namespace mmap_wasi
