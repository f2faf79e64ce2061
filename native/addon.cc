// The JavaScript surface of the addon, the same on every platform: node-addon-api, and
// V8 directly where N-API's cost per call shows (the copies, reading size and buffer
// arguments, the mapping's ArrayBuffer and its region field). It only executes
// operations that the core (build/core.wasm) has already checked; the platform file
// (posix.cc, win32.cc or unsupported.cc) makes the system calls.
//
// Every function returns a number: 0 or a count on success, a negative libuv error
// number on failure. JavaScript turns that into an MmapError with errno and syscall.
#include <napi.h>
#include <uv.h>
#include <v8.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>

#include "platform.h"

namespace mmap_wasi {
namespace {

// One mapped segment, kept in an embedder field of the ArrayBuffer that exposes it (see
// RegionOf), so that every native call can find it from the buffer alone, and freed by a
// finalizer of that buffer.
struct Region {
  void* address;
  size_t length;
  Mode mode;
  bool mapped;
  int pins;                // asynchronous flushes still using the region
  bool unmapWhenUnpinned;  // unmap() came while pinned: finish it when the last pin goes
  bool finalized;          // the buffer was collected while pinned: the last pin frees it
  int64_t split_areas;     // extra kernel areas that advice or locks split this region into
};

// Regions mapped and not yet unmapped, and the extra areas advice split them into, in
// every thread of the process: the host keeps their sum below vm.max_map_count, which
// the JavaScript engine needs room under too. Counted here, not per thread, so that
// workers share one budget; a region's splits go when it is unmapped or collected.
std::atomic<int64_t> live_regions{0};
std::atomic<int64_t> split_areas{0};
// Bytes of address space those regions take, for the host's address-space budget.
std::atomic<int64_t> mapped_bytes{0};

Status Release(Region* region) {
  if (!region->mapped) return 0;
  region->mapped = false;
  live_regions--;
  mapped_bytes -= static_cast<int64_t>(region->length);
  split_areas -= region->split_areas;
  region->split_areas = 0;
  // SAFETY: address and length are exactly what MapFile returned, and `mapped` was true,
  // so this is the first and only unmap of this region.
  return UnmapFile(region->address, region->length);
}

// Runs once, when the ArrayBuffer is garbage: no view of it can be used any more.
void FinalizeRegion(napi_env /*env*/, void* data, void* /*hint*/) {
  Region* region = static_cast<Region*>(data);
  // A flush keeps the buffer alive, so a pinned region is finalized only when its
  // environment shuts down; then the flush may still be running, and its completion
  // releases the region instead.
  if (region->pins > 0) {
    region->finalized = true;
    return;
  }
  // SAFETY: unpinned, and the buffer is unreachable: nothing else uses the memory.
  Release(region);
  delete region;
}

// The region is kept in the ArrayBuffer's first embedder field: reading it is a load,
// where napi_unwrap is a property lookup on every call. V8 starts the field of every
// other ArrayBuffer at zero, so a buffer that is not a mapping has no region.
static_assert(v8::ArrayBuffer::kEmbedderFieldCount >= 1, "ArrayBuffers need an embedder field");

// Node builds V8 with a Local that is the address of a handle slot; a V8 that passes
// object addresses directly would break the casts between napi_value and Local.
#ifdef V8_ENABLE_DIRECT_LOCAL
#error "mmap-wasi casts napi_value to v8::Local, which needs V8 without direct locals"
#endif

v8::Local<v8::Value> AsV8(napi_value value) {
  v8::Local<v8::Value> local;
  // SAFETY: the inverse of the cast in UncountedArrayBuffer (Node's own
  // V8LocalValueFromJsValue is this copy); the Local is used only inside the callback
  // whose handle scope holds the value.
  static_assert(sizeof(local) == sizeof(value), "a napi_value is a Local's slot address");
  std::memcpy(static_cast<void*>(&local), &value, sizeof(value));
  return local;
}

// The arguments are read through V8 directly rather than one napi_get_value_* call
// each: the copies below run once per guest read, and every nanosecond there shows.
Region* RegionOf(v8::Local<v8::Value> value) {
  if (!value->IsArrayBuffer()) return nullptr;
  return static_cast<Region*>(value.As<v8::Object>()->GetAlignedPointerFromInternalField(0));
}

// Sizes and offsets arrive as numbers the core has checked: non-negative safe integers.
// Anything else (NaN, a fraction, a negative or huge number, another type) is refused
// here too, since casting such a double to an integer is undefined behaviour.
bool SafeIntegerOf(v8::Local<v8::Value> value, uint64_t* integer) {
  if (!value->IsNumber()) return false;
  const double number = value.As<v8::Number>()->Value();
  // Written so that NaN fails too.
  if (!(number >= 0 && number <= 9007199254740991.0 && std::trunc(number) == number)) return false;
  *integer = static_cast<uint64_t>(number);
  return true;
}

// What every range check refuses: a size that is not a safe integer, or too large for
// this platform's size_t.
constexpr size_t kBadSize = std::numeric_limits<size_t>::max();

size_t SizeOf(v8::Local<v8::Value> value) {
  uint64_t integer = 0;
  if (!SafeIntegerOf(value, &integer) || integer >= kBadSize) return kBadSize;
  return static_cast<size_t>(integer);
}

size_t SizeArg(const Napi::CallbackInfo& info, size_t index) { return SizeOf(AsV8(info[index])); }

// An offset or count argument: false unless it is a non-negative safe integer.
bool IntegerArg(const Napi::CallbackInfo& info, size_t index, uint64_t* integer) {
  return SafeIntegerOf(AsV8(info[index]), integer);
}

// The bytes [offset, offset + length) of a live region, from arguments (buffer, offset,
// length). The core checked the range against the mapping; this second look only keeps
// a bug in the host from becoming a wild pointer.
struct Span {
  Region* region = nullptr;
  char* address = nullptr;
  size_t length = 0;
  Status status = 0;
};

Span SpanOf(v8::Local<v8::Value> buffer, size_t offset, size_t length) {
  Span span;
  span.region = RegionOf(buffer);
  if (span.region == nullptr || !span.region->mapped || span.region->unmapWhenUnpinned) {
    span.status = UV_EBADF;
    return span;
  }
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

Span SpanOf(const Napi::CallbackInfo& info) { return SpanOf(AsV8(info[0]), SizeArg(info, 1), SizeArg(info, 2)); }

Napi::Number Result(const Napi::Env& env, double value) { return Napi::Number::New(env, value); }

// fileInfo(fd, out: Float64Array(5)) -> status; out = [size, device, isDirectory, isRegular, links].
// One fstat, and no Stats object: opening a mapping is mostly system calls, so each counts.
Napi::Value FileInfoCall(const Napi::CallbackInfo& info) {
  const int fd = info[0].As<Napi::Number>().Int32Value();
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
  if (!PathArg(info[0], &base) || !PathArg(info[1], &relative) || !info[2].IsNumber()) {
    return Result(info.Env(), UV_EINVAL);
  }
  int fd = -1;
  // SAFETY: both paths are NUL-terminated strings that live until the call returns; the
  // kernel reads them and writes nothing of ours but the descriptor.
  const Status status = OpenBeneath(base.c_str(), relative.c_str(), info[2].As<Napi::Number>().Int32Value(), &fd);
  return Result(info.Env(), status != 0 ? status : fd);
}

// filesystemType(fd) -> type (>= 0) | status
Napi::Value FilesystemTypeCall(const Napi::CallbackInfo& info) {
  uint64_t type = 0;
  // SAFETY: touches no memory of ours; a bad fd is the kernel's EBADF.
  const Status status = GetFilesystemType(info[0].As<Napi::Number>().Int32Value(), &type);
  return Result(info.Env(), status != 0 ? status : static_cast<double>(type));
}

// An ArrayBuffer over `length` bytes at `address` that V8 does not count as memory it
// allocated. napi_create_external_arraybuffer reports every mapping to V8 as new external
// memory, so mapping a large file triggers a full garbage collection nearly every time
// (an open + close of a 256 MiB file cost 40 times fs.openSync + closeSync). A mapping
// is file pages the kernel manages, not heap, so it is created here without that report.
napi_value UncountedArrayBuffer(void* address, size_t length) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (isolate == nullptr) return nullptr;
  std::unique_ptr<v8::BackingStore> store =
      v8::ArrayBuffer::NewBackingStore(address, length, v8::BackingStore::EmptyDeleter, nullptr);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  // SAFETY: a napi_value is, in every Node release, the address of a v8::Local<Value>'s
  // slot in the current handle scope (Node's own JsValueFromV8LocalValue is this cast),
  // and a callback runs inside such a scope.
  return reinterpret_cast<napi_value>(*buffer);
}

// map(fd, offset, length, mode) -> ArrayBuffer | status
Napi::Value Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  uint64_t offset = 0;
  const size_t length = SizeArg(info, 2);
  const int mode = info[3].As<Napi::Number>().Int32Value();
  if (!IntegerArg(info, 1, &offset) || mode < 0 || mode > 2 || length == 0 || length == kBadSize) {
    return Result(env, UV_EINVAL);
  }

  void* address = nullptr;
  const Status status = MapFile(fd, offset, length, static_cast<Mode>(mode), &address);
  if (status != 0) return Result(env, status);

  auto* region = new Region{address, length, static_cast<Mode>(mode), true, 0, false, false, 0};
  live_regions++;
  mapped_bytes += static_cast<int64_t>(length);
  napi_value buffer = nullptr;
  // SAFETY: the memory stays mapped until Release, which runs from unmap() after the
  // buffer is detached, or from the finalizer once the buffer is unreachable. The backing
  // store has no deleter of its own: the region's finalizer owns the mapping, so a
  // failure here cannot free it twice. The region is stored in the buffer only once the
  // finalizer is in place, so a buffer never names a region that is gone.
  buffer = UncountedArrayBuffer(address, length);
  if ((buffer == nullptr &&
       napi_create_external_arraybuffer(env, address, length, nullptr, nullptr, &buffer) != napi_ok) ||
      napi_add_finalizer(env, buffer, region, FinalizeRegion, nullptr, nullptr) != napi_ok) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    Release(region);
    delete region;
    return Result(env, UV_ENOMEM);
  }
  AsV8(buffer).As<v8::Object>()->SetAlignedPointerInInternalField(0, region);
  return Napi::Value(env, buffer);
}

// unmap(buffer) -> status. Detaches first, so every view reads as length 0.
Napi::Value Unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Region* region = RegionOf(AsV8(info[0]));
  if (region == nullptr) return Result(env, UV_EBADF);
  if (!region->mapped || region->unmapWhenUnpinned) return Result(env, 0);
  info[0].As<Napi::ArrayBuffer>().Detach();
  if (region->pins > 0) {
    region->unmapWhenUnpinned = true;
    return Result(env, 0);
  }
  return Result(env, Release(region));
}

// sync(buffer, offset, length, fd) -> status
Napi::Value Sync(const Napi::CallbackInfo& info) {
  Span span = SpanOf(info);
  if (span.status != 0) return Result(info.Env(), span.status);
  // SAFETY: the span lies inside a live region and starts on a page boundary (core).
  return Result(info.Env(), SyncRange(span.address, span.length, info[3].As<Napi::Number>().Int32Value()));
}

// Flushes off the main thread. The region is pinned, and the buffer referenced, until
// the flush is done, so neither unmap() nor the finalizer can pull the memory away.
// Raw N-API on purpose: when a worker thread is terminated mid-flush, the completion
// runs while its environment shuts down, where node-addon-api's wrappers would turn the
// refused promise resolution into a fatal error.
struct FlushJob {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  napi_ref buffer = nullptr;
  Span span;
  int fd = -1;
};

void Unpin(Region* region) {
  if (--region->pins > 0) return;
  if (region->unmapWhenUnpinned || region->finalized) Release(region);
  if (region->finalized) delete region;
}

void ExecuteFlush(napi_env /*env*/, void* data) {
  auto* job = static_cast<FlushJob*>(data);
  // SAFETY: the region is pinned (see above) and the span was checked.
  job->span.status = SyncRange(job->span.address, job->span.length, job->fd);
}

void CompleteFlush(napi_env env, napi_status /*status*/, void* data) {
  auto* job = static_cast<FlushJob*>(data);
  Unpin(job->span.region);
  // During an environment's shutdown these calls fail; then nobody is left to tell.
  napi_value result = nullptr;
  if (napi_create_double(env, job->span.status, &result) == napi_ok) {
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_reference(env, job->buffer);
  napi_delete_async_work(env, job->work);
  delete job;
}

// syncAsync(buffer, offset, length, fd) -> Promise<status>
Napi::Value SyncAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* job = new FlushJob();
  job->span = SpanOf(info);
  job->fd = info[3].As<Napi::Number>().Int32Value();
  napi_value promise = nullptr;
  napi_value name = nullptr;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) {
    delete job;
    return env.Undefined();
  }
  if (job->span.status == 0 &&
      napi_create_string_utf8(env, "mmap_wasi.flush", NAPI_AUTO_LENGTH, &name) == napi_ok &&
      napi_create_reference(env, info[0], 1, &job->buffer) == napi_ok &&
      napi_create_async_work(env, nullptr, name, ExecuteFlush, CompleteFlush, job, &job->work) == napi_ok) {
    job->span.region->pins++;
    if (napi_queue_async_work(env, job->work) == napi_ok) return Napi::Value(env, promise);
    job->span.region->pins--;
    napi_delete_async_work(env, job->work);
  }
  if (job->buffer != nullptr) napi_delete_reference(env, job->buffer);
  napi_value status = nullptr;
  napi_create_double(env, job->span.status != 0 ? job->span.status : UV_EIO, &status);
  napi_resolve_deferred(env, job->deferred, status);
  delete job;
  return Napi::Value(env, promise);
}

// advise(buffer, offset, length, action) -> status
Napi::Value Advise(const Napi::CallbackInfo& info) {
  Span span = SpanOf(info);
  if (span.status != 0) return Result(info.Env(), span.status);
  const auto action = static_cast<Action>(info[3].As<Napi::Number>().Int32Value());
  // SAFETY: page-aligned span inside a live region; the action came from the core's table.
  return Result(info.Env(), AdviseRange(span.address, span.length, action));
}

// residentPages(buffer, offset, length) -> count | status
Napi::Value ResidentPages(const Napi::CallbackInfo& info) {
  Span span = SpanOf(info);
  if (span.status != 0) return Result(info.Env(), span.status);
  uint64_t resident = 0;
  // SAFETY: page-aligned span inside a live region; mincore only reads page tables.
  const Status status = CountResidentPages(span.address, span.length, &resident);
  return Result(info.Env(), status != 0 ? status : static_cast<double>(resident));
}

// lock(buffer, offset, length) / unlock(...) -> status
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

// adviseFile(fd, offset, length, advice) -> status: page-cache advice for a whole file.
Napi::Value AdviseFileCall(const Napi::CallbackInfo& info) {
  const int fd = info[0].As<Napi::Number>().Int32Value();
  uint64_t offset = 0;
  uint64_t length = 0;
  if (!IntegerArg(info, 1, &offset) || !IntegerArg(info, 2, &length)) return Result(info.Env(), UV_EINVAL);
  const auto advice = static_cast<FileAdvice>(info[3].As<Napi::Number>().Int32Value());
  // SAFETY: touches no memory of ours; a bad fd is the kernel's EBADF.
  return Result(info.Env(), AdviseFile(fd, offset, length, advice));
}

// The bytes of a Uint8Array argument, or false if it is not one or [offset, offset +
// length) does not fit in it.
bool BytesOf(v8::Local<v8::Value> value, size_t offset, size_t length, char** bytes) {
  if (!value->IsUint8Array()) return false;
  v8::Local<v8::Uint8Array> array = value.As<v8::Uint8Array>();
  const size_t size = array->ByteLength();
  if (offset > size || length > size - offset) return false;
  // Buffer() moves a small array's bytes off the engine's heap first, so Data() stays put.
  *bytes = static_cast<char*>(array->Buffer()->Data()) + array->ByteOffset() + offset;
  return true;
}

// Starts loading the first two cache lines of a span, so that a random page's cache and
// TLB miss overlaps the checks before the copy (2-3% on random 4 KiB reads); more lines
// measured no better.
void PrefetchStart(const Span& span, bool for_write) {
  for (size_t at = 0; at < span.length && at < 128; at += 64) PrefetchLine(span.address + at, for_write);
}

// copyOut(buffer, offset, length, target, targetOffset) -> status: mapping to target.
// copyIn(buffer, offset, length, source, sourceOffset) -> status: source to mapping.
// Called by V8 directly, without N-API's wrapper (see V8Function): they are the per-read
// path. They throw nothing and call nothing back into JavaScript.
template <bool kOut>
void Copy(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Status status = UV_EINVAL;
  if (info.Length() >= 5) {
    const Span span = SpanOf(info[0], SizeOf(info[1]), SizeOf(info[2]));
    char* bytes = nullptr;
    if (span.status != 0) {
      status = span.status;
    } else {
      PrefetchStart(span, !kOut);
      if (BytesOf(info[3], SizeOf(info[4]), span.length, &bytes)) {
        // An empty Uint8Array may have no memory at all (a null pointer), and memmove must
        // not see one.
        // SAFETY: the span lies in a live region and the other range in the Uint8Array; a
        // fault in the span (file truncated) is caught and becomes kTruncated.
        status = span.length == 0 ? 0
                 : kOut           ? GuardedCopy(bytes, span.address, span.length, span.address)
                                  : GuardedCopy(span.address, bytes, span.length, span.address);
      }
    }
  }
  info.GetReturnValue().Set(static_cast<int32_t>(status));
}

// readFile(fd, position, length, target, targetOffset) -> bytes read | status (pread).
Napi::Value ReadFileCall(const Napi::CallbackInfo& info) {
  const int fd = info[0].As<Napi::Number>().Int32Value();
  uint64_t position = 0;
  const size_t length = SizeArg(info, 2);
  char* target = nullptr;
  if (!IntegerArg(info, 1, &position) || !BytesOf(AsV8(info[3]), SizeArg(info, 4), length, &target)) {
    return Result(info.Env(), UV_EINVAL);
  }
  size_t read = 0;
  // SAFETY: the target range was checked to lie inside the Uint8Array.
  const Status status = ReadAt(fd, position, target, length, &read);
  return Result(info.Env(), status != 0 ? status : static_cast<double>(read));
}

// areasInUse() -> the kernel areas mappings use in this process: regions plus splits.
Napi::Value AreasInUse(const Napi::CallbackInfo& info) {
  return Result(info.Env(), static_cast<double>(live_regions.load() + split_areas.load()));
}

// mappedBytes() -> bytes of address space that live regions take, in every thread.
Napi::Value MappedBytes(const Napi::CallbackInfo& info) {
  return Result(info.Env(), static_cast<double>(mapped_bytes.load()));
}

// setSplitAreas(buffer, count) -> status: how many extra areas the mapping this region
// starts now has; they count until it is unmapped.
Napi::Value SetSplitAreas(const Napi::CallbackInfo& info) {
  Region* region = RegionOf(AsV8(info[0]));
  if (region == nullptr || !region->mapped) return Result(info.Env(), UV_EBADF);
  uint64_t unsigned_count = 0;
  if (!IntegerArg(info, 1, &unsigned_count)) return Result(info.Env(), UV_EINVAL);
  const auto count = static_cast<int64_t>(unsigned_count);
  split_areas += count - region->split_areas;
  region->split_areas = count;
  return Result(info.Env(), 0);
}

Napi::Value PageSizeCall(const Napi::CallbackInfo& info) {
  return Result(info.Env(), static_cast<double>(PageSize()));
}

// A function that V8 calls directly: N-API's wrapper (a scope, an exception check and a
// status per argument access) costs about 7 ns of a 56 ns 64-byte copy.
Napi::Value V8Function(Napi::Env env, const char* name, v8::FunctionCallback callback) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  v8::Local<v8::Function> function;
  if (isolate == nullptr || !v8::Function::New(isolate->GetCurrentContext(), callback, v8::Local<v8::Value>(), 5,
                                                 v8::ConstructorBehavior::kThrow).ToLocal(&function)) {
    NAPI_THROW(Napi::Error::New(env, std::string("mmap-wasi: cannot create ") + name), Napi::Value());
  }
  function->SetName(v8::String::NewFromUtf8(isolate, name).ToLocalChecked());
  // SAFETY: as in UncountedArrayBuffer: a napi_value is a Local's slot address, and Init
  // runs inside a handle scope.
  return Napi::Value(env, reinterpret_cast<napi_value>(*function));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("map", Napi::Function::New(env, Map, "map"));
  exports.Set("unmap", Napi::Function::New(env, Unmap, "unmap"));
  exports.Set("sync", Napi::Function::New(env, Sync, "sync"));
  exports.Set("syncAsync", Napi::Function::New(env, SyncAsync, "syncAsync"));
  exports.Set("advise", Napi::Function::New(env, Advise, "advise"));
  exports.Set("residentPages", Napi::Function::New(env, ResidentPages, "residentPages"));
  exports.Set("lock", Napi::Function::New(env, Lock, "lock"));
  exports.Set("unlock", Napi::Function::New(env, Unlock, "unlock"));
  exports.Set("adviseFile", Napi::Function::New(env, AdviseFileCall, "adviseFile"));
  exports.Set("pageSize", Napi::Function::New(env, PageSizeCall, "pageSize"));
  exports.Set("copyOut", V8Function(env, "copyOut", Copy<true>));
  exports.Set("copyIn", V8Function(env, "copyIn", Copy<false>));
  exports.Set("readFile", Napi::Function::New(env, ReadFileCall, "readFile"));
  exports.Set("fileInfo", Napi::Function::New(env, FileInfoCall, "fileInfo"));
  exports.Set("openBeneath", Napi::Function::New(env, OpenBeneathCall, "openBeneath"));
  exports.Set("filesystemType", Napi::Function::New(env, FilesystemTypeCall, "filesystemType"));
  exports.Set("areasInUse", Napi::Function::New(env, AreasInUse, "areasInUse"));
  exports.Set("setSplitAreas", Napi::Function::New(env, SetSplitAreas, "setSplitAreas"));
  exports.Set("mappedBytes", Napi::Function::New(env, MappedBytes, "mappedBytes"));
  exports.Set("ENOMEM", Napi::Number::New(env, UV_ENOMEM));
  exports.Set("TRUNCATED", Napi::Number::New(env, kTruncated));
  static std::once_flag guard_installed;
  std::call_once(guard_installed, InstallFaultGuard);
  return exports;
}

}  // namespace
}  // namespace mmap_wasi

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return mmap_wasi::Init(env, exports);
}

NODE_API_MODULE(mmap_wasi, InitAddon)
