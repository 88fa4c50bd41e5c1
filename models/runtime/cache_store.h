// models/runtime/cache_store.h: the store a cache holds its entries in, the
// building block every cache in archsim owns (a cache server, a CDN edge, a
// database's buffer). A map from a 64-bit key to an entry (version, size in
// bytes, expiry time, dirty flag), bounded by a capacity in keys, in bytes,
// or both, with an eviction policy:
//
//   lru          evicts the least recently used entry; a hit or an insert is a use.
//   fifo         evicts the entry inserted first; hits and replaces do not reorder.
//   random       evicts a resident entry drawn uniformly from the owner's stream.
//   lfu          in-cache LFU: an entry counts its uses since it was inserted
//                (the insert is the first); the least count is evicted, ties
//                to the least recently used among them. O(1): a list per count.
//   perfect_lfu  like lfu, but a key's count survives its removal: it counts
//                every use of the key since the start. O(log n): a heap.
//   none         evicts nothing: when full, a new key is not stored.
//
// A use is a hit, or an insert (of an absent key or a replace). In a
// cache-aside cache every request is one use (a hit, or a miss and its
// fill), so perfect_lfu counts each key's requests.
//
// Expiry is in simulated time: an entry expires at now + ttl of its insert
// (Time::max(): never); with sliding expiry, each hit pushes it to now + the
// same ttl. An expired entry is removed when an operation finds it: a lookup
// (which is then a miss), an insert of its key, or eviction, when it is the
// policy's candidate (counted as an expiration, not an eviction). Expired
// entries nobody finds hold their room until then. Under policy none, the
// candidate is the entry inserted first, and it is removed only if expired.
//
// The owner learns of every entry removed (key, version, size, dirty flag
// and why) through the list each call returns, so that a write-back cache
// can write a dirty entry back when it is evicted, and counts follow. Value
// sizes are the owner's: the store adds them up.
//
// Not modelled here: what a value contains, partial objects, admission
// policies, per-entry memory overhead in the bytes counted (only the sizes
// given), eviction that prefers expired entries beyond the policy's candidate.
//
// Cost: a lookup or an insert is O(1) expected (a hash probe and a few list
// links) except perfect_lfu's O(log n) heap. The index is open addressing
// with linear probing over our own hash (sim::mix64), load at most 3/4;
// entries live in blocks that never move. Nothing is allocated per call once
// the arrays have grown to the largest size seen; growth is geometric and out
// of line. Memory: 48 bytes an entry (its links included) and 8 an index
// slot (10^7 keys: about 61 bytes a key); random adds 4 bytes a key (its
// array), lfu up to 24 (a bucket per count, reserved for all), perfect_lfu
// 24 a resident key (its heap) and 21 to 43 a distinct key once removed
// (its count).
#pragma once

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "models/format/spec.h"
#include "sim/rng.h"
#include "sim/time.h"

namespace archsim::models {

enum class Eviction : std::uint8_t { Lru, Fifo, Random, Lfu, PerfectLfu, None };
// The policies' names in the scenario format, in the order of Eviction (for
// Spec::enumeration).
const std::vector<std::string>& eviction_names();

struct CacheStoreConfig {
  Eviction eviction = Eviction::Lru;
  std::optional<std::uint64_t> capacity_keys;   // absent: any number of keys; else >= 1
  std::optional<std::uint64_t> capacity_bytes;  // absent: any number of bytes; else >= 1
  bool sliding_expiry = false;                  // a hit pushes the expiry to now + ttl
};

// What the owner stored, as the store keeps it.
struct CacheEntry {
  std::uint64_t key;
  std::uint64_t version;
  sim::Time expiry;  // the entry is expired at and after this time
  std::uint32_t size_bytes;
  bool dirty;
};

enum class Removal : std::uint8_t {
  Evicted,      // by the policy, to make room
  Expired,      // found expired (by a lookup, an insert, or as the eviction candidate)
  Invalidated,  // erase(), or an insert of a new version that could not be stored
  Flushed,      // flush()
};

struct RemovedEntry {
  std::uint64_t key;
  std::uint64_t version;
  std::uint32_t size_bytes;
  bool dirty;
  Removal reason;
};

// What the owner reports. The last three are levels now; the rest count since
// construction. resident_keys = insertions - replacements - evictions -
// expirations - invalidations - flushed.
struct CacheCounters {
  std::uint64_t lookups = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;        // expired entries found included
  std::uint64_t insertions = 0;    // inserts stored, replacements included
  std::uint64_t replacements = 0;  // inserts stored over a resident key
  std::uint64_t rejections = 0;    // inserts not stored: larger than capacity_bytes, or no room (none)
  std::uint64_t evictions = 0;
  std::uint64_t expirations = 0;
  std::uint64_t invalidations = 0;
  std::uint64_t flushed = 0;       // entries emptied by flush()
  std::uint64_t resident_keys = 0;
  std::uint64_t bytes_held = 0;
  std::uint64_t dirty_keys = 0;
};

enum class Dirty : bool { No, Yes };

class CacheStore {
 public:
  // The most keys a store can hold (entries are numbered in 32 bits).
  static constexpr std::uint64_t kMaxKeys = std::uint64_t{1} << 31;

  struct Lookup {
    const CacheEntry* entry;                // the entry hit; null on a miss
    std::span<const RemovedEntry> removed;  // the expired entry this lookup found, if any
    bool hit() const { return entry != nullptr; }
  };
  enum class Outcome : std::uint8_t {
    Inserted,  // a new key
    Replaced,  // a resident key: new version, size, expiry and dirty flag
    TooLarge,  // size_bytes > capacity_bytes: not stored
    NoRoom,    // policy none, full: not stored
  };
  struct Insert {
    Outcome outcome;
    const CacheEntry* entry;                // the entry stored; null when not stored
    std::span<const RemovedEntry> removed;  // what this insert removed, in order
    bool stored() const { return entry != nullptr; }
  };

  // `random` is the owner's stream, required by policy random (the store
  // draws one number per eviction); the owner keeps it alive.
  CacheStore(const CacheStoreConfig& config, sim::Rng* random = nullptr);
  CacheStore(const CacheStore&) = delete;
  CacheStore& operator=(const CacheStore&) = delete;

  // Finds the key. A hit is a use (lru moves it, lfu counts it) and, with
  // sliding expiry, pushes its expiry to now + ttl. An expired entry found is
  // removed (an expiration) and the lookup is a miss. The entry pointer stays
  // valid until that entry is removed; the removed list until the next call.
  Lookup lookup(std::uint64_t key, sim::Time now);

  // Stores the key with expiry now + ttl (ttl >= 0; Time::max(): never),
  // evicting by the policy until it fits. A resident key is replaced in place
  // (a use; it keeps its place in fifo, its count in lfu plus one). An entry
  // larger than capacity_bytes is not stored; nor, under policy none, one
  // that finds no room. If the key was resident and the new version is not
  // stored, the old one is removed (invalidated), so no stale version stays.
  Insert insert(std::uint64_t key, std::uint64_t version, std::uint32_t size_bytes, sim::Time now, sim::Time ttl,
                Dirty dirty = Dirty::No);

  // Removes the key (an invalidation); what it held, if it was resident.
  std::optional<RemovedEntry> erase(std::uint64_t key);
  // Clears the dirty flag; false if the key is not resident. With a version,
  // only if the entry still holds that version: a write-back that wrote
  // version v leaves a newer write dirty.
  bool mark_clean(std::uint64_t key);
  bool mark_clean(std::uint64_t key, std::uint64_t version);
  // The entry without using it (no counters, no policy, no expiry check).
  const CacheEntry* peek(std::uint64_t key) const;
  // Asks the processor to load the key's index slot: a hint for a lookup
  // soon, with no effect on the store.
  void prefetch(std::uint64_t key) const {
    if (index_mask_ != 0) __builtin_prefetch(&index_[tag_of(key) & index_mask_]);
  }

  // Every resident entry, expired or not, in the store's fixed internal
  // order (not by time). O(entries ever allocated).
  template <class F>
  void for_each(F f) const {
    for (std::uint32_t id = 0; id < slots_used_; ++id)
      if (slots_[id].resident) f(slots_[id].entry);
  }
  // Every dirty entry, expired or not, in the same order: for a write-back
  // that flushes in batches. (A write-back that flushes each write after a
  // delay keeps its own queue of (key, version) and calls mark_clean.)
  template <class F>
  void for_each_dirty(F f) const {
    for_each([&f](const CacheEntry& entry) {
      if (entry.dirty) f(entry);
    });
  }
  // Empties the store at once (a restart, a flush command): `on_dirty` sees
  // each dirty entry first, lost or to be written. perfect_lfu keeps its counts.
  template <class F>
  void flush(F on_dirty) {
    for_each_dirty(on_dirty);
    clear();
  }
  // The same, for an owner with no dirty entries or that listed them first.
  void flush() { clear(); }

  const CacheCounters& counters() const { return counters_; }
  const CacheStoreConfig& config() const { return config_; }
  // Makes room for `keys` resident keys without further growth of any array
  // but perfect_lfu's counts of keys not resident (which grow with the keys
  // ever seen). The entry blocks take address space, not memory, until used.
  void reserve(std::uint64_t keys);
  // Bytes the store's own arrays hold (allocated, not only used).
  std::uint64_t memory_bytes() const;
  // Times an array grew: constant once the store has reached its largest
  // size, which is how a test sees that the steady state allocates nothing.
  std::uint64_t growths() const { return growths_; }
  // Walks everything: counts, index, policy structures. O(n); for tests and
  // interval checks.
  void check_invariants() const;
  // The same walk, spaced out for an owner's interval checks: it runs once
  // kWalkSpacing operations per key reserved have passed since the last
  // walk, or whenever `always` (the check at the run's end). A walk visits
  // every entry and index slot, mostly missing the processor's caches: 10
  // to 20 ms at 10^5 keys, more than the rest of a cache-aside run when it
  // came at every report interval. Spaced so, it costs a sixteenth of a
  // slot's visit per operation.
  void check_invariants_spaced(bool always) const;
  static constexpr std::uint64_t kWalkSpacing = 16;

 private:
  static constexpr std::uint32_t kNone = 0xFFFFFFFF;
  static constexpr std::uint64_t kNoPosition = ~std::uint64_t{0};

  // An entry and its policy's links: `prev`/`next` in its list (lru, fifo,
  // none, lfu's list of its count; `next` also links free slots), `aux` its
  // lfu count's bucket, its place in random's array or perfect_lfu's heap.
  // The links come first, so that what a hit reads and writes (links, key,
  // expiry) lies in the first 32 bytes: in one cache line for three slots
  // in four. (Links in an array of their own, 8 bytes an entry, measured no
  // faster for lru lookups at 10^6 keys, and fills slower.)
  struct Slot {
    std::uint32_t prev;
    std::uint32_t next;
    CacheEntry entry;
    std::uint32_t aux;
    bool resident;
  };
  static_assert(sizeof(Slot) == 48);

  // Memory for the large arrays: on Linux, regions of 2 MiB or more are
  // aligned to 2 MiB and asked to be backed by huge pages, so random
  // accesses over hundreds of megabytes do not miss the TLB at each step.
  static void* allocate_pages(std::size_t bytes);
  static void free_pages(void* memory);
  struct FreePages {
    void operator()(void* memory) const { free_pages(memory); }
  };

  // A growable array whose elements never move: block b holds 2^(kFirstBits
  // + b) elements, so a million need 10 blocks and pointers stay valid.
  // Blocks are raw memory, written only as elements are first stored, so an
  // unused tail costs address space, not memory. T is an aggregate of plain
  // values, written whole before it is read.
  template <class T>
  class BlockArray {
   public:
    T& operator[](std::uint32_t i) { return *address(i); }
    const T& operator[](std::uint32_t i) const { return *address(i); }
    std::uint64_t capacity() const { return capacity_; }
    void grow();  // one more block
   private:
    static constexpr int kFirstBits = 10;
    T* address(std::uint32_t i) const {
      const std::uint64_t q = (std::uint64_t{i} >> kFirstBits) + 1;
      const int b = std::bit_width(q) - 1;
      return blocks_[b].get() + (i - (((std::uint64_t{1} << b) - 1) << kFirstBits));
    }
    std::vector<std::unique_ptr<T, FreePages>> blocks_;
    std::uint64_t capacity_ = 0;
  };

  // A fixed-size array of plain values, every element set to `fill`.
  template <class T>
  class PageArray {
   public:
    PageArray() = default;
    PageArray(std::size_t size, T fill) : data_(static_cast<T*>(allocate_pages(size * sizeof(T)))), size_(size) {
      for (std::size_t i = 0; i < size; ++i) data_.get()[i] = fill;
    }
    T& operator[](std::uint64_t i) { return data_.get()[i]; }
    const T& operator[](std::uint64_t i) const { return data_.get()[i]; }
    std::size_t size() const { return size_; }
    T* begin() { return data_.get(); }
    T* end() { return data_.get() + size_; }
    const T* begin() const { return data_.get(); }
    const T* end() const { return data_.get() + size_; }
   private:
    std::unique_ptr<T, FreePages> data_;
    std::size_t size_ = 0;
  };

  struct IndexSlot {
    std::uint32_t tag;  // the hash's high half; its low bits are the home slot
    std::uint32_t id;   // kNone: empty
  };
  // lfu: the resident entries with one count, least recently used first;
  // buckets are listed by count, lowest first.
  struct Bucket {
    std::uint64_t count;
    std::uint32_t head, tail;
    std::uint32_t lower, higher;  // neighbours by count; `higher` also links free buckets
  };
  // perfect_lfu: a 4-ary min-heap on (count, last use).
  struct HeapItem {
    std::uint64_t count;
    std::uint64_t last_use;
    std::uint32_t id;
  };
  // perfect_lfu: the counts of keys not resident (count 0: an empty slot).
  struct HistorySlot {
    std::uint64_t key;
    std::uint64_t count;
  };
  struct List {
    std::uint32_t head = kNone;  // lru: least recent; fifo/none: oldest
    std::uint32_t tail = kNone;
  };

  static std::uint32_t tag_of(std::uint64_t key) { return static_cast<std::uint32_t>(sim::mix64(key) >> 32); }
  // The entry's index position, or kNoPosition.
  std::uint64_t find(std::uint64_t key) const {
    const std::uint32_t tag = tag_of(key);
    for (std::uint64_t i = tag & index_mask_;; i = (i + 1) & index_mask_) {
      const IndexSlot s = index_[i];
      if (s.id == kNone) return kNoPosition;
      if (s.tag == tag && slots_[s.id].entry.key == key) return i;
    }
  }
  Lookup expire(std::uint32_t id, std::uint64_t position);
  std::uint64_t position_of(std::uint32_t id) const;  // of a resident entry
  void index_add(std::uint32_t tag, std::uint32_t id);
  void index_remove(std::uint64_t position);
  void grow_index();

  std::uint32_t allocate_slot();
  bool make_room(std::uint64_t keys, std::uint64_t bytes, std::uint32_t keep, sim::Time now);
  // Removes a resident entry; `position` is its index position if known.
  void remove(std::uint32_t id, Removal reason, std::uint64_t position = kNoPosition);
  void clear();
  Insert replace(std::uint32_t id, std::uint64_t version, std::uint32_t size_bytes, sim::Time now, sim::Time ttl,
                 Dirty dirty);

  // The policy: link an entry just stored, note a use, unlink one leaving,
  // and name the next to evict other than `keep` (kNone if there is none).
  void link(std::uint32_t id);
  void use(std::uint32_t id);
  void unlink(std::uint32_t id);
  std::uint32_t candidate(std::uint32_t keep);

  void list_append(List& list, std::uint32_t id);
  void list_remove(List& list, std::uint32_t id);
  void lfu_link(std::uint32_t id);
  void lfu_use(std::uint32_t id);
  void lfu_unlink(std::uint32_t id);
  void bucket_append(std::uint32_t bucket, std::uint32_t id);
  void bucket_remove(std::uint32_t bucket, std::uint32_t id);
  std::uint32_t new_bucket(std::uint64_t count, std::uint32_t lower, std::uint32_t higher);
  void delete_bucket(std::uint32_t bucket);
  void heap_sift_up(std::uint32_t position);
  void heap_sift_down(std::uint32_t position);
  void heap_place(std::uint32_t position, const HeapItem& item);
  static bool heap_less(const HeapItem& a, const HeapItem& b) {
    return a.count < b.count || (a.count == b.count && a.last_use < b.last_use);
  }
  std::uint64_t history_get(std::uint64_t key) const;
  void history_put(std::uint64_t key, std::uint64_t count);
  void grow_history();

  CacheStoreConfig config_;
  std::uint64_t capacity_keys_;   // the config's, or no limit
  std::uint64_t capacity_bytes_;  // the config's, or no limit
  sim::Rng* random_;
  CacheCounters counters_;
  std::uint64_t growths_ = 0;
  std::uint64_t reserved_keys_ = 1;                // the most reserve() was asked for
  mutable std::uint64_t operations_at_walk_ = 0;  // lookups and inserts at the last spaced walk

  BlockArray<Slot> slots_;
  std::uint32_t slots_used_ = 0;  // slots ever handed out since the last clear
  std::uint32_t free_ = kNone;    // freed slots, linked by `next`
  BlockArray<sim::Time> ttl_;     // sliding expiry only: each entry's ttl

  PageArray<IndexSlot> index_;
  std::uint64_t index_mask_ = 0;

  List list_;                      // lru, fifo, none
  std::vector<std::uint32_t> dense_;  // random: the resident entries
  std::vector<Bucket> buckets_;    // lfu
  std::uint32_t lowest_ = kNone;   // lfu: the bucket with the least count
  std::uint32_t free_buckets_ = kNone;
  std::vector<HeapItem> heap_;     // perfect_lfu
  std::uint64_t uses_ = 0;         // perfect_lfu: uses so far, the clock of recency
  PageArray<HistorySlot> history_;
  std::uint64_t history_mask_ = 0;
  std::uint64_t history_size_ = 0;

  std::vector<RemovedEntry> removed_;  // what the current call removed
};

// Declares a store's parameters in a component type's declaration, bound to
// its CacheStoreConfig member and to its entries' TTL in seconds (none: they
// never expire): capacity_keys, capacity_bytes, eviction, ttl_s and
// sliding_expiry. Every type that owns stores takes them with the same
// names, ranges and meaning; `holder` names who holds the entries in the
// lines of meaning ("it", "each edge").
template <class Config>
void declare_store(spec::Spec& object, CacheStoreConfig Config::*member, std::optional<double> Config::*ttl_s,
                   const std::string& holder) {
  using spec::Json;
  using spec::Spec;
  object
      .optional("capacity_keys", Spec::integer("Most keys " + holder + " holds; by default no limit")
                                     .unit("keys")
                                     .min(1)
                                     .max(static_cast<double>(CacheStore::kMaxKeys)))
      .template store<Config>([member](const Json& v, Config& c) { (c.*member).capacity_keys = v.get<std::uint64_t>(); })
      .optional("capacity_bytes", Spec::integer("Most bytes of values " + holder + " holds (value_size gives each "
                                                "key's); by default no limit")
                                      .unit("bytes")
                                      .min(1)
                                      .max(1e15))
      .template store<Config>([member](const Json& v, Config& c) { (c.*member).capacity_bytes = v.get<std::uint64_t>(); })
      .optional("eviction", Spec::enumeration("What goes when " + holder + " is full: least recently used, first in, "
                                              "a random entry, least frequently used (counted while held, or over the "
                                              "whole run), or nothing (a new key is not stored)",
                                              eviction_names())
                                .default_value("lru"))
      .template store<Config>([member](const Json& v, Config& c) {
        const auto& names = eviction_names();
        (c.*member).eviction =
            static_cast<Eviction>(std::find(names.begin(), names.end(), v.get<std::string>()) - names.begin());
      })
      .optional("ttl_s", Spec::number("Time an entry lives from its insert (its last hit, with sliding_expiry); by "
                                      "default for ever")
                             .unit("s")
                             .greater_than(0)
                             .max(sim::kMaxTimeSeconds))
      .to(ttl_s)
      .optional("sliding_expiry", Spec::boolean("Each hit gives the entry ttl_s more").default_value(false))
      .template store<Config>([member](const Json& v, Config& c) { (c.*member).sliding_expiry = v.get<bool>(); });
}

// The rules between those parameters, for the declaration's check: a
// sliding expiry needs a TTL, and an eviction policy other than lru (the
// default) a capacity. `unbounded` says why the policy would never act, in
// the owner's words ("the cache has no capacity_keys or capacity_bytes").
void check_store(const spec::Json& value, const spec::Path& path, spec::Errors& errors, const std::string& unbounded);

// Inline: a simulation's hottest call into the store. What is rare (an
// expired entry, lfu's counts) goes out of line.
inline CacheStore::Lookup CacheStore::lookup(std::uint64_t key, sim::Time now) {
  removed_.clear();
  ++counters_.lookups;
  const std::uint64_t position = find(key);
  if (position == kNoPosition) {
    ++counters_.misses;
    return {nullptr, {}};
  }
  const std::uint32_t id = index_[position].id;
  Slot& slot = slots_[id];
  if (now >= slot.entry.expiry) return expire(id, position);
  ++counters_.hits;
  if (config_.sliding_expiry) slot.entry.expiry = now + ttl_[id];
  if (config_.eviction == Eviction::Lru) {
    if (list_.tail != id) {
      list_remove(list_, id);
      list_append(list_, id);
    }
  } else if (config_.eviction == Eviction::Lfu || config_.eviction == Eviction::PerfectLfu) {
    use(id);
  }
  return {&slot.entry, {}};
}

inline void CacheStore::list_append(List& list, std::uint32_t id) {
  Slot& slot = slots_[id];
  slot.prev = list.tail;
  slot.next = kNone;
  if (list.tail != kNone)
    slots_[list.tail].next = id;
  else
    list.head = id;
  list.tail = id;
}

inline void CacheStore::list_remove(List& list, std::uint32_t id) {
  const Slot& slot = slots_[id];
  if (slot.prev != kNone)
    slots_[slot.prev].next = slot.next;
  else
    list.head = slot.next;
  if (slot.next != kNone)
    slots_[slot.next].prev = slot.prev;
  else
    list.tail = slot.prev;
}

}  // namespace archsim::models
