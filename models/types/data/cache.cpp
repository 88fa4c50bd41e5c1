#include "models/types/data/cache.h"

#include <algorithm>
#include <cassert>

namespace archsim::models {

using spec::Json;
using spec::Spec;

spec::NodeRef cache_spec() {
  static const spec::NodeRef node = [] {
    using Config = CacheConfig;
    Spec cache = Spec::object("A cache server keyed by the request's key: a store of finite capacity with an eviction "
                              "policy and a TTL, workers and a bounded FIFO queue");
    cache.required("name", Spec::string("Unique name of the component").max_length(100))
        .to(&Config::name)
        .optional("workers", Spec::integer("Requests it serves at once (1 for a Redis-like server)")
                                 .min(1)
                                 .max(100000)
                                 .default_value(1))
        .to(&Config::workers)
        .optional("queue_capacity", Spec::integer("Requests it holds waiting for a worker; one more is rejected "
                                                  "(queue_full)")
                                        .unit("requests")
                                        .min(0)
                                        .max(10'000'000)
                                        .default_value(100000))
        .to(&Config::queue_capacity);
    declare_store(cache, &Config::store, &Config::ttl_s, "it");
    cache.optional("value_size", size_distribution_spec(), Json{{"type", "constant"}, {"value_bytes", 1024}})
        .to(&Config::value_size)
        .required("hit_time", time_distribution_spec())
        .to(&Config::hit_time)
        .optional("miss_time", time_distribution_spec())
        .store<Config>([](const Json& v, Config& c) {
          c.miss_time = Delay(make_time_distribution(v));
          c.has_miss_time = true;
        })
        .optional("write_time", time_distribution_spec())
        .store<Config>([](const Json& v, Config& c) {
          c.write_time = Delay(make_time_distribution(v));
          c.has_write_time = true;
        })
        .optional("backend", Spec::reference("What it copies: read on a miss (read_through), written by writes", "callable")
                                 .calls())
        .to(&Config::backend)
        .optional("backend_operation", Spec::string("Operation asked of the backend; by default the request's own"))
        .to(&Config::backend_operation)
        .optional("read_mode", Spec::enumeration("On a miss: answer it (cache_aside: the caller reads the backend and "
                                                 "fills), or read the backend and fill (read_through)",
                                                 {"cache_aside", "read_through"})
                                   .default_value("cache_aside"))
        .store<Config>([](const Json& v, Config& c) {
          c.read_mode = v == "read_through" ? Config::ReadMode::ReadThrough : Config::ReadMode::CacheAside;
        })
        .optional("write_mode", Spec::enumeration("What a write does, with a backend: write it there and hold the "
                                                  "result, write it there and drop the key, or hold it dirty and "
                                                  "write it back later; by default write_through. Without a backend "
                                                  "a write sets the version it carries",
                                                  {"write_through", "write_around", "write_back"}))
        .store<Config>([](const Json& v, Config& c) {
          c.write_mode = v == "write_around" ? Config::WriteMode::WriteAround
                         : v == "write_back" ? Config::WriteMode::WriteBack
                                             : Config::WriteMode::WriteThrough;
        })
        .optional("write_back_delay_s", Spec::number("A held write goes to the backend this long after it was made "
                                                     "(write_back; 1 s when left out)")
                                            .unit("s")
                                            .min(0)
                                            .max(sim::kMaxTimeSeconds))
        .to(&Config::write_back_delay_s)
        .optional("coalesce", Spec::boolean("Concurrent misses on one key make one backend call and share its answer "
                                            "(single-flight; read_through)")
                                  .default_value(false))
        .to(&Config::coalesce)
        .optional("stale_while_revalidate_s", Spec::number("For this long after its TTL an entry is still served, and "
                                                           "the first such hit refreshes it in the background "
                                                           "(read_through, with ttl_s)")
                                                  .unit("s")
                                                  .min(0)
                                                  .max(sim::kMaxTimeSeconds)
                                                  .default_value(0))
        .to(&Config::stale_while_revalidate_s);
    cache.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const bool backend = v.contains("backend");
      const bool through = v.value("read_mode", "cache_aside") == "read_through";
      if (through && !backend)
        errors.add(path / "read_mode", "read_through needs a backend to read on a miss; add backend, or use cache_aside");
      if (v.contains("write_mode") && !backend)
        errors.add(path / "write_mode", "needs a backend to write to; add backend, or remove write_mode (the callers "
                                        "then set and delete entries)");
      if (v.contains("backend_operation") && !backend)
        errors.add(path / "backend_operation", "is never used: there is no backend");
      if (v.contains("write_back_delay_s") && v.value("write_mode", "") != "write_back")
        errors.add(path / "write_back_delay_s", "is used by write_mode write_back only");
      if (v.value("coalesce", false) && !through)
        errors.add(path / "coalesce", "only a read_through cache makes backend calls to coalesce; set read_mode to "
                                      "read_through (a cache_aside caller's misses are its own)");
      if (v.value("stale_while_revalidate_s", 0.0) > 0 && (!through || !v.contains("ttl_s")))
        errors.add(path / "stale_while_revalidate_s", "needs read_mode read_through (to refresh) and a ttl_s (to "
                                                      "expire)");
      check_store(v, path, errors, "the cache has no capacity_keys or capacity_bytes");
    });
    return cache.build();
  }();
  return node;
}

ComponentType cache_type() {
  ComponentType t;
  t.name = "cache";
  t.summary = "A cache server: hits and misses from the keys it holds, cache-aside or read-through, write-through, "
              "write-around or write-back, stale reads against the database";
  t.spec = cache_spec();
  t.capabilities = {capability::kCallable, capability::kCache};
  t.fault_actions = {{"crash", {"crashed"}}, {"flush", {}}, {"slow_down", {}}};
  t.route = [](const Json& config, const std::string& operation, std::vector<Outflow>& out) {
    if (config.contains("backend"))
      out.push_back({config["backend"].get<std::string>(), config.value("backend_operation", operation)});
    return true;
  };
  t.make = factory<Cache, CacheConfig>(cache_spec);
  return t;
}

Cache::Cache(CacheConfig config, Context& context)
    : Component(config.name, context),
      pool_(PoolConfig{1, config.workers, config.queue_capacity}, stats_, context),
      rng_(context.streams.for_component(name_)),
      store_(config.store, &rng_),
      value_size_(config.value_size),
      size_salt_(value_size_salt(context.streams.seed())),
      hit_time_(config.hit_time),
      miss_time_(config.has_miss_time ? config.miss_time : config.hit_time),
      write_time_(config.has_write_time ? config.write_time : config.hit_time),
      read_mode_(config.read_mode),
      write_mode_(config.backend.empty() ? CacheConfig::WriteMode::Caller
                  : config.write_mode == CacheConfig::WriteMode::Caller ? CacheConfig::WriteMode::WriteThrough
                                                                        : config.write_mode),
      write_back_delay_(sim::Time::from_s(config.write_back_delay_s)),
      coalesce_(config.coalesce),
      waiting_mark_(context.requests.new_holder_mark()) {
  if (config.ttl_s) {
    revalidate_window_ = sim::Time::from_s(config.stale_while_revalidate_s);
    ttl_ = sim::Time::from_s(*config.ttl_s) + revalidate_window_;
  }
  if (!config.backend.empty())
    backend_.emplace(DependencyConfig{config.backend, config.backend_operation, std::nullopt});
  pool_.declare_metrics(metrics_);
  const CacheCounters& c = store_.counters();
  metrics_.count("lookups", "requests", "Reads looked up", &c.lookups);
  metrics_.count("hits", "requests", "Reads answered from an entry held (within its TTL, or its stale window)", &c.hits);
  metrics_.count("misses", "requests", "Reads that found no entry, or an expired one", &c.misses);
  metrics_.ratio("hit_rate", "", "Hits over lookups", &c.hits, &c.lookups);
  metrics_.count("evictions", "entries", "Entries the policy removed to make room", &c.evictions);
  metrics_.count("expirations", "entries", "Entries found past their TTL (and stale window) and removed", &c.expirations);
  metrics_.count("invalidations", "entries", "Entries dropped by writes and deletes", &c.invalidations);
  metrics_.count("stale_reads", "requests",
                 "Hits on a version older than the key's latest committed write", &stale_reads_);
  metrics_.ratio("stale_read_fraction", "", "Stale reads over hits", &stale_reads_, &c.hits);
  metrics_.level("bytes_held", "bytes", "Bytes of values held", &bytes_);
  metrics_.level("keys_held", "keys", "Keys held", &keys_, LevelSeries::Mean);
  if (backend_) {
    metrics_.count("backend_fetches", "requests", "Reads of the backend on misses (read_through) and refreshes",
                   &fetches_);
    metrics_.count("fetch_failures", "requests", "Backend reads that failed: they fill nothing", &fetch_failures_);
  }
  if (coalesce_)
    metrics_.count("coalesced", "requests", "Misses that waited for a backend read already under way for their key",
                   &coalesced_);
  if (revalidate_window_.ns > 0) {
    metrics_.count("stale_while_revalidate_hits", "requests",
                   "Hits on an entry past its TTL, within stale_while_revalidate_s", &stale_while_revalidate_hits_);
    metrics_.count("revalidations", "requests", "Background refreshes of entries served past their TTL",
                   &revalidations_);
  }
  if (write_mode_ == CacheConfig::WriteMode::WriteBack) {
    metrics_.level("dirty_keys", "keys", "Entries holding writes not yet written back", &dirty_);
    metrics_.count("write_backs", "writes", "Writes sent back to the backend", &write_backs_sent_);
    metrics_.count("write_backs_absorbed", "writes",
                   "Writes overwritten in the cache before their write-back: the later one went back", &write_backs_absorbed_);
    metrics_.count("lost_writes", "writes",
                   "Acknowledged writes that never reached the backend: dirty entries lost in a crash, and "
                   "write-backs the backend failed",
                   &lost_writes_);
  }
  metrics_.count("flushes", "", "Flushes of the whole cache (timeline)", &flushes_, false);
  metrics_.extra("operations", [this](sim::Time, sim::Time) {
    Json out = Json::object();
    for (std::size_t op = 0; op < by_operation_.size(); ++op) {
      const ByOperation& a = by_operation_[op];
      const ByOperation& w = window_by_operation_[op];
      const std::uint64_t lookups = a.lookups - w.lookups, hits = a.hits - w.hits;
      if (lookups == 0) continue;
      out[context_.operations[op]] = Json{{"lookups", lookups},
                                          {"hits", hits},
                                          {"hit_rate", static_cast<double>(hits) / static_cast<double>(lookups)},
                                          {"stale_reads", a.stale_reads - w.stale_reads}};
    }
    return out;
  });
}

void Cache::connect(Wiring& wiring) {
  if (backend_) backend_->connect(*this, wiring);
}

void Cache::start() {
  by_operation_.assign(context_.operations.size(), ByOperation{});
  window_by_operation_ = by_operation_;
  // Room for every key it can hold, so that the steady state allocates nothing.
  std::uint64_t keys = std::max<std::uint64_t>(context_.key_space, 1);
  if (store_.config().capacity_keys) keys = std::min(keys, *store_.config().capacity_keys);
  store_.reserve(keys);
}

void Cache::on_request(Request& request) {
  ++stats_.counters.arrivals;
  request.arrived = now();
  switch (pool_.enter(request, now())) {
    case WorkerPool::Admission::Started:
      begin(request);
      return;
    case WorkerPool::Admission::Queued:
      return;
    case WorkerPool::Admission::Rejected:
      reply(request);
      return;
  }
}

void Cache::begin(Request& request) {
  pool_.begin_compute(now(), request);
  const Delay* time = &write_time_;
  Found found_now = kMiss;
  if (request.access == Access::Read) {
    // The lookup is at the start of the step: a hit and a miss take their own times.
    const CacheStore::Lookup found = store_.lookup(request.key, now());
    removed(found.removed);
    count_lookup(request, found.hit());
    if (found.hit()) {
      request.version = found.entry->version;
      const bool past_ttl = revalidate_window_.ns > 0 && found.entry->expiry - revalidate_window_ <= now();
      found_now = past_ttl ? kHitRevalidate : kHit;
      time = &hit_time_;
    } else {
      time = &miss_time_;
    }
  }
  assert(pool_.life() < (std::uint32_t{1} << (31 - kFoundBits)));
  sim::Time took = time->draw(rng_);
  if (slow_.any()) [[unlikely]] took = slow_.stretch(took, 0);
  context_.engine.post_in(took, sim::Phase::Departure, this, kDone + (pool_.life() << kFoundBits | found_now),
                          reinterpret_cast<std::uint64_t>(&request));
}

void Cache::on_timer(std::uint32_t kind, std::uint64_t data) {
  if (kind == kWriteBack) {
    write_back_timer_ = false;
    write_backs_due();
    return;
  }
  Request& request = *reinterpret_cast<Request*>(data);
  const std::uint32_t life = (kind - kDone) >> kFoundBits;
  assert(kind >= kDone && life <= pool_.life());
  if (pool_.cut_short(request, life)) return;  // a crash cut it short
  done(request, static_cast<Found>((kind - kDone) & ((1u << kFoundBits) - 1)));
}

void Cache::done(Request& request, Found found) {
  pool_.end_compute(now());
  pool_.free_worker(request, now());
  if (request.access == Access::Read) {
    if (found != kMiss) {
      if (request.version < context_.committed.get(request.key)) count_stale(request);
      if (found == kHitRevalidate) {
        ++stale_while_revalidate_hits_;
        revalidate(request.key, request.operation);
      }
      request.hit = true;
      answer(request);
    } else {
      request.hit = false;
      if (read_mode_ == CacheConfig::ReadMode::ReadThrough) fetch(request);
      else answer(request);
    }
  } else if (write_mode_ == CacheConfig::WriteMode::Caller) {
    // Cache-aside: the caller sets the version it carries, or deletes.
    if (request.access == Access::Write) put(request.key, request.version, Dirty::No);
    else drop(request.key);
    answer(request);
  } else if (write_mode_ == CacheConfig::WriteMode::WriteBack && request.access == Access::Write) {
    last_write_operation_ = request.operation;
    // Held dirty, acknowledged now with the key's next version.
    const CacheEntry* held = store_.peek(request.key);
    const std::uint64_t version =
        std::max(context_.committed.get(request.key), held != nullptr ? held->version : 0) + 1;
    if (held != nullptr && held->dirty) ++write_backs_absorbed_;
    request.version = version;
    put(request.key, version, Dirty::Yes);
    const CacheEntry* stored = store_.peek(request.key);
    if (stored != nullptr && stored->version == version) {
      write_backs_.push_back(WriteBack{request.key, version, now() + write_back_delay_});
      if (!write_back_timer_) {
        write_back_timer_ = true;
        context_.engine.post_in(write_back_delay_, sim::Phase::Timer, this, kWriteBack, 0);
      }
    } else {
      write_back(request.key, version);  // it could not be held: it goes back at once
    }
    answer(request);
  } else {
    // To the backend first; the cache changes once it has committed.
    request.held_by = waiting_mark_;
    ++waiting_;
    call(*backend_, request);
  }
  serve_next();
}

void Cache::serve_next() {
  if (Request* next = pool_.next(0, now())) begin(*next);
}

void Cache::answer(Request& request) {
  stats_.depart(now(), request, context_.callers_may_give_up);
  reply(request);
}

void Cache::count_lookup(const Request& request, bool hit) {
  if (request.operation >= by_operation_.size()) return;
  ByOperation& op = by_operation_[request.operation];
  ++op.lookups;
  if (hit) ++op.hits;
}

void Cache::count_stale(const Request& request) {
  ++stale_reads_;
  if (request.operation < by_operation_.size()) ++by_operation_[request.operation].stale_reads;
}

void Cache::fetch(Request& request) {
  request.held_by = waiting_mark_;
  ++waiting_;
  if (coalesce_ && !flights_.join(request.key, request)) {
    ++coalesced_;  // a read of this key is out already: it waits for its answer, last in line
    return;
  }
  ++fetches_;
  call(*backend_, request);
}

void Cache::revalidate(std::uint64_t key, std::uint32_t operation) {
  std::uint64_t& out = revalidating_.at(key);
  if (out != 0) return;
  out = 1;
  ++revalidations_;
  ++fetches_;
  // Nobody waits for a refresh: it has no parent, and its reply fills.
  Request& refresh = new_request();
  refresh.created = now();
  refresh.key = key;
  refresh.operation = operation;
  refresh.operation = backend_->operation(refresh);
  refresh.access = Access::Read;
  dispatch(*backend_, refresh);
}

void Cache::on_reply(Request& call) {
  if (call.parent == nullptr) {
    // A refresh, or a write-back.
    if (call.access == Access::Read) {
      revalidating_.at(call.key) = 0;
      if (call.failure) ++fetch_failures_;
      else if (call.created >= restarted_) fill(call.key, call.version);
    } else if (call.failure) {
      ++write_back_failures_;
      ++lost_writes_;
    }
    context_.requests.release(call);
    return;
  }
  Request& request = *call.parent;
  assert(request.held_by == waiting_mark_);
  if (request.access == Access::Read) {
    fetched(request, call);
    context_.requests.release(call);
    return;
  }
  // A write or delete the backend has answered.
  request.held_by = 0;
  --waiting_;
  request.take_failure_from(call);
  if (!call.failure) {
    if (request.access == Access::Write && write_mode_ == CacheConfig::WriteMode::WriteThrough)
      fill(request.key, call.version);
    else
      drop(request.key);
  }
  request.version = call.version;
  context_.requests.release(call);
  answer(request);
}

void Cache::fetched(Request& request, const Request& call) {
  if (call.failure) ++fetch_failures_;
  else fill(request.key, call.version);
  // The read's parent first, then those that waited for it, in turn.
  answer_fetched(request, call);
  if (coalesce_) flights_.land(request.key, [this, &call](Request& waiter) { answer_fetched(waiter, call); });
}

void Cache::answer_fetched(Request& request, const Request& call) {
  request.held_by = 0;
  --waiting_;
  request.take_failure_from(call);
  request.version = call.version;
  request.hit = false;
  answer(request);
}

void Cache::fill(std::uint64_t key, std::uint64_t version) {
  // Never over a newer version held (a write that came meanwhile); the
  // same version is stored again, with a new expiry.
  const CacheEntry* held = store_.peek(key);
  if (held != nullptr && held->version > version && held->expiry > now()) return;
  put(key, version, Dirty::No);
}

void Cache::put(std::uint64_t key, std::uint64_t version, Dirty dirty) {
  const CacheStore::Insert stored =
      store_.insert(key, version, value_size_.size_of(key, size_salt_), now(), ttl_, dirty);
  removed(stored.removed);
  levels();
}

void Cache::drop(std::uint64_t key) {
  if (auto gone = store_.erase(key)) {
    if (gone->dirty) ++write_backs_absorbed_;  // a delete overtakes the write held
    levels();
  }
}

void Cache::removed(std::span<const RemovedEntry> entries) {
  // A dirty entry pushed out by eviction or expiry is written back, not lost.
  for (const RemovedEntry& e : entries)
    if (e.dirty && e.reason != Removal::Invalidated) write_back(e.key, e.version);
  if (!entries.empty()) levels();
}

void Cache::write_back(std::uint64_t key, std::uint64_t version) {
  ++write_backs_sent_;
  store_.mark_clean(key, version);
  Request& write = new_request();
  write.created = now();
  write.key = key;
  write.version = version;  // the database commits it (the cache gave it the key's next version)
  write.access = Access::Write;
  write.operation = last_write_operation_;
  write.operation = backend_->operation(write);
  dispatch(*backend_, write);
  levels();
}

void Cache::write_backs_due() {
  while (!write_backs_.empty() && write_backs_.front().due <= now()) {
    const WriteBack w = write_backs_.pop_front();
    const CacheEntry* held = store_.peek(w.key);
    // Gone back already (evicted, flushed) or overwritten: nothing to do here.
    if (held != nullptr && held->dirty && held->version == w.version) write_back(w.key, w.version);
  }
  if (!write_backs_.empty()) {
    write_back_timer_ = true;
    context_.engine.post_in(write_backs_.front().due - now(), sim::Phase::Timer, this, kWriteBack, 0);
  }
}

void Cache::levels() {
  const CacheCounters& c = store_.counters();
  bytes_.set(now(), static_cast<std::int64_t>(c.bytes_held));
  keys_.set(now(), static_cast<std::int64_t>(c.resident_keys));
  dirty_.set(now(), static_cast<std::int64_t>(c.dirty_keys));
}

bool Cache::on_fault(const FaultAction& action) {
  switch (action.kind) {
    case FaultAction::Kind::Crash:
      crash();
      return true;
    case FaultAction::Kind::Recover:
      pool_.set_down(0, kNoFailure);
      return true;
    case FaultAction::Kind::Flush:
      flush();
      return true;
    case FaultAction::Kind::SlowDown:
      slow_.set(action, 1);
      return true;
    default:
      return false;
  }
}

void Cache::crash() {
  if (pool_.down(0)) return;
  // Registered before the run by the fault timeline that planned the crash.
  crashed_ = context_.failures.intern("crashed");
  pool_.set_down(0, crashed_);
  context_.callers_may_give_up = true;
  const auto fail = [this](Request& request) {
    request.failure = crashed_;
    answer(request);
  };
  // Steps under way never end (WorkerPool::cut_short).
  for (Request* request : pool_.holders(0)) {
    pool_.end_compute(now());
    pool_.free_worker(*request, now());
    fail(*request);
  }
  while (Request* request = pool_.take_waiting(0, now())) fail(*request);
  // Those waiting on the backend: their calls' replies will find them gone.
  std::vector<Request*> waiting;
  context_.requests.for_each([&](const Request& r) {
    if (r.held_by == waiting_mark_) waiting.push_back(const_cast<Request*>(&r));
  });
  for (Request* request : waiting) {
    request->held_by = 0;
    --waiting_;
    request->disown_calls();
    fail(*request);
  }
  flights_.clear();
  revalidating_ = sim::KeyMap{};
  // The dirty entries were acknowledged and never reached the backend.
  store_.flush([this](const CacheEntry&) { ++lost_writes_; });
  while (!write_backs_.empty()) write_backs_.pop_front();
  restarted_ = now();
  levels();
}


void Cache::flush() {
  ++flushes_;
  // A flush asked for writes the dirty entries back first: only a crash loses them.
  std::vector<CacheEntry> dirty;
  store_.for_each_dirty([&dirty](const CacheEntry& e) { dirty.push_back(e); });
  for (const CacheEntry& e : dirty) write_back(e.key, e.version);
  store_.flush();
  levels();
}

void Cache::on_window_begin(sim::Time now) {
  pool_.on_window_begin(now);
  window_by_operation_ = by_operation_;
}

void Cache::check_invariants() const {
  Component::check_invariants();
  pool_.check_invariants();
  // The store's walk at every report interval took more time than the rest
  // of the run of bench/cache-aside.json: spaced out, and always at the end.
  store_.check_invariants_spaced(now() >= context_.end);
  assert(stats_.busy.value() + stats_.queue.value() + waiting_ == stats_.in_system.value());
  assert(waiting_ >= 0);
}

}  // namespace archsim::models
