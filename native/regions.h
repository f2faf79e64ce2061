// The table of mapped regions. JavaScript names a region by its id, a number, so that no
// native call has to find it through an engine-specific object; the id carries a
// generation, so a stale id never reaches a region mapped later in the same slot.
//
// A region is used from the thread of the environment that mapped it. It keeps its memory
// mapped while anything can still reach it: its owner object (the host keeps it beside
// the id), a view buffer over it, or a flush running on another thread. unmap() ends
// every use at once: it detaches the view first, and a running flush finishes the unmap.
#ifndef MMAP_WASI_REGIONS_H_
#define MMAP_WASI_REGIONS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "platform.h"

namespace mmap_wasi {

// The largest id: ids fit in a non-negative int32, so JavaScript passes them as small integers.
constexpr uint32_t kMaxRegionId = 0x7fffffff;

// A view() failure: the runtime refuses external buffers (Electron's memory cage), so the
// region cannot be exposed without a copy. Below every libuv error number, like kTruncated.
constexpr Status kNoExternalBuffers = kTruncated - 2;

struct Region {
  uint32_t id;
  void* address;
  size_t length;
  Mode mode;
  bool mapped;           // munmap has not run yet
  bool unmap_requested;  // unmap() was called: no call may use the memory any more
  bool until_unreachable;  // ...but a view may still read it: unmap once none can
  bool owner_alive;      // the owner object has not been collected
  std::atomic<int> views;  // view buffers not yet collected (one may die on another thread)
  int flushes;           // asynchronous flushes still running
  int64_t split_areas;   // extra kernel areas that advice or locks split this region into
  bool guest;            // a guest mapping: pages inside a guest's linear memory

  bool usable() const { return mapped && !unmap_requested; }
};

enum class Holder { kOwner, kView, kFlush };

// How many regions can be live at once; a region's slot is its id modulo this.
constexpr uint32_t kRegionSlots = 1u << 20;

// The slot of region `id` in the tables below (the id's low bits).
constexpr uint32_t SlotOf(uint32_t id) { return id & (kRegionSlots - 1); }

// For each slot, the offset in its region of the lowest page lost to truncation (the
// fault guard replaced it with zeros), or +infinity while nothing is lost. JavaScript
// reads it through a Float64Array after each copy it makes: a copy whose range ends past
// this value read zeros, or wrote bytes that are lost.
extern double lost_from[kRegionSlots];

// How many pages the fault guard has replaced with zeros, in any region, ever. JavaScript
// reads it through a Uint32Array to see cheaply whether anything was lost since it last
// looked; it wraps around.
extern std::atomic<uint32_t> pages_lost;
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "read as a plain uint32 from JavaScript");

// The fault guard's filter (platform.h): records a fault inside a live region and says so.
bool RecordLostPage(const void* address);

// True if [offset, offset + length) of the region reaches a lost page (never when empty).
bool ReachesLostPage(const Region* region, size_t offset, size_t length);

// Records a mapping just made, held by its owner; null if the table is full.
Region* AddRegion(void* address, size_t length, Mode mode);
// Records a guest mapping just placed in a guest's memory (MapFileAt). It has no owner
// object or view: the host releases it with ReleaseGuestRegion, or the finalizer of the
// guest's memory does. Its bytes are not counted as address space: the memory's own
// reservation holds them.
Region* AddGuestRegion(void* address, size_t length, Mode mode);
// Forgets a guest region. Unless `memory_gone` (the engine freed the guest's memory, and
// the address range may belong to someone else now), first puts zero pages over it.
Status ReleaseGuestRegion(Region* region, bool memory_gone);
// A live guest memory holds [address, address + length): a guest region whose guard range
// lies there, unless `keep` (that memory's own regions, or null) lists it, belongs to a
// memory the engine has freed, whose finalizer has not run yet. Withdraws those guard
// ranges from the fault guard; returns how many.
size_t WithdrawStaleGuestGuards(const void* address, size_t length, const std::vector<uint32_t>* keep);
// Guest regions whose guard range the fault guard still looks at.
int64_t GuestGuardsPublished();
// The region with this id, or null if there is none (also for an id whose region is gone).
Region* FindRegion(uint32_t id);

void AddHolder(Region* region, Holder holder);
// Drops one hold; unmaps the memory when nothing reaches it any more, and forgets the
// region when nothing can name it any more. The region may be gone on return.
void DropHolder(Region* region, Holder holder);
// unmap(): no call may use the region from now on. Unmaps now, when the last flush ends,
// or, if `others_may_read` (a view buffer it could not detach), once nothing can reach
// the region; returns the munmap status, or 0 if it is left for later.
Status RequestUnmap(Region* region, bool others_may_read);

void SetSplits(Region* region, int64_t count);
// Kernel areas that live regions take in every thread: regions plus their splits.
int64_t AreasMapped();
// Bytes of address space that live regions take, in every thread.
int64_t BytesMapped();

}  // namespace mmap_wasi

#endif  // MMAP_WASI_REGIONS_H_
