// models/types/data/cache.h: a cache server (Redis, Memcached, a caching
// proxy) in front of the data it copies, keyed by the request's key.
//
// The cache is one server with `workers` workers and a bounded FIFO queue,
// and a CacheStore (models/runtime/cache_store.h) of finite capacity in keys
// and/or bytes with an eviction policy and a TTL. A read takes a worker for a
// drawn hit or miss time; its lookup is at the start of that step, so the
// step's length follows from it. Every hit rate comes from the keys the
// workload draws hitting this store: none is configured.
//
// Reads, two modes:
//   cache_aside   the cache only answers: a hit (Request::hit, with the
//                 version it holds) or a miss. The caller's handler reads
//                 the database on a miss and fills the cache with a write
//                 (its `on_miss` steps), and deletes (invalidates) on its own
//                 writes. A write sets the entry to the version the write
//                 carries, unconditionally, as SET does; so a fill that
//                 raced with a newer write can leave an old version behind.
//   read_through  on a miss the cache reads its `backend` itself, fills the
//                 store with what came back and answers. The worker is held
//                 for the miss time only; the request then waits for the
//                 backend without a worker (an event loop). A failed fetch
//                 fills nothing and fails the read. A fill never replaces a
//                 newer version already held (a write that came meanwhile).
//                 With `coalesce`, concurrent misses on one key make one
//                 backend call (single-flight) and all take its answer.
//
// Writes (and deletes), with a backend:
//   write_through  the write goes to the backend; once committed, the cache
//                  holds the committed version.
//   write_around   the write goes to the backend; once committed, the cache
//                  drops the key (invalidation), so the next read misses.
//   write_back     the cache holds the write as a dirty entry and answers at
//                  once, with the next version of the key; the write goes to
//                  the backend `write_back_delay_s` later (later writes of
//                  the key meanwhile are absorbed: one write goes back), or
//                  at once when the entry is evicted, expires or the cache is
//                  flushed. The database commits that version. A crash loses
//                  the dirty entries: each is a lost write. A write back the
//                  backend fails is lost too (not retried).
// A delete goes to the backend in every mode and drops the key.
//
// Freshness: every entry holds a version. A read served from the cache
// whose version is older than the latest committed write of its key
// (Context::committed) when it is answered is a stale read, counted in
// total and per operation. Expiry is checked on each lookup, in simulated
// time, from the insert (or the last hit, with sliding expiry).
// Stale-while-revalidate: for `stale_while_revalidate_s` after its TTL an
// entry is still served (a hit), and the first such hit starts one refresh
// from the backend in the background.
//
// Faults: a crash fails what the cache holds (at its worker, in its queue,
// waiting on the backend) and refuses what comes; it restarts empty (cold).
// A flush (on the timeline) empties the store at an instant, writing dirty
// entries back first.
//
// Not modelled here: replicas of the cache (put caches behind a
// shard_router for a cluster), memory overheads beyond the values' sizes,
// values themselves, retries of failed write-backs, timeouts on the
// backend, a queue of write-backs of its own (each goes at once when due).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/format/params.h"
#include "models/runtime/cache_store.h"
#include "models/runtime/component_type.h"
#include "models/runtime/dependency.h"
#include "models/runtime/single_flight.h"
#include "models/runtime/slow_down.h"
#include "models/runtime/worker_pool.h"
#include "sim/key_map.h"
#include "sim/ring_buffer.h"

namespace archsim::models {

struct CacheConfig {
  enum class ReadMode { CacheAside, ReadThrough };
  // Caller: no backend; the caller sets and deletes entries (cache-aside).
  enum class WriteMode { Caller, WriteThrough, WriteAround, WriteBack };
  std::string name;
  std::int64_t workers = 1;
  std::int64_t queue_capacity = 100000;
  CacheStoreConfig store;
  std::optional<double> ttl_s;  // none: entries never expire
  SizeDistribution value_size;
  Delay hit_time, miss_time, write_time;
  bool has_miss_time = false, has_write_time = false;
  std::string backend;            // empty: none
  std::string backend_operation;  // empty: the request's own
  ReadMode read_mode = ReadMode::CacheAside;
  WriteMode write_mode = WriteMode::Caller;
  double write_back_delay_s = 1;
  bool coalesce = false;
  double stale_while_revalidate_s = 0;
};

spec::NodeRef cache_spec();
ComponentType cache_type();

class Cache final : public Component {
 public:
  Cache(CacheConfig config, Context& context);

  const char* type() const override { return "cache"; }
  void connect(Wiring& wiring) override;
  void start() override;
  std::int64_t capacity() const override { return pool_.capacity(); }

  void on_request(Request& request) override;
  // A read on its way: its key's index slot is loaded ahead of the lookup.
  bool expects_requests() const override { return true; }
  void expect(const Request& request) override {
    if (request.access == Access::Read) store_.prefetch(request.key);
  }
  void on_reply(Request& call) override;
  void on_timer(std::uint32_t kind, std::uint64_t data) override;

  bool on_fault(const FaultAction& action) override;
  void on_window_begin(sim::Time now) override;
  void check_invariants() const override;

  const CacheStore& store() const { return store_; }

 private:
  // A step's end is kDone + 4 × the pool's life when it began + what a
  // read's lookup found at its start (Found), so the step needs no state
  // on the request (whose scratch is its caller's).
  enum Timer : std::uint32_t { kWriteBack = kFirstTimer, kDone };
  enum Found : std::uint32_t { kMiss = 0, kHit = 1, kHitRevalidate = 2 };
  static constexpr std::uint32_t kFoundBits = 2;
  struct WriteBack {
    std::uint64_t key = 0, version = 0;
    sim::Time due{};
  };
  struct ByOperation {
    std::uint64_t lookups = 0, hits = 0, stale_reads = 0;
  };

  void begin(Request& request);
  void done(Request& request, Found found);
  void serve_next();
  void answer(Request& request);
  // A read-through miss: one backend call, or a place among the requests
  // waiting for the call already made for the key.
  void fetch(Request& request);
  void fetched(Request& request, const Request& call);
  // The answer of a backend read, to a request that waited for it.
  void answer_fetched(Request& request, const Request& call);
  void revalidate(std::uint64_t key, std::uint32_t operation);
  // Stores what the backend answered, unless a newer version is held.
  void fill(std::uint64_t key, std::uint64_t version);
  // Stores a version, writing back a dirty entry the insert pushed out.
  void put(std::uint64_t key, std::uint64_t version, Dirty dirty);
  void removed(std::span<const RemovedEntry> entries);
  void drop(std::uint64_t key);
  void write_back(std::uint64_t key, std::uint64_t version);
  void write_backs_due();
  void crash();
  void flush();
  void levels();
  void count_lookup(const Request& request, bool hit);
  void count_stale(const Request& request);

  WorkerPool pool_;
  sim::Rng rng_;
  CacheStore store_;
  sim::Time ttl_ = sim::Time::max();   // of the store's entries: the TTL plus the window of stale serving
  sim::Time revalidate_window_{};      // stale_while_revalidate_s
  SizeDistribution value_size_;
  std::uint64_t size_salt_;
  Delay hit_time_, miss_time_, write_time_;
  SlowDowns slow_;  // its one server (slow_down): every step's time
  std::optional<Dependency> backend_;
  CacheConfig::ReadMode read_mode_;
  CacheConfig::WriteMode write_mode_;
  sim::Time write_back_delay_{};
  bool coalesce_;
  // Coalescing: the backend reads out (each one's parent is the first to
  // wait), and the misses waiting for them.
  SingleFlight flights_;
  sim::KeyMap revalidating_;  // by key: 1 while a background refresh is out
  std::uint32_t waiting_mark_;  // Request::held_by of requests waiting on the backend
  std::int64_t waiting_ = 0;
  sim::RingBuffer<WriteBack> write_backs_;  // due in order (the delay is one for all)
  bool write_back_timer_ = false;
  sim::Time restarted_{};  // the last crash: refreshes from before it fill nothing
  // What write-backs ask of the backend without a backend_operation: the
  // operation of the latest write held.
  std::uint32_t last_write_operation_ = 0;
  Failure crashed_{};
  std::vector<ByOperation> by_operation_, window_by_operation_;
  std::uint64_t stale_reads_ = 0, fetches_ = 0, coalesced_ = 0, fetch_failures_ = 0;
  std::uint64_t revalidations_ = 0, stale_while_revalidate_hits_ = 0;
  std::uint64_t write_backs_sent_ = 0, write_backs_absorbed_ = 0, write_back_failures_ = 0, lost_writes_ = 0;
  std::uint64_t flushes_ = 0;
  sim::TimeWeighted bytes_, keys_, dirty_;
};

}  // namespace archsim::models
