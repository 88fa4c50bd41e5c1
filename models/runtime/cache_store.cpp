#include "models/runtime/cache_store.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <new>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace archsim::models {

const std::vector<std::string>& eviction_names() {
  static const std::vector<std::string> names = {"lru", "fifo", "random", "lfu", "perfect_lfu", "none"};
  return names;
}

void check_store(const spec::Json& value, const spec::Path& path, spec::Errors& errors, const std::string& unbounded) {
  if (value.value("sliding_expiry", false) && !value.contains("ttl_s"))
    errors.add(path / "sliding_expiry", "changes nothing without a ttl_s");
  // (lru is the default, so only another policy can be told apart as given.)
  if (!value.contains("capacity_keys") && !value.contains("capacity_bytes") && value.value("eviction", "lru") != "lru" &&
      value["eviction"] != "none")
    errors.add(path / "eviction", "never happens: " + unbounded);
}

void* CacheStore::allocate_pages(std::size_t bytes) {
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  const std::size_t alignment = bytes >= kHugePage ? kHugePage : 64;
  const std::size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  void* memory = std::aligned_alloc(alignment, rounded);
  if (memory == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Advice only: where huge pages are off or scarce, nothing changes.
  if (alignment == kHugePage) madvise(memory, rounded, MADV_HUGEPAGE);
#endif
  return memory;
}

void CacheStore::free_pages(void* memory) { std::free(memory); }

template <class T>
void CacheStore::BlockArray<T>::grow() {
  const std::uint64_t n = std::uint64_t{1} << (kFirstBits + blocks_.size());
  blocks_.emplace_back(static_cast<T*>(allocate_pages(n * sizeof(T))));
  capacity_ += n;
}

CacheStore::CacheStore(const CacheStoreConfig& config, sim::Rng* random)
    : config_(config),
      capacity_keys_(config.capacity_keys.value_or(kMaxKeys)),
      capacity_bytes_(config.capacity_bytes.value_or(std::numeric_limits<std::uint64_t>::max())),
      random_(random) {
  assert(capacity_keys_ >= 1 && capacity_keys_ <= kMaxKeys);
  assert(capacity_bytes_ >= 1);
  assert(config.eviction != Eviction::Random || random != nullptr);
  index_ = PageArray<IndexSlot>(16, IndexSlot{0, kNone});
  index_mask_ = index_.size() - 1;
  if (config.eviction == Eviction::PerfectLfu) {
    history_ = PageArray<HistorySlot>(16, HistorySlot{0, 0});
    history_mask_ = history_.size() - 1;
  }
}

// ---- Operations -------------------------------------------------------------

CacheStore::Lookup CacheStore::expire(std::uint32_t id, std::uint64_t position) {
  remove(id, Removal::Expired, position);
  ++counters_.misses;
  return {nullptr, removed_};
}

CacheStore::Insert CacheStore::insert(std::uint64_t key, std::uint64_t version, std::uint32_t size_bytes,
                                      sim::Time now, sim::Time ttl, Dirty dirty) {
  assert(ttl >= sim::Time::zero());
  removed_.clear();
  if (const std::uint64_t position = find(key); position != kNoPosition) {
    const std::uint32_t id = index_[position].id;
    if (now < slots_[id].entry.expiry) return replace(id, version, size_bytes, now, ttl, dirty);
    // Its old version is dead: the insert stores a new entry.
    remove(id, Removal::Expired, position);
  }
  if (size_bytes > capacity_bytes_) {
    ++counters_.rejections;
    return {Outcome::TooLarge, nullptr, removed_};
  }
  if (!make_room(1, size_bytes, kNone, now)) {
    ++counters_.rejections;
    return {Outcome::NoRoom, nullptr, removed_};
  }
  if ((counters_.resident_keys + 1) * 4 > index_.size() * 3) grow_index();
  const std::uint32_t id = allocate_slot();
  Slot& slot = slots_[id];
  slot = Slot{kNone, kNone, CacheEntry{key, version, now + ttl, size_bytes, dirty == Dirty::Yes}, kNone, true};
  if (config_.sliding_expiry) ttl_[id] = ttl;
  index_add(tag_of(key), id);
  ++counters_.insertions;
  ++counters_.resident_keys;
  counters_.bytes_held += size_bytes;
  if (dirty == Dirty::Yes) ++counters_.dirty_keys;
  link(id);
  return {Outcome::Inserted, &slot.entry, removed_};
}

CacheStore::Insert CacheStore::replace(std::uint32_t id, std::uint64_t version, std::uint32_t size_bytes, sim::Time now,
                                       sim::Time ttl, Dirty dirty) {
  const std::uint32_t old_size = slots_[id].entry.size_bytes;
  const bool too_large = size_bytes > capacity_bytes_;
  if (too_large || (size_bytes > old_size && !make_room(0, size_bytes - old_size, id, now))) {
    remove(id, Removal::Invalidated);
    ++counters_.rejections;
    return {too_large ? Outcome::TooLarge : Outcome::NoRoom, nullptr, removed_};
  }
  Slot& slot = slots_[id];
  counters_.bytes_held = counters_.bytes_held - old_size + size_bytes;
  if (slot.entry.dirty) --counters_.dirty_keys;
  if (dirty == Dirty::Yes) ++counters_.dirty_keys;
  slot.entry.version = version;
  slot.entry.size_bytes = size_bytes;
  slot.entry.expiry = now + ttl;
  slot.entry.dirty = dirty == Dirty::Yes;
  if (config_.sliding_expiry) ttl_[id] = ttl;
  ++counters_.insertions;
  ++counters_.replacements;
  use(id);
  return {Outcome::Replaced, &slot.entry, removed_};
}

std::optional<RemovedEntry> CacheStore::erase(std::uint64_t key) {
  removed_.clear();
  const std::uint64_t position = find(key);
  if (position == kNoPosition) return std::nullopt;
  remove(index_[position].id, Removal::Invalidated, position);
  return removed_.back();
}

bool CacheStore::mark_clean(std::uint64_t key) {
  const std::uint64_t position = find(key);
  if (position == kNoPosition) return false;
  CacheEntry& entry = slots_[index_[position].id].entry;
  if (entry.dirty) --counters_.dirty_keys;
  entry.dirty = false;
  return true;
}

bool CacheStore::mark_clean(std::uint64_t key, std::uint64_t version) {
  const std::uint64_t position = find(key);
  if (position == kNoPosition || slots_[index_[position].id].entry.version != version) return false;
  return mark_clean(key);
}

const CacheEntry* CacheStore::peek(std::uint64_t key) const {
  const std::uint64_t position = find(key);
  return position == kNoPosition ? nullptr : &slots_[index_[position].id].entry;
}

bool CacheStore::make_room(std::uint64_t keys, std::uint64_t bytes, std::uint32_t keep, sim::Time now) {
  while (counters_.resident_keys + keys > capacity_keys_ || counters_.bytes_held + bytes > capacity_bytes_) {
    const std::uint32_t id = candidate(keep);
    // Only `keep` is left: it cannot happen unless under none, since the
    // callers checked that the entry alone fits.
    if (id == kNone) {
      assert(config_.eviction == Eviction::None);
      return false;
    }
    const bool expired = now >= slots_[id].entry.expiry;
    if (!expired && config_.eviction == Eviction::None) return false;
    remove(id, expired ? Removal::Expired : Removal::Evicted);
  }
  return true;
}

void CacheStore::remove(std::uint32_t id, Removal reason, std::uint64_t position) {
  Slot& slot = slots_[id];
  assert(slot.resident);
  if (removed_.size() == removed_.capacity()) ++growths_;
  removed_.push_back({slot.entry.key, slot.entry.version, slot.entry.size_bytes, slot.entry.dirty, reason});
  switch (reason) {
    case Removal::Evicted: ++counters_.evictions; break;
    case Removal::Expired: ++counters_.expirations; break;
    case Removal::Invalidated: ++counters_.invalidations; break;
    case Removal::Flushed: ++counters_.flushed; break;
  }
  unlink(id);
  index_remove(position == kNoPosition ? position_of(id) : position);
  --counters_.resident_keys;
  counters_.bytes_held -= slot.entry.size_bytes;
  if (slot.entry.dirty) --counters_.dirty_keys;
  slot.resident = false;
  slot.next = free_;
  free_ = id;
}

void CacheStore::clear() {
  for (std::uint32_t id = 0; id < slots_used_; ++id) {
    Slot& slot = slots_[id];
    if (!slot.resident) continue;
    if (config_.eviction == Eviction::PerfectLfu) history_put(slot.entry.key, heap_[slot.aux].count);
    slot.resident = false;
    ++counters_.flushed;
  }
  counters_.resident_keys = 0;
  counters_.bytes_held = 0;
  counters_.dirty_keys = 0;
  slots_used_ = 0;
  free_ = kNone;
  for (IndexSlot& s : index_) s.id = kNone;
  list_ = List{};
  dense_.clear();
  buckets_.clear();
  lowest_ = kNone;
  free_buckets_ = kNone;
  heap_.clear();
  removed_.clear();
}

std::uint32_t CacheStore::allocate_slot() {
  if (free_ != kNone) {
    const std::uint32_t id = free_;
    free_ = slots_[id].next;
    return id;
  }
  assert(slots_used_ < kMaxKeys);
  if (slots_used_ == slots_.capacity()) {
    slots_.grow();
    if (config_.sliding_expiry) ttl_.grow();
    ++growths_;
  }
  return slots_used_++;
}

void CacheStore::reserve(std::uint64_t keys) {
  assert(keys <= kMaxKeys);
  reserved_keys_ = std::max(reserved_keys_, keys);
  while (keys * 4 > index_.size() * 3) grow_index();
  while (slots_.capacity() < keys) {
    slots_.grow();
    if (config_.sliding_expiry) ttl_.grow();
  }
  if (config_.eviction == Eviction::Random) dense_.reserve(keys);
  // At most one bucket per resident entry, and one made before another is freed.
  if (config_.eviction == Eviction::Lfu) buckets_.reserve(keys + 1);
  if (config_.eviction == Eviction::PerfectLfu) heap_.reserve(keys);
}

std::uint64_t CacheStore::memory_bytes() const {
  return slots_.capacity() * sizeof(Slot) + ttl_.capacity() * sizeof(sim::Time) +
         index_.size() * sizeof(IndexSlot) + dense_.capacity() * sizeof(std::uint32_t) +
         buckets_.capacity() * sizeof(Bucket) + heap_.capacity() * sizeof(HeapItem) +
         history_.size() * sizeof(HistorySlot) + removed_.capacity() * sizeof(RemovedEntry);
}

// ---- The index: open addressing, linear probing ------------------------------
//
// An index slot holds the entry's number and the high half of its key's hash,
// whose low bits pick the home slot; a probe compares the tag first and reads
// the entry only when it matches, and removal shifts the following run back
// (no tombstones) using the tags alone.

std::uint64_t CacheStore::position_of(std::uint32_t id) const {
  for (std::uint64_t i = tag_of(slots_[id].entry.key) & index_mask_;; i = (i + 1) & index_mask_) {
    assert(index_[i].id != kNone);
    if (index_[i].id == id) return i;
  }
}

void CacheStore::index_add(std::uint32_t tag, std::uint32_t id) {
  std::uint64_t i = tag & index_mask_;
  while (index_[i].id != kNone) i = (i + 1) & index_mask_;
  index_[i] = IndexSlot{tag, id};
}

void CacheStore::index_remove(std::uint64_t position) {
  // Shift back each following slot of the run whose home is not in
  // (position, j]: it was placed past the hole and must stay reachable.
  std::uint64_t hole = position;
  for (std::uint64_t j = (hole + 1) & index_mask_; index_[j].id != kNone; j = (j + 1) & index_mask_) {
    const std::uint64_t home = index_[j].tag & index_mask_;
    if (((j - home) & index_mask_) >= ((j - hole) & index_mask_)) {
      index_[hole] = index_[j];
      hole = j;
    }
  }
  index_[hole].id = kNone;
}

void CacheStore::grow_index() {
  PageArray<IndexSlot> old(index_.size() * 2, IndexSlot{0, kNone});
  std::swap(old, index_);
  index_mask_ = index_.size() - 1;
  for (const IndexSlot& s : old)
    if (s.id != kNone) index_add(s.tag, s.id);
  ++growths_;
}

// ---- The policies -------------------------------------------------------------

void CacheStore::link(std::uint32_t id) {
  switch (config_.eviction) {
    case Eviction::Lru:
    case Eviction::Fifo:
    case Eviction::None: list_append(list_, id); break;
    case Eviction::Random:
      if (dense_.size() == dense_.capacity()) ++growths_;
      slots_[id].aux = static_cast<std::uint32_t>(dense_.size());
      dense_.push_back(id);
      break;
    case Eviction::Lfu: lfu_link(id); break;
    case Eviction::PerfectLfu: {
      // The insert is a use: one more than the key's count so far.
      const std::uint64_t count = history_get(slots_[id].entry.key) + 1;
      if (heap_.size() == heap_.capacity()) ++growths_;
      heap_.push_back(HeapItem{count, uses_++, id});
      slots_[id].aux = static_cast<std::uint32_t>(heap_.size() - 1);
      heap_sift_up(slots_[id].aux);
      break;
    }
  }
}

void CacheStore::use(std::uint32_t id) {
  switch (config_.eviction) {
    case Eviction::Lru:
      if (list_.tail != id) {
        list_remove(list_, id);
        list_append(list_, id);
      }
      break;
    case Eviction::Fifo:
    case Eviction::None:
    case Eviction::Random: break;
    case Eviction::Lfu: lfu_use(id); break;
    case Eviction::PerfectLfu: {
      const std::uint32_t position = slots_[id].aux;
      ++heap_[position].count;
      heap_[position].last_use = uses_++;
      heap_sift_down(position);
      break;
    }
  }
}

void CacheStore::unlink(std::uint32_t id) {
  switch (config_.eviction) {
    case Eviction::Lru:
    case Eviction::Fifo:
    case Eviction::None: list_remove(list_, id); break;
    case Eviction::Random: {
      const std::uint32_t position = slots_[id].aux;
      const std::uint32_t last = dense_.back();
      dense_[position] = last;
      slots_[last].aux = position;
      dense_.pop_back();
      break;
    }
    case Eviction::Lfu: lfu_unlink(id); break;
    case Eviction::PerfectLfu: {
      const std::uint32_t position = slots_[id].aux;
      history_put(slots_[id].entry.key, heap_[position].count);
      const HeapItem last = heap_.back();
      heap_.pop_back();
      if (position < heap_.size()) {
        heap_place(position, last);
        heap_sift_up(position);
        heap_sift_down(slots_[last.id].aux);
      }
      break;
    }
  }
}

std::uint32_t CacheStore::candidate(std::uint32_t keep) {
  switch (config_.eviction) {
    case Eviction::Lru:
    case Eviction::Fifo:
    case Eviction::None: {
      const std::uint32_t id = list_.head;
      return id != kNone && id == keep ? slots_[id].next : id;
    }
    case Eviction::Random: {
      // One draw, uniform over the resident entries other than `keep`.
      const std::uint64_t n = dense_.size();
      if (keep == kNone) return n == 0 ? kNone : dense_[random_->below(n)];
      if (n <= 1) return kNone;
      std::uint64_t i = random_->below(n - 1);
      if (i >= slots_[keep].aux) ++i;
      return dense_[i];
    }
    case Eviction::Lfu: {
      if (lowest_ == kNone) return kNone;
      std::uint32_t id = buckets_[lowest_].head;
      if (id != keep) return id;
      id = slots_[id].next;
      if (id != kNone) return id;
      const std::uint32_t higher = buckets_[lowest_].higher;
      return higher == kNone ? kNone : buckets_[higher].head;
    }
    case Eviction::PerfectLfu: {
      if (heap_.empty()) return kNone;
      if (heap_[0].id != keep) return heap_[0].id;
      // The least of the rest is one of the root's children.
      std::uint32_t best = kNone;
      for (std::uint32_t c = 1; c <= 4 && c < heap_.size(); ++c)
        if (best == kNone || heap_less(heap_[c], heap_[best])) best = c;
      return best == kNone ? kNone : heap_[best].id;
    }
  }
  return kNone;
}

// lfu: a bucket per count held by some resident entry, in a list by count;
// within a bucket, entries in the order they reached that count, which is
// the order of their last use. A use moves an entry to the tail of the next
// count's bucket, so the head of the lowest bucket is the least used and,
// among those, the least recently used. Every step is O(1).

void CacheStore::bucket_append(std::uint32_t bucket, std::uint32_t id) {
  Slot& slot = slots_[id];
  Bucket& b = buckets_[bucket];
  slot.prev = b.tail;
  slot.next = kNone;
  if (b.tail != kNone)
    slots_[b.tail].next = id;
  else
    b.head = id;
  b.tail = id;
  slot.aux = bucket;
}

void CacheStore::bucket_remove(std::uint32_t bucket, std::uint32_t id) {
  const Slot& slot = slots_[id];
  Bucket& b = buckets_[bucket];
  if (slot.prev != kNone)
    slots_[slot.prev].next = slot.next;
  else
    b.head = slot.next;
  if (slot.next != kNone)
    slots_[slot.next].prev = slot.prev;
  else
    b.tail = slot.prev;
}

std::uint32_t CacheStore::new_bucket(std::uint64_t count, std::uint32_t lower, std::uint32_t higher) {
  std::uint32_t bucket = free_buckets_;
  if (bucket != kNone) {
    free_buckets_ = buckets_[bucket].higher;
  } else {
    if (buckets_.size() == buckets_.capacity()) ++growths_;
    bucket = static_cast<std::uint32_t>(buckets_.size());
    buckets_.emplace_back();
  }
  buckets_[bucket] = Bucket{count, kNone, kNone, lower, higher};
  if (lower != kNone)
    buckets_[lower].higher = bucket;
  else
    lowest_ = bucket;
  if (higher != kNone) buckets_[higher].lower = bucket;
  return bucket;
}

void CacheStore::delete_bucket(std::uint32_t bucket) {
  const Bucket b = buckets_[bucket];
  assert(b.head == kNone);
  if (b.lower != kNone)
    buckets_[b.lower].higher = b.higher;
  else
    lowest_ = b.higher;
  if (b.higher != kNone) buckets_[b.higher].lower = b.lower;
  buckets_[bucket].higher = free_buckets_;
  free_buckets_ = bucket;
}

void CacheStore::lfu_link(std::uint32_t id) {
  std::uint32_t bucket = lowest_;
  if (bucket == kNone || buckets_[bucket].count != 1) bucket = new_bucket(1, kNone, lowest_);
  bucket_append(bucket, id);
}

void CacheStore::lfu_use(std::uint32_t id) {
  const std::uint32_t bucket = slots_[id].aux;
  const std::uint64_t count = buckets_[bucket].count;
  const std::uint32_t higher = buckets_[bucket].higher;
  const bool next_exists = higher != kNone && buckets_[higher].count == count + 1;
  if (!next_exists && buckets_[bucket].head == id && buckets_[bucket].tail == id) {
    // Alone at its count, and count + 1 is free: the bucket moves up with it.
    ++buckets_[bucket].count;
    return;
  }
  const std::uint32_t target = next_exists ? higher : new_bucket(count + 1, bucket, higher);
  bucket_remove(bucket, id);
  if (buckets_[bucket].head == kNone) delete_bucket(bucket);
  bucket_append(target, id);
}

void CacheStore::lfu_unlink(std::uint32_t id) {
  const std::uint32_t bucket = slots_[id].aux;
  bucket_remove(bucket, id);
  if (buckets_[bucket].head == kNone) delete_bucket(bucket);
}

// perfect_lfu: a 4-ary min-heap of the resident entries on (count, last
// use); `aux` is an entry's position. An insert enters at an arbitrary count
// (the key's count so far), which a list of buckets could only find by a
// walk, hence the heap: O(log n) a use, insert or removal. A use raises its
// entry's key, which sinks; hot keys sit near the leaves, where it is short.

void CacheStore::heap_place(std::uint32_t position, const HeapItem& item) {
  heap_[position] = item;
  slots_[item.id].aux = position;
}

void CacheStore::heap_sift_up(std::uint32_t position) {
  const HeapItem item = heap_[position];
  while (position > 0) {
    const std::uint32_t parent = (position - 1) / 4;
    if (!heap_less(item, heap_[parent])) break;
    heap_place(position, heap_[parent]);
    position = parent;
  }
  heap_place(position, item);
}

void CacheStore::heap_sift_down(std::uint32_t position) {
  const HeapItem item = heap_[position];
  const std::uint64_t n = heap_.size();
  for (;;) {
    const std::uint64_t first = std::uint64_t{position} * 4 + 1;
    if (first >= n) break;
    std::uint64_t best = first;
    const std::uint64_t end = first + 4 < n ? first + 4 : n;
    for (std::uint64_t c = first + 1; c < end; ++c)
      if (heap_less(heap_[c], heap_[best])) best = c;
    if (!heap_less(heap_[best], item)) break;
    heap_place(position, heap_[best]);
    position = static_cast<std::uint32_t>(best);
  }
  heap_place(position, item);
}

// perfect_lfu's counts of keys once resident, by key (open addressing; a key
// keeps its slot once it has one, so nothing is ever removed).

std::uint64_t CacheStore::history_get(std::uint64_t key) const {
  for (std::uint64_t i = sim::mix64(key) & history_mask_;; i = (i + 1) & history_mask_) {
    if (history_[i].count == 0) return 0;
    if (history_[i].key == key) return history_[i].count;
  }
}

void CacheStore::history_put(std::uint64_t key, std::uint64_t count) {
  assert(count > 0);
  if ((history_size_ + 1) * 4 > history_.size() * 3) grow_history();
  for (std::uint64_t i = sim::mix64(key) & history_mask_;; i = (i + 1) & history_mask_) {
    if (history_[i].count == 0) {
      history_[i] = HistorySlot{key, count};
      ++history_size_;
      return;
    }
    if (history_[i].key == key) {
      history_[i].count = count;
      return;
    }
  }
}

void CacheStore::grow_history() {
  PageArray<HistorySlot> old(history_.size() * 2, HistorySlot{0, 0});
  std::swap(old, history_);
  history_mask_ = history_.size() - 1;
  for (const HistorySlot& s : old) {
    if (s.count == 0) continue;
    std::uint64_t i = sim::mix64(s.key) & history_mask_;
    while (history_[i].count != 0) i = (i + 1) & history_mask_;
    history_[i] = s;
  }
  ++growths_;
}

// ---- Invariants ------------------------------------------------------------------

void CacheStore::check_invariants_spaced(bool always) const {
  const std::uint64_t operations =
      counters_.lookups + counters_.insertions + counters_.rejections + counters_.invalidations;
  if (!always && operations - operations_at_walk_ < kWalkSpacing * reserved_keys_) return;
  operations_at_walk_ = operations;
  check_invariants();
}

void CacheStore::check_invariants() const {
  const CacheCounters& c = counters_;
  assert(c.hits + c.misses == c.lookups);
  assert(c.resident_keys ==
         c.insertions - c.replacements - c.evictions - c.expirations - c.invalidations - c.flushed);
  assert(c.resident_keys <= capacity_keys_ && c.bytes_held <= capacity_bytes_);
  std::uint64_t resident = 0, bytes = 0, dirty = 0;
  for (std::uint32_t id = 0; id < slots_used_; ++id) {
    const Slot& slot = slots_[id];
    if (!slot.resident) continue;
    ++resident;
    bytes += slot.entry.size_bytes;
    dirty += slot.entry.dirty ? 1 : 0;
    const std::uint64_t position = find(slot.entry.key);
    assert(position != kNoPosition && index_[position].id == id);
    (void)position;
  }
  assert(resident == c.resident_keys && bytes == c.bytes_held && dirty == c.dirty_keys);
  std::uint64_t indexed = 0;
  for (const IndexSlot& s : index_) {
    if (s.id == kNone) continue;
    ++indexed;
    assert(s.id < slots_used_ && slots_[s.id].resident && s.tag == tag_of(slots_[s.id].entry.key));
  }
  assert(indexed == resident && resident * 4 <= index_.size() * 3);
  std::uint64_t free = 0;
  for (std::uint32_t id = free_; id != kNone; id = slots_[id].next) {
    assert(!slots_[id].resident);
    ++free;
  }
  assert(free + resident == slots_used_);
  switch (config_.eviction) {
    case Eviction::Lru:
    case Eviction::Fifo:
    case Eviction::None: {
      std::uint64_t n = 0;
      std::uint32_t prev = kNone;
      for (std::uint32_t id = list_.head; id != kNone; id = slots_[id].next) {
        assert(slots_[id].resident && slots_[id].prev == prev);
        prev = id;
        ++n;
      }
      assert(prev == list_.tail && n == resident);
      break;
    }
    case Eviction::Random:
      assert(dense_.size() == resident);
      for (std::uint32_t i = 0; i < dense_.size(); ++i) assert(slots_[dense_[i]].resident && slots_[dense_[i]].aux == i);
      break;
    case Eviction::Lfu: {
      // Buckets: counts increase, none is empty, each entry names its own.
      std::uint64_t n = 0, last_count = 0;
      std::uint32_t lower = kNone;
      for (std::uint32_t b = lowest_; b != kNone; b = buckets_[b].higher) {
        assert(buckets_[b].lower == lower && buckets_[b].count > last_count && buckets_[b].head != kNone);
        last_count = buckets_[b].count;
        lower = b;
        std::uint32_t prev = kNone;
        for (std::uint32_t id = buckets_[b].head; id != kNone; id = slots_[id].next) {
          assert(slots_[id].resident && slots_[id].aux == b && slots_[id].prev == prev);
          prev = id;
          ++n;
        }
        assert(prev == buckets_[b].tail);
      }
      assert(n == resident);
      break;
    }
    case Eviction::PerfectLfu:
      assert(heap_.size() == resident);
      for (std::uint32_t i = 0; i < heap_.size(); ++i) {
        assert(slots_[heap_[i].id].resident && slots_[heap_[i].id].aux == i);
        assert(i == 0 || !heap_less(heap_[i], heap_[(i - 1) / 4]));
      }
      break;
  }
  (void)free;
}

}  // namespace archsim::models
