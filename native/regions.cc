// The region table (regions.h): a fixed array of slots read without locks, and a free list
// under a mutex for the rarer adds and removes.
#include "regions.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <mutex>
#include <vector>

namespace mmap_wasi {
namespace {

// 2^20 live regions, far above vm.max_map_count's default of 65530. The array is
// zero-initialized, so the pages of slots never used are never touched.
constexpr uint32_t kSlotBits = 20;
constexpr uint32_t kSlots = kRegionSlots;
static_assert(kSlots == 1u << kSlotBits, "a slot is the id's low bits");
constexpr uint32_t kGenerations = (kMaxRegionId >> kSlotBits) + 1;

std::atomic<Region*> slots[kSlots];

// The address ranges the fault guard looks at, one per slot, and how many slots were ever
// used: a signal handler reads them without locks. A range is published after its
// region is mapped and withdrawn before it is unmapped.
struct GuardRange {
  std::atomic<uintptr_t> begin;
  std::atomic<uintptr_t> end;
};
GuardRange guard_ranges[kSlots];
std::atomic<uint32_t> guard_limit{0};

void Publish(uint32_t slot, void* address, size_t length) {
  const auto begin = reinterpret_cast<uintptr_t>(address);
  guard_ranges[slot].end.store(0, std::memory_order_relaxed);
  guard_ranges[slot].begin.store(begin, std::memory_order_relaxed);
  guard_ranges[slot].end.store(begin + length, std::memory_order_release);
}

void Withdraw(uint32_t slot) { guard_ranges[slot].end.store(0, std::memory_order_release); }

std::mutex table_lock;
// Holds and unmaps: a view buffer moved to another thread (Deno transfers external
// buffers) is finalized on that thread. Never taken on the per-read path.
std::mutex lifetime_lock;
std::vector<uint32_t> free_slots;  // under table_lock
uint32_t slots_used = 0;           // under table_lock: slots below this were handed out
uint32_t next_generation = 0;      // under table_lock
// Guest regions whose guard range is published, by start address (under table_lock).
// Their memory's engine frees the range before the finalizer that forgets them can run:
// an address range handed out again is withdrawn from the fault guard at once.
struct GuestGuard {
  uintptr_t end;  // cppcheck-suppress unusedStructMember ; read through the map
  uint32_t id;    // cppcheck-suppress unusedStructMember
};
std::map<uintptr_t, GuestGuard> guest_guards;

// Counted here, not per environment, so that worker threads share one budget.
std::atomic<int64_t> live_regions{0};
std::atomic<int64_t> split_areas{0};
std::atomic<int64_t> mapped_bytes{0};

// Hides a region from the fault guard and takes it out of the counts, before its memory
// is unmapped or overwritten.
void StopCounting(Region* region) {
  Withdraw(SlotOf(region->id));
  region->mapped = false;
  live_regions--;
  if (!region->guest) mapped_bytes -= static_cast<int64_t>(region->length);
  split_areas -= region->split_areas;
  region->split_areas = 0;
}

Status Release(Region* region) {
  StopCounting(region);
  // SAFETY: address and length are exactly what MapFile returned, and `mapped` was true,
  // so this is the first and only unmap of this region; its callers checked that no
  // buffer or flush can reach the memory.
  return UnmapFile(region->address, region->length);
}

bool Unreachable(const Region* region) { return !region->owner_alive && region->views == 0; }

// Under table_lock: withdraws every guest region's guard range that overlaps
// [begin, end), a range that was just mapped anew or belongs to a live memory, except
// the regions `keep` lists (that memory's own); returns how many. Region objects are not
// touched: another thread may be forgetting them.
size_t WithdrawGuestGuards(uintptr_t begin, uintptr_t end, const std::vector<uint32_t>* keep) {
  size_t count = 0;
  auto at = guest_guards.lower_bound(end);
  while (at != guest_guards.begin()) {
    --at;
    // Published ranges never overlap one another, so their ends are sorted too.
    if (at->second.end <= begin) break;
    if (keep != nullptr && std::find(keep->begin(), keep->end(), at->second.id) != keep->end()) continue;
    Withdraw(SlotOf(at->second.id));
    at = guest_guards.erase(at);
    count++;
  }
  return count;
}

void Forget(Region* region) {
  const uint32_t slot = SlotOf(region->id);
  {
    std::lock_guard<std::mutex> hold(table_lock);
    if (region->guest) {
      auto at = guest_guards.find(reinterpret_cast<uintptr_t>(region->address));
      if (at != guest_guards.end() && at->second.id == region->id) guest_guards.erase(at);
    }
    slots[slot].store(nullptr, std::memory_order_release);
    free_slots.push_back(slot);
  }
  delete region;
}

}  // namespace

double lost_from[kRegionSlots];
std::atomic<uint32_t> pages_lost{0};

bool RecordLostPage(const void* address) {
  const auto at = reinterpret_cast<uintptr_t>(address);
  const uint32_t limit = guard_limit.load(std::memory_order_acquire);
  for (uint32_t slot = 0; slot < limit; slot++) {
    const uintptr_t end = guard_ranges[slot].end.load(std::memory_order_acquire);
    const uintptr_t begin = guard_ranges[slot].begin.load(std::memory_order_relaxed);
    if (at < begin || at >= end) continue;
    const auto page = static_cast<double>((at - begin) / PageSize() * PageSize());
    if (page < lost_from[slot]) lost_from[slot] = page;
    pages_lost.fetch_add(1, std::memory_order_relaxed);  // lock-free: fine in a signal handler
    return true;
  }
  return false;
}

bool ReachesLostPage(const Region* region, size_t offset, size_t length) {
  // An empty range touches no page, wherever it starts.
  return length != 0 && static_cast<double>(offset) + static_cast<double>(length) > lost_from[SlotOf(region->id)];
}

// Records a region just mapped. A guest region's bytes are not counted as address space:
// the guest memory's own reservation holds them.
static Region* NewRegion(void* address, size_t length, Mode mode, bool guest) {
  uint32_t slot = 0;
  uint32_t generation = 0;
  {
    std::lock_guard<std::mutex> hold(table_lock);
    if (!free_slots.empty()) {
      slot = free_slots.back();
      free_slots.pop_back();
    } else if (slots_used < kSlots) {
      slot = slots_used++;
    } else {
      return nullptr;
    }
    generation = next_generation;
    next_generation = (next_generation + 1) % kGenerations;
    uint32_t limit = guard_limit.load(std::memory_order_relaxed);
    if (slot >= limit) guard_limit.store(slot + 1, std::memory_order_release);
    // The range was just mapped: a guest region still published there is stale.
    const auto begin = reinterpret_cast<uintptr_t>(address);
    WithdrawGuestGuards(begin, begin + length, nullptr);
    lost_from[slot] = std::numeric_limits<double>::infinity();
    Publish(slot, address, length);
    if (guest) guest_guards[begin] = GuestGuard{begin + length, (generation << kSlotBits) | slot};
  }
  auto* region =
      new Region{(generation << kSlotBits) | slot, address, length, mode, true, false, false, true, 0, 0, 0, guest};
  live_regions++;
  if (!guest) mapped_bytes += static_cast<int64_t>(length);
  slots[slot].store(region, std::memory_order_release);
  return region;
}

Region* AddRegion(void* address, size_t length, Mode mode) { return NewRegion(address, length, mode, false); }

Region* AddGuestRegion(void* address, size_t length, Mode mode) { return NewRegion(address, length, mode, true); }

Status ReleaseGuestRegion(Region* region, bool memory_gone) {
  Status status = 0;
  {
    std::lock_guard<std::mutex> hold(lifetime_lock);
    StopCounting(region);
    // SAFETY: the range is exactly what MapFileAt mapped inside the guest's memory, which
    // is still alive (not memory_gone), so it is ours to overwrite with zeros.
    if (!memory_gone) status = ZeroRange(region->address, region->length);
  }
  Forget(region);
  return status;
}

size_t WithdrawStaleGuestGuards(const void* address, size_t length, const std::vector<uint32_t>* keep) {
  std::lock_guard<std::mutex> hold(table_lock);
  const auto begin = reinterpret_cast<uintptr_t>(address);
  return WithdrawGuestGuards(begin, begin + length, keep);
}

int64_t GuestGuardsPublished() {
  std::lock_guard<std::mutex> hold(table_lock);
  return static_cast<int64_t>(guest_guards.size());
}

Region* FindRegion(uint32_t id) {
  Region* region = slots[SlotOf(id)].load(std::memory_order_acquire);
  return region != nullptr && region->id == id ? region : nullptr;
}

void AddHolder(Region* region, Holder holder) {
  std::lock_guard<std::mutex> hold(lifetime_lock);
  if (holder == Holder::kView) region->views++;
  if (holder == Holder::kFlush) region->flushes++;
}

void DropHolder(Region* region, Holder holder) {
  std::unique_lock<std::mutex> hold(lifetime_lock);
  if (holder == Holder::kOwner) region->owner_alive = false;
  if (holder == Holder::kView) region->views--;
  if (holder == Holder::kFlush) region->flushes--;
  if (region->flushes > 0) return;
  const bool unmap_now = region->unmap_requested && !region->until_unreachable;
  if (region->mapped && (unmap_now || Unreachable(region))) Release(region);
  if (!Unreachable(region)) return;
  hold.unlock();  // nothing can reach the region any more
  Forget(region);
}

Status RequestUnmap(Region* region, bool others_may_read) {
  std::lock_guard<std::mutex> hold(lifetime_lock);
  region->unmap_requested = true;
  region->until_unreachable = others_may_read;
  if (!region->mapped || region->flushes > 0 || others_may_read) return 0;
  return Release(region);
}

void SetSplits(Region* region, int64_t count) {
  split_areas += count - region->split_areas;
  region->split_areas = count;
}

int64_t AreasMapped() { return live_regions.load() + split_areas.load(); }

int64_t BytesMapped() { return mapped_bytes.load(); }

}  // namespace mmap_wasi
