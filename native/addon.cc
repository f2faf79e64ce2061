// The JavaScript surface of the addon, the same on every platform and in every runtime:
// Node-API only (node-addon-api, and the plain C functions on the per-read copy path),
// so one binary serves every Node major, Bun and Deno. It only executes operations that
// the core (build/core.wasm) has already checked; the platform file (posix.cc, win32.cc
// or unsupported.cc) makes the system calls.
//
// Mappings are regions in a table; JavaScript names them by id (see regions.h). Every
// function returns a number: 0, an id or a count on success, a negative libuv error
// number on failure. JavaScript turns that into an MmapError with errno and syscall.
#include <napi.h>
#include <uv.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "platform.h"
#include "regions.h"

namespace mmap_wasi {
namespace {

// ---------------------------------------------------------------------------------------
// Arguments. Sizes and offsets arrive as numbers the core has checked: non-negative safe
// integers. Anything else (NaN, a fraction, a negative or huge number, another type) is
// refused here too, since casting such a double to an integer is undefined behaviour.

bool SafeIntegerOf(napi_env env, napi_value value, uint64_t* integer) {
  double number = 0;
  if (napi_get_value_double(env, value, &number) != napi_ok) return false;
  // Written so that NaN fails too.
  if (!(number >= 0 && number <= 9007199254740991.0 && std::trunc(number) == number)) return false;
  *integer = static_cast<uint64_t>(number);
  return true;
}

// What every range check refuses: a size that is not a safe integer, or too large for
// this platform's size_t.
constexpr size_t kBadSize = std::numeric_limits<size_t>::max();

size_t SizeOf(napi_env env, napi_value value) {
  uint64_t integer = 0;
  if (!SafeIntegerOf(env, value, &integer) || integer >= kBadSize) return kBadSize;
  return static_cast<size_t>(integer);
}

size_t SizeArg(const Napi::CallbackInfo& info, size_t index) { return SizeOf(info.Env(), info[index]); }

// An offset or count argument: false unless it is a non-negative safe integer.
bool IntegerArg(const Napi::CallbackInfo& info, size_t index, uint64_t* integer) {
  return SafeIntegerOf(info.Env(), info[index], integer);
}

// A small integer argument (a descriptor, a mode, an action); kBadInt if it is none.
constexpr int32_t kBadInt = std::numeric_limits<int32_t>::min();

int32_t IntArg(const Napi::CallbackInfo& info, size_t index) {
  int32_t value = 0;
  if (!info[index].IsNumber() || napi_get_value_int32(info.Env(), info[index], &value) != napi_ok) return kBadInt;
  return value;
}

Region* RegionOf(napi_env env, napi_value value) {
  uint64_t id = 0;
  if (!SafeIntegerOf(env, value, &id) || id > kMaxRegionId) return nullptr;
  return FindRegion(static_cast<uint32_t>(id));
}

// The bytes [offset, offset + length) of a live region. The core checked the range
// against the mapping; this second look only keeps a bug in the host from becoming a
// wild pointer.
struct Span {
  Region* region = nullptr;
  char* address = nullptr;
  size_t length = 0;
  Status status = 0;
};

Span SpanOf(napi_env env, napi_value id, napi_value offset_value, napi_value length_value) {
  Span span;
  span.region = RegionOf(env, id);
  if (span.region == nullptr || !span.region->usable()) {
    span.status = UV_EBADF;
    return span;
  }
  const size_t offset = SizeOf(env, offset_value);
  const size_t length = SizeOf(env, length_value);
  // The kernel maps whole pages, so page-aligned ranges may reach the last page's end.
  const size_t page = PageSize();
  const size_t mapped = (span.region->length + page - 1) / page * page;
  if (offset > mapped || length > mapped - offset) {
    span.status = UV_EINVAL;
    return span;
  }
  span.address = static_cast<char*>(span.region->address) + offset;
  span.length = length;
  return span;
}

Span SpanOf(const Napi::CallbackInfo& info) { return SpanOf(info.Env(), info[0], info[1], info[2]); }

// The bytes [offset, offset + length) of a Uint8Array argument, or false if it is not one
// or the range does not fit in it (a detached array has length 0).
bool BytesOf(napi_env env, napi_value value, size_t offset, size_t length, char** bytes) {
  bool is_typed_array = false;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array) return false;
  napi_typedarray_type type;
  size_t size = 0;
  void* data = nullptr;
  // Node moves a small array's bytes off the engine's heap here, so `data` stays put.
  if (napi_get_typedarray_info(env, value, &type, &size, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array || offset > size || length > size - offset) {
    return false;
  }
  *bytes = static_cast<char*>(data) + offset;
  return true;
}

Napi::Number Result(const Napi::Env& env, double value) { return Napi::Number::New(env, value); }

// ---------------------------------------------------------------------------------------
// Mappings.

// Set by a test (refuseExternalBuffers) to take the path of a runtime whose memory cage
// refuses external buffers, as Electron's does, on a runtime that has none.
bool refuse_external_buffers = false;

void FinalizeOwner(napi_env /*env*/, void* data, void* /*hint*/) {
  // SAFETY: the owner object is unreachable, so JavaScript no longer holds this id.
  DropHolder(static_cast<Region*>(data), Holder::kOwner);
}

void FinalizeView(napi_env /*env*/, void* /*data*/, void* hint) {
  // SAFETY: the view's buffer is unreachable: nothing can read the memory through it.
  DropHolder(static_cast<Region*>(hint), Holder::kView);
}

// map(fd, offset, length, mode, owner) -> id | status. The region lives while `owner`
// (an object the host keeps beside the id) or a view of it is reachable: forgetting
// unmap() leaks nothing.
Napi::Value Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = IntArg(info, 0);
  uint64_t offset = 0;
  const size_t length = SizeArg(info, 2);
  const int mode = IntArg(info, 3);
  if (fd < 0 || !IntegerArg(info, 1, &offset) || mode < 0 || mode > 2 || length == 0 || length == kBadSize ||
      !info[4].IsObject()) {
    return Result(env, UV_EINVAL);
  }

  void* address = nullptr;
  const Status status = MapFile(fd, offset, length, static_cast<Mode>(mode), &address);
  if (status != 0) return Result(env, status);

  Region* region = AddRegion(address, length, static_cast<Mode>(mode));
  if (region == nullptr) {
    // SAFETY: just mapped above and named by nothing else.
    UnmapFile(address, length);
    return Result(env, UV_ENOMEM);
  }
  // SAFETY: the memory stays mapped until unmap() or until the owner and every view are
  // unreachable (regions.h). If the finalizer cannot be attached, nothing names the
  // region yet, so it is released here and only here.
  if (napi_add_finalizer(env, info[4], region, FinalizeOwner, nullptr, nullptr) != napi_ok) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    DropHolder(region, Holder::kOwner);
    return Result(env, UV_ENOMEM);
  }
  return Result(env, region->id);
}

// view(id) -> ArrayBuffer | status: the region's bytes, zero-copy. The host makes one
// per region and passes it to unmap(), which detaches it.
Napi::Value View(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Region* region = RegionOf(env, info[0]);
  if (region == nullptr || !region->usable() || region->guest) return Result(env, UV_EBADF);
  if (refuse_external_buffers) return Result(env, kNoExternalBuffers);
  napi_value buffer = nullptr;
  // SAFETY: the region keeps the memory mapped while this buffer is reachable (its
  // finalizer drops the hold), and unmap() detaches the buffer before unmapping.
  const napi_status made =
      napi_create_external_arraybuffer(env, region->address, region->length, FinalizeView, region, &buffer);
  if (made != napi_ok) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    return Result(env, made == napi_no_external_buffers_allowed ? kNoExternalBuffers : UV_ENOMEM);
  }
  AddHolder(region, Holder::kView);
  return Napi::Value(env, buffer);
}

// Detaches `value` if it is a live buffer over the region's memory; true if it did.
bool DetachView(napi_env env, const Region* region, napi_value value) {
  bool is_buffer = false;
  void* data = nullptr;
  size_t length = 0;
  if (napi_is_arraybuffer(env, value, &is_buffer) != napi_ok || !is_buffer ||
      napi_get_arraybuffer_info(env, value, &data, &length) != napi_ok || data != region->address ||
      length != region->length) {
    return false;
  }
  if (napi_detach_arraybuffer(env, value) == napi_ok) return true;
  napi_value ignored;
  napi_get_and_clear_last_exception(env, &ignored);
  return false;
}

// unmap(id, view?) -> status. Detaches the region's view buffer first, so every view of it
// reads as length 0. If a view buffer may still read the memory (one not given here, or
// moved to another thread by a runtime that transfers external buffers, as Deno does),
// the memory stays mapped until that buffer is garbage; no call can use it meanwhile.
Napi::Value Unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Region* region = RegionOf(env, info[0]);
  if (region == nullptr || region->guest) return Result(env, UV_EBADF);
  if (!region->usable()) return Result(env, 0);
  const bool others_may_read = region->views > 0 && !DetachView(env, region, info[1]);
  // SAFETY: no buffer that JavaScript can reach reads the memory once it is unmapped:
  // RequestUnmap leaves it mapped while others may read, and a running flush keeps it.
  return Result(env, RequestUnmap(region, others_may_read));
}

// sync(id, offset, length, fd) -> status
Napi::Value Sync(const Napi::CallbackInfo& info) {
  Span span = SpanOf(info);
  if (span.status != 0) return Result(info.Env(), span.status);
  // SAFETY: the span lies inside a live region and starts on a page boundary (core).
  return Result(info.Env(), SyncRange(span.address, span.length, IntArg(info, 3)));
}

// Flushes off the main thread. The region is held until the flush is done, so neither
// unmap() nor the collection of its owner can pull the memory away.
// Raw N-API on purpose: when a worker thread is terminated mid-flush, the completion
// runs while its environment shuts down, where node-addon-api's wrappers would turn the
// refused promise resolution into a fatal error.
struct FlushJob {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  Span span;
  int fd = -1;
};

void ExecuteFlush(napi_env /*env*/, void* data) {
  auto* job = static_cast<FlushJob*>(data);
  // SAFETY: the region is held (see above) and the span was checked.
  job->span.status = SyncRange(job->span.address, job->span.length, job->fd);
}

void CompleteFlush(napi_env env, napi_status /*status*/, void* data) {
  auto* job = static_cast<FlushJob*>(data);
  DropHolder(job->span.region, Holder::kFlush);
  // During an environment's shutdown these calls fail; then nobody is left to tell.
  napi_value result = nullptr;
  if (napi_create_double(env, job->span.status, &result) == napi_ok) {
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  delete job;
}

// syncAsync(id, offset, length, fd) -> Promise<status>
Napi::Value SyncAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* job = new FlushJob();
  job->span = SpanOf(info);
  job->fd = IntArg(info, 3);
  napi_value promise = nullptr;
  napi_value name = nullptr;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) {
    delete job;
    return env.Undefined();
  }
  if (job->span.status == 0 &&
      napi_create_string_utf8(env, "mmap_wasi.flush", NAPI_AUTO_LENGTH, &name) == napi_ok &&
      napi_create_async_work(env, nullptr, name, ExecuteFlush, CompleteFlush, job, &job->work) == napi_ok) {
    AddHolder(job->span.region, Holder::kFlush);
    if (napi_queue_async_work(env, job->work) == napi_ok) return Napi::Value(env, promise);
    DropHolder(job->span.region, Holder::kFlush);
    napi_delete_async_work(env, job->work);
  }
  napi_value status = nullptr;
  napi_create_double(env, job->span.status != 0 ? job->span.status : UV_EIO, &status);
  napi_resolve_deferred(env, job->deferred, status);
  delete job;
  return Napi::Value(env, promise);
}

// advise(id, offset, length, action) -> status
Napi::Value Advise(const Napi::CallbackInfo& info) {
  Span span = SpanOf(info);
  if (span.status != 0) return Result(info.Env(), span.status);
  const auto action = static_cast<Action>(IntArg(info, 3));
  // SAFETY: page-aligned span inside a live region; the action came from the core's table,
  // and an unknown one is ENOSYS in the platform's flag table.
  return Result(info.Env(), AdviseRange(span.address, span.length, action));
}

// residentPages(id, offset, length) -> count | status
Napi::Value ResidentPages(const Napi::CallbackInfo& info) {
  Span span = SpanOf(info);
  if (span.status != 0) return Result(info.Env(), span.status);
  uint64_t resident = 0;
  // SAFETY: page-aligned span inside a live region; mincore only reads page tables.
  const Status status = CountResidentPages(span.address, span.length, &resident);
  return Result(info.Env(), status != 0 ? status : static_cast<double>(resident));
}

// lock(id, offset, length) / unlock(...) -> status
Napi::Value Lock(const Napi::CallbackInfo& info) {
  Span span = SpanOf(info);
  if (span.status != 0) return Result(info.Env(), span.status);
  // SAFETY: page-aligned span inside a live region.
  return Result(info.Env(), LockRange(span.address, span.length, span.region->mode));
}

Napi::Value Unlock(const Napi::CallbackInfo& info) {
  Span span = SpanOf(info);
  if (span.status != 0) return Result(info.Env(), span.status);
  // SAFETY: page-aligned span inside a live region.
  return Result(info.Env(), UnlockRange(span.address, span.length));
}

// setSplitAreas(id, count) -> status: how many extra areas the mapping this region starts
// now has; they count until it is unmapped.
Napi::Value SetSplitAreas(const Napi::CallbackInfo& info) {
  Region* region = RegionOf(info.Env(), info[0]);
  if (region == nullptr || !region->usable()) return Result(info.Env(), UV_EBADF);
  uint64_t count = 0;
  if (!IntegerArg(info, 1, &count)) return Result(info.Env(), UV_EINVAL);
  SetSplits(region, static_cast<int64_t>(count));
  return Result(info.Env(), 0);
}

// areasInUse() -> the kernel areas mappings use in this process: regions plus splits.
Napi::Value AreasInUse(const Napi::CallbackInfo& info) {
  return Result(info.Env(), static_cast<double>(AreasMapped()));
}

// guestGuards() -> guest regions whose guard range the fault guard looks at (for tests).
Napi::Value GuestGuards(const Napi::CallbackInfo& info) {
  return Result(info.Env(), static_cast<double>(GuestGuardsPublished()));
}

// mappedBytes() -> bytes of address space that live regions take, in every thread.
Napi::Value MappedBytes(const Napi::CallbackInfo& info) {
  return Result(info.Env(), static_cast<double>(BytesMapped()));
}

// An ArrayBuffer over static memory of the addon's, or a status: kNoExternalBuffers where
// the runtime refuses external buffers.
Napi::Value StaticBuffer(Napi::Env env, void* data, size_t length) {
  if (refuse_external_buffers) return Result(env, kNoExternalBuffers);
  napi_value buffer = nullptr;
  // SAFETY: `data` is static: it lives as long as the process and nothing frees it.
  const napi_status made = napi_create_external_arraybuffer(env, data, length, nullptr, nullptr, &buffer);
  if (made != napi_ok) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    return Result(env, made == napi_no_external_buffers_allowed ? kNoExternalBuffers : UV_ENOMEM);
  }
  return Napi::Value(env, buffer);
}

// lossTable() -> ArrayBuffer | status: lost_from (regions.h) for a Float64Array, which
// JavaScript reads after each copy it makes itself.
Napi::Value LossTable(const Napi::CallbackInfo& info) { return StaticBuffer(info.Env(), lost_from, sizeof lost_from); }

// lossCounter() -> ArrayBuffer | status: pages_lost (regions.h) for a Uint32Array, which
// JavaScript only reads.
Napi::Value LossCounter(const Napi::CallbackInfo& info) {
  return StaticBuffer(info.Env(), &pages_lost, sizeof pages_lost);
}

// pagesLost() -> count: pages_lost, where no buffer can be made over it.
Napi::Value PagesLost(const Napi::CallbackInfo& info) {
  return Result(info.Env(), static_cast<double>(pages_lost.load(std::memory_order_relaxed)));
}

// lostFrom(id) -> offset | status: the region's lowest lost page, or Infinity (regions.h).
Napi::Value LostFrom(const Napi::CallbackInfo& info) {
  Region* region = RegionOf(info.Env(), info[0]);
  if (region == nullptr) return Result(info.Env(), UV_EBADF);
  return Result(info.Env(), lost_from[SlotOf(region->id)]);
}

// refuseExternalBuffers(on) -> undefined: for tests (see refuse_external_buffers).
Napi::Value RefuseExternalBuffers(const Napi::CallbackInfo& info) {
  refuse_external_buffers = info[0].ToBoolean().Value();
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------
// Guest mappings (ABI version 2): file pages placed inside a guest's linear memory.

// The guest regions placed in one WebAssembly.Memory, wrapped onto it. The memory owns
// them: when it is collected the engine frees its whole reservation, and with it the
// pages mapped there, so the finalizer only forgets the regions and never touches the
// addresses again (they may already belong to someone else).
struct GuestSpace {
  std::vector<uint32_t> ids;
};

void FinalizeGuestSpace(napi_env /*env*/, void* data, void* /*hint*/) {
  auto* space = static_cast<GuestSpace*>(data);
  for (uint32_t id : space->ids) {
    Region* region = FindRegion(id);
    // SAFETY: memory_gone: nothing is written to the address range any more.
    if (region != nullptr && region->guest) ReleaseGuestRegion(region, true);
  }
  delete space;
}

// The space of `memory` (an object); made and wrapped onto it on first use. Null if
// `memory` is not an object that can be wrapped.
GuestSpace* SpaceOf(napi_env env, napi_value memory, bool make) {
  napi_valuetype type;
  if (napi_typeof(env, memory, &type) != napi_ok || type != napi_object) return nullptr;
  void* data = nullptr;
  if (napi_unwrap(env, memory, &data) == napi_ok && data != nullptr) return static_cast<GuestSpace*>(data);
  napi_value ignored;
  napi_get_and_clear_last_exception(env, &ignored);
  if (!make) return nullptr;
  auto* space = new GuestSpace();
  if (napi_wrap(env, memory, space, FinalizeGuestSpace, nullptr, nullptr) != napi_ok) {
    napi_get_and_clear_last_exception(env, &ignored);
    delete space;
    return nullptr;
  }
  return space;
}

// The bytes of `memory.buffer`: false unless `memory` is a WebAssembly.Memory and its
// buffer a plain (not shared) ArrayBuffer.
bool MemoryBytes(napi_env env, napi_value memory, char** data, size_t* length) {
  // Only a WebAssembly.Memory: the guest calls map file pages over these bytes, which
  // must never be an ArrayBuffer that some other object owns.
  napi_valuetype type = napi_undefined;
  napi_value global = nullptr;
  napi_value webassembly = nullptr;
  napi_value memory_class = nullptr;
  bool is_memory = false;
  if (napi_typeof(env, memory, &type) != napi_ok || type != napi_object || napi_get_global(env, &global) != napi_ok ||
      napi_get_named_property(env, global, "WebAssembly", &webassembly) != napi_ok ||
      napi_get_named_property(env, webassembly, "Memory", &memory_class) != napi_ok ||
      napi_instanceof(env, memory, memory_class, &is_memory) != napi_ok || !is_memory) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    return false;
  }
  napi_value buffer = nullptr;
  bool is_buffer = false;
  void* bytes = nullptr;
  if (napi_get_named_property(env, memory, "buffer", &buffer) != napi_ok ||
      napi_is_arraybuffer(env, buffer, &is_buffer) != napi_ok || !is_buffer ||
      napi_get_arraybuffer_info(env, buffer, &bytes, length) != napi_ok) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    return false;
  }
  *data = static_cast<char*>(bytes);
  return true;
}

// guestBase(memory) -> address | status: where `memory`'s bytes start, so the host can
// see whether growing it moves them.
Napi::Value GuestBase(const Napi::CallbackInfo& info) {
  char* data = nullptr;
  size_t length = 0;
  if (!MemoryBytes(info.Env(), info[0], &data, &length)) return Result(info.Env(), UV_EINVAL);
  return Result(info.Env(), static_cast<double>(reinterpret_cast<uintptr_t>(data)));
}

// guestReserved(memory) -> 1 | 0 | status: 1 if the engine reserved `memory`'s whole
// 32-bit range (V8 and JavaScriptCore reserve guard regions or a red zone beyond it,
// Deno's V8 exactly 4 GiB), unused beyond its current end. Such a memory grows in place,
// and its range is unmapped when it is freed. JavaScriptCore makes a few memories that
// way and the rest in its malloc heap, where a grow moves them and a free hands the range
// to other allocations. A memory already 4 GiB long must have a page reserved beyond.
// The memory is alive, so guard ranges of earlier guest regions inside its range are
// stale (their memory was freed there); they are withdrawn.
Napi::Value GuestReserved(const Napi::CallbackInfo& info) {
  char* data = nullptr;
  size_t length = 0;
  if (!MemoryBytes(info.Env(), info[0], &data, &length)) return Result(info.Env(), UV_EINVAL);
  constexpr uint64_t kLimit = uint64_t{1} << 32;
  constexpr uint64_t kWasmPage = 65536;
  if (sizeof(size_t) < 8 || length > kLimit) return Result(info.Env(), 0);
  const uint64_t end = std::max<uint64_t>(kLimit, length + kWasmPage);
  // SAFETY: [data + length, data + end) is address space the addon does not own and may
  // be unmapped or inaccessible; IsInaccessibleReservation never loads from it, it only
  // asks the kernel (msync MS_ASYNC, write() to a pipe), which answers with an errno, not
  // a signal. `data` stays valid: the memory object is alive for this call.
  const bool reserved = IsInaccessibleReservation(data + length, static_cast<size_t>(end - length));
  const GuestSpace* space = SpaceOf(info.Env(), info[0], false);
  WithdrawStaleGuestGuards(data, static_cast<size_t>(reserved ? end : length), space != nullptr ? &space->ids : nullptr);
  return Result(info.Env(), reserved ? 1 : 0);
}

// guestMap(memory, start, length, fd, offset, shared) -> id | status: maps `length`
// bytes of `fd` from `offset` over bytes [start, start + length) of `memory`, whose base
// the host has seen stay put as the memory grows.
Napi::Value GuestMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t start = SizeArg(info, 1);
  const size_t length = SizeArg(info, 2);
  const int fd = IntArg(info, 3);
  uint64_t offset = 0;
  const size_t page = PageSize();
  char* data = nullptr;
  size_t size = 0;
  if (fd < 0 || !IntegerArg(info, 4, &offset) || start == kBadSize || length == kBadSize || length == 0 ||
      start % page != 0 || length % page != 0 || offset % page != 0 || !MemoryBytes(env, info[0], &data, &size) ||
      reinterpret_cast<uintptr_t>(data) % page != 0 || start > size || length > size - start) {
    return Result(env, UV_EINVAL);
  }
  GuestSpace* space = SpaceOf(env, info[0], true);
  if (space == nullptr) return Result(env, UV_EINVAL);
  const bool shared = info[5].ToBoolean().Value();
  // SAFETY: [start, start + length) lies inside the memory's current bytes (checked
  // above), page-aligned; the guest core handed this span to no other mapping and the
  // guest never had it. The space keeps the region until it is released or the memory
  // is collected.
  const Status status = MapFileAt(data + start, fd, offset, length, shared);
  if (status != 0) return Result(env, status);
  Region* region = AddGuestRegion(data + start, length, shared ? Mode::kReadWrite : Mode::kCopyOnWrite);
  if (region == nullptr) {
    ZeroRange(data + start, length);
    return Result(env, UV_ENOMEM);
  }
  space->ids.push_back(region->id);
  return Result(env, region->id);
}

// guestUnmap(memory, id) -> status: zero pages over a guest region, which is forgotten.
Napi::Value GuestUnmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GuestSpace* space = SpaceOf(env, info[0], false);
  Region* region = RegionOf(env, info[1]);
  if (space == nullptr || region == nullptr || !region->guest) return Result(env, UV_EBADF);
  auto found = std::find(space->ids.begin(), space->ids.end(), region->id);
  if (found == space->ids.end()) return Result(env, UV_EBADF);
  *found = space->ids.back();
  space->ids.pop_back();
  // SAFETY: the region belongs to this live memory (its space lists it).
  return Result(env, ReleaseGuestRegion(region, false));
}

// ---------------------------------------------------------------------------------------
// Copies: the per-read path (every guest read and Node readInto), so plain Node-API C
// callbacks without node-addon-api's wrapper objects. They throw nothing and call nothing
// back into JavaScript.

// Starts loading the first two cache lines of a span, so that a random page's cache and
// TLB miss overlaps the checks before the copy (2-3% on random 4 KiB reads); more lines
// measured no better.
void PrefetchStart(const Span& span, bool for_write) {
  for (size_t at = 0; at < span.length && at < 128; at += 64) PrefetchLine(span.address + at, for_write);
}

// copyOut(id, offset, length, target, targetOffset) -> status: mapping to target.
// copyIn(id, offset, length, source, sourceOffset) -> status: source to mapping.
template <bool kOut>
napi_value Copy(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  Status status = UV_EINVAL;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) == napi_ok && argc >= 5) {
    const Span span = SpanOf(env, argv[0], argv[1], argv[2]);
    char* bytes = nullptr;
    if (span.status != 0) {
      status = span.status;
    } else {
      PrefetchStart(span, !kOut);
      if (BytesOf(env, argv[3], SizeOf(env, argv[4]), span.length, &bytes)) {
        // An empty Uint8Array may have no memory at all (a null pointer), and memmove must
        // not see one. memmove: a view of the same mapping may be the other side.
        // SAFETY: the span lies in a live region and the other range in the Uint8Array; a
        // page lost to truncation reads as zeros (the fault guard), and is reported.
        if (span.length != 0) {
          if (kOut) std::memmove(bytes, span.address, span.length);
          else std::memmove(span.address, bytes, span.length);
        }
        const size_t offset = static_cast<size_t>(span.address - static_cast<char*>(span.region->address));
        status = ReachesLostPage(span.region, offset, span.length) ? kTruncated : 0;
      }
    }
  }
  napi_value result = nullptr;
  napi_create_int32(env, status, &result);
  return result;
}

Napi::Value CFunction(Napi::Env env, const char* name, napi_callback callback) {
  napi_value function = nullptr;
  NAPI_THROW_IF_FAILED(env, napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, nullptr, &function),
                       Napi::Value());
  return Napi::Value(env, function);
}

// ---------------------------------------------------------------------------------------
// Files.

// readFile(fd, position, length, target, targetOffset) -> bytes read | status (pread).
Napi::Value ReadFileCall(const Napi::CallbackInfo& info) {
  const int fd = IntArg(info, 0);
  uint64_t position = 0;
  const size_t length = SizeArg(info, 2);
  char* target = nullptr;
  if (!IntegerArg(info, 1, &position) || length == kBadSize ||
      !BytesOf(info.Env(), info[3], SizeArg(info, 4), length, &target)) {
    return Result(info.Env(), UV_EINVAL);
  }
  size_t read = 0;
  // SAFETY: the target range was checked to lie inside the Uint8Array.
  const Status status = ReadAt(fd, position, target, length, &read);
  return Result(info.Env(), status != 0 ? status : static_cast<double>(read));
}

// fileInfo(fd, out: Float64Array(5)) -> status; out = [size, device, isDirectory, isRegular, links].
// One fstat, and no Stats object: opening a mapping is mostly system calls, so each counts.
Napi::Value FileInfoCall(const Napi::CallbackInfo& info) {
  const int fd = IntArg(info, 0);
  if (!info[1].IsTypedArray()) return Result(info.Env(), UV_EINVAL);
  Napi::TypedArray out = info[1].As<Napi::TypedArray>();
  if (out.TypedArrayType() != napi_float64_array || out.ElementLength() < 5) return Result(info.Env(), UV_EINVAL);
  FileInfo about{};
  const Status status = GetFileInfo(fd, &about);
  if (status != 0) return Result(info.Env(), status);
  Napi::Float64Array values = out.As<Napi::Float64Array>();
  // SAFETY: the Float64Array was checked to hold at least five elements.
  values[0] = static_cast<double>(about.size);
  values[1] = static_cast<double>(about.device);
  values[2] = about.is_directory ? 1 : 0;
  values[3] = about.is_regular ? 1 : 0;
  values[4] = static_cast<double>(about.links);
  return Result(info.Env(), 0);
}

// A string argument as UTF-8 for a system call, or false if it is not a string or holds
// a NUL byte (which would end the path early and name another file).
bool PathArg(const Napi::Value& value, std::string* path) {
  if (!value.IsString()) return false;
  *path = value.As<Napi::String>().Utf8Value();
  return path->find('\0') == std::string::npos;
}

// openBeneath(base, relative, flags) -> fd (>= 0) | status. See platform.h.
Napi::Value OpenBeneathCall(const Napi::CallbackInfo& info) {
  std::string base, relative;
  const int flags = IntArg(info, 2);
  if (!PathArg(info[0], &base) || !PathArg(info[1], &relative) || flags == kBadInt) {
    return Result(info.Env(), UV_EINVAL);
  }
  int fd = -1;
  // SAFETY: both paths are NUL-terminated strings that live until the call returns; the
  // kernel reads them and writes nothing of ours but the descriptor.
  const Status status = OpenBeneath(base.c_str(), relative.c_str(), flags, &fd);
  return Result(info.Env(), status != 0 ? status : fd);
}

// filesystemType(fd) -> type (>= 0) | status
Napi::Value FilesystemTypeCall(const Napi::CallbackInfo& info) {
  uint64_t type = 0;
  // SAFETY: touches no memory of ours; a bad fd is the kernel's EBADF.
  const Status status = GetFilesystemType(IntArg(info, 0), &type);
  return Result(info.Env(), status != 0 ? status : static_cast<double>(type));
}

// adviseFile(fd, offset, length, advice) -> status: page-cache advice for a whole file.
Napi::Value AdviseFileCall(const Napi::CallbackInfo& info) {
  uint64_t offset = 0;
  uint64_t length = 0;
  if (!IntegerArg(info, 1, &offset) || !IntegerArg(info, 2, &length)) return Result(info.Env(), UV_EINVAL);
  const auto advice = static_cast<FileAdvice>(IntArg(info, 3));
  // SAFETY: touches no memory of ours; a bad fd is the kernel's EBADF, a bad advice EINVAL.
  return Result(info.Env(), AdviseFile(IntArg(info, 0), offset, length, advice));
}

Napi::Value PageSizeCall(const Napi::CallbackInfo& info) {
  return Result(info.Env(), static_cast<double>(PageSize()));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("map", Napi::Function::New(env, Map, "map"));
  exports.Set("view", Napi::Function::New(env, View, "view"));
  exports.Set("unmap", Napi::Function::New(env, Unmap, "unmap"));
  exports.Set("sync", Napi::Function::New(env, Sync, "sync"));
  exports.Set("syncAsync", Napi::Function::New(env, SyncAsync, "syncAsync"));
  exports.Set("advise", Napi::Function::New(env, Advise, "advise"));
  exports.Set("residentPages", Napi::Function::New(env, ResidentPages, "residentPages"));
  exports.Set("lock", Napi::Function::New(env, Lock, "lock"));
  exports.Set("unlock", Napi::Function::New(env, Unlock, "unlock"));
  exports.Set("adviseFile", Napi::Function::New(env, AdviseFileCall, "adviseFile"));
  exports.Set("pageSize", Napi::Function::New(env, PageSizeCall, "pageSize"));
  exports.Set("copyOut", CFunction(env, "copyOut", Copy<true>));
  exports.Set("copyIn", CFunction(env, "copyIn", Copy<false>));
  exports.Set("readFile", Napi::Function::New(env, ReadFileCall, "readFile"));
  exports.Set("fileInfo", Napi::Function::New(env, FileInfoCall, "fileInfo"));
  exports.Set("openBeneath", Napi::Function::New(env, OpenBeneathCall, "openBeneath"));
  exports.Set("filesystemType", Napi::Function::New(env, FilesystemTypeCall, "filesystemType"));
  exports.Set("guestBase", Napi::Function::New(env, GuestBase, "guestBase"));
  exports.Set("guestMap", Napi::Function::New(env, GuestMap, "guestMap"));
  exports.Set("guestReserved", Napi::Function::New(env, GuestReserved, "guestReserved"));
  exports.Set("guestGuards", Napi::Function::New(env, GuestGuards, "guestGuards"));
  exports.Set("guestUnmap", Napi::Function::New(env, GuestUnmap, "guestUnmap"));
  exports.Set("areasInUse", Napi::Function::New(env, AreasInUse, "areasInUse"));
  exports.Set("setSplitAreas", Napi::Function::New(env, SetSplitAreas, "setSplitAreas"));
  exports.Set("mappedBytes", Napi::Function::New(env, MappedBytes, "mappedBytes"));
  exports.Set("lossTable", Napi::Function::New(env, LossTable, "lossTable"));
  exports.Set("lossCounter", Napi::Function::New(env, LossCounter, "lossCounter"));
  exports.Set("pagesLost", Napi::Function::New(env, PagesLost, "pagesLost"));
  exports.Set("lostFrom", Napi::Function::New(env, LostFrom, "lostFrom"));
  exports.Set("REGION_SLOTS", Napi::Number::New(env, kRegionSlots));
  exports.Set("refuseExternalBuffers", Napi::Function::New(env, RefuseExternalBuffers, "refuseExternalBuffers"));
  exports.Set("ENOMEM", Napi::Number::New(env, UV_ENOMEM));
  exports.Set("TRUNCATED", Napi::Number::New(env, kTruncated));
  exports.Set("NO_EXTERNAL_BUFFERS", Napi::Number::New(env, kNoExternalBuffers));
  static std::once_flag guard_installed;
  std::call_once(guard_installed, [] { InstallFaultGuard(RecordLostPage); });
  return exports;
}

}  // namespace
}  // namespace mmap_wasi

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return mmap_wasi::Init(env, exports);
}

NODE_API_MODULE(mmap_wasi, InitAddon)
