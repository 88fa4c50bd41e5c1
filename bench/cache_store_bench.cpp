// bench/cache_store_bench.cpp: how fast the cache store (models/runtime/
// cache_store.h) looks keys up and fills misses, per eviction policy, and
// how much memory a resident key takes. A benchmark, not a test: it prints
// figures and judges nothing.
//
//   archsim_bench --model cache_store [--policy P|all] [--resident N] [--distinct N]
//                 [--requests N] [--exponent S] [--rounds R]
//   archsim_bench --model cache_store_memory [--policy P] [--resident N]
//
// cache_store: a store of --resident keys (10^6) under Zipf(--exponent, 0.9)
// requests over --distinct keys (10^7). The requests are drawn once, before
// any timing (--requests of them, 10^7), so the figures do not include
// drawing them. Each policy first replays them once to fill and warm up,
// then, --rounds times (5), replays them as a cache-aside cache would (a
// lookup, and on a miss an insert, which evicts) and then as lookups alone
// (no insert on a miss). One JSON line per policy: the median, least and
// greatest of the rounds' time per request, each round timing one whole
// replay by the thread's CPU clock (CLOCK_THREAD_CPUTIME_ID), which does not
// count time the thread waits for a core on a shared machine; the median
// wall time is printed beside it.
//
// First, a line on the machine: the time of one random load that depends on
// the one before (pointer chasing), in an array of 64 MiB (about the store's
// size at 10^6 keys) on huge pages where the system grants them: what a
// lookup that misses every processor cache pays for each step.
//
// Beside the store's policies, --policy textbook_lru (included in all) runs
// the peer: the LRU cache of textbooks and interviews, a std::unordered_map
// from key to a position in a std::list kept in recency order, with the
// same values (version, size), on the same requests.
//
// cache_store_memory: inserts --resident distinct keys (10^7) into a store of
// that capacity and reports the process's resident memory before and after
// (VmRSS) and its peak (VmHWM), per key; for perfect_lfu it then inserts as
// many new keys, evicting every first one, to show the counts it keeps for
// keys no longer resident. One policy per process, since the peak is the
// process's.
#include "bench/cache_store_bench.h"

#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <utility>
#include <iostream>
#include <iterator>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/runtime/cache_store.h"
#include "sim/zipf.h"

namespace archsim::bench {
namespace {

using models::CacheStore;
using models::CacheStoreConfig;
using models::Eviction;

struct Options {
  std::string policy = "all";
  double resident = 0;  // 0: the mode's default
  double distinct = 1e7;
  double requests = 1e7;
  double exponent = 0.9;
  int rounds = 5;
};

// VmRSS or VmHWM of this process, in KiB.
long status_kib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(status, line))
    if (line.rfind(prefix, 0) == 0) return std::atol(line.c_str() + prefix.size());
  return -1;
}

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// A replay's CPU and wall time, in ns per request.
struct Timing {
  double cpu_ns, wall_ns;
};
template <class F>
Timing timed(std::size_t requests, F f) {
  const double cpu = thread_cpu_seconds();
  const auto wall = std::chrono::steady_clock::now();
  f();
  const double n = static_cast<double>(requests);
  return {(thread_cpu_seconds() - cpu) * 1e9 / n,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count() * 1e9 / n};
}

struct Spread {
  double median, least, greatest;
};
Spread spread(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {median, values.front(), values.back()};
}

// The peer: one list node and one hash node allocated per insert, freed per eviction.
class TextbookLru {
 public:
  explicit TextbookLru(std::size_t capacity) : capacity_(capacity) { map_.reserve(capacity); }
  bool lookup(std::uint64_t key) {
    const auto found = map_.find(key);
    if (found == map_.end()) return false;
    list_.splice(list_.end(), list_, found->second);
    return true;
  }
  void insert(std::uint64_t key) {
    if (map_.size() == capacity_) {
      map_.erase(list_.front().key);
      list_.pop_front();
    }
    list_.push_back(Value{key, 1, 100});
    map_.emplace(key, std::prev(list_.end()));
  }
  std::size_t size() const { return map_.size(); }

 private:
  struct Value {
    std::uint64_t key;
    std::uint64_t version;
    std::uint32_t size_bytes;
  };
  std::size_t capacity_;
  std::list<Value> list_;
  std::unordered_map<std::uint64_t, std::list<Value>::iterator> map_;
};

// Replays the requests; with `fill`, each miss is inserted. Returns the hits.
std::uint64_t replay(CacheStore& store, const std::vector<std::uint64_t>& keys, bool fill) {
  std::uint64_t hits = 0;
  const sim::Time now = sim::Time::zero();
  for (const std::uint64_t key : keys) {
    if (store.lookup(key, now).hit()) {
      ++hits;
    } else if (fill) {
      store.insert(key, 1, 100, now, sim::Time::max());
    }
  }
  return hits;
}
std::uint64_t replay(TextbookLru& cache, const std::vector<std::uint64_t>& keys, bool fill) {
  std::uint64_t hits = 0;
  for (const std::uint64_t key : keys) {
    if (cache.lookup(key)) {
      ++hits;
    } else if (fill) {
      cache.insert(key);
    }
  }
  return hits;
}

constexpr std::size_t kTextbook = 1000;  // the peer's number among the policies
std::string policy_name(std::size_t p) { return p == kTextbook ? "textbook_lru" : models::eviction_names()[p]; }

// Pointer chasing through a random cycle over 64 MiB of 64-byte lines.
void memory_latency() {
  constexpr std::size_t kLines = (std::size_t{64} << 20) / 64;
  struct alignas(64) Line {
    std::uint64_t next;
  };
  auto* lines = static_cast<Line*>(std::aligned_alloc(std::size_t{2} << 20, kLines * sizeof(Line)));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  madvise(lines, kLines * sizeof(Line), MADV_HUGEPAGE);
#endif
  // A random cyclic order (Sattolo's shuffle): every line once, in one cycle.
  std::vector<std::uint64_t> order(kLines);
  for (std::size_t i = 0; i < kLines; ++i) order[i] = i;
  sim::Rng rng(99);
  for (std::size_t i = kLines - 1; i > 0; --i) std::swap(order[i], order[rng.below(i)]);
  for (std::size_t i = 0; i < kLines; ++i) lines[order[i]].next = order[(i + 1) % kLines];
  const std::size_t steps = 4 * kLines;
  std::uint64_t at = 0;
  const Timing t = timed(steps, [&] {
    for (std::size_t i = 0; i < steps; ++i) at = lines[at].next;
  });
  std::printf("{\"bench\": \"memory_latency\", \"array_mib\": 64, \"ns_per_dependent_load\": %.1f, "
              "\"wall_ns_per_dependent_load\": %.1f, \"end\": %llu}\n",
              t.cpu_ns, t.wall_ns, static_cast<unsigned long long>(at));
  std::free(lines);
}

int speed(const Options& options, const std::vector<std::size_t>& policies) {
  memory_latency();
  const auto resident = static_cast<std::uint64_t>(options.resident > 0 ? options.resident : 1e6);
  const auto distinct = static_cast<std::uint64_t>(options.distinct);
  std::vector<std::uint64_t> keys(static_cast<std::size_t>(options.requests));
  const sim::Zipf zipf(distinct, options.exponent);
  sim::Rng rng(2024);
  for (std::uint64_t& key : keys) key = zipf.sample(rng);
  for (const std::size_t p : policies) {
    CacheStoreConfig config;
    config.eviction = p == kTextbook ? Eviction::Lru : static_cast<Eviction>(p);
    config.capacity_keys = resident;
    sim::Rng eviction_rng(7);
    CacheStore store(config, &eviction_rng);
    store.reserve(resident);
    std::optional<TextbookLru> textbook;
    if (p == kTextbook) textbook.emplace(resident);
    auto run = [&](bool fill) { return textbook ? replay(*textbook, keys, fill) : replay(store, keys, fill); };
    run(true);
    const std::uint64_t growths = store.growths();
    std::vector<double> request_ns, lookup_ns, request_wall_ns, lookup_wall_ns;
    std::uint64_t hits = 0, lookup_hits = 0;
    for (int r = 0; r < options.rounds; ++r) {
      Timing t = timed(keys.size(), [&] { hits = run(true); });
      request_ns.push_back(t.cpu_ns);
      request_wall_ns.push_back(t.wall_ns);
      t = timed(keys.size(), [&] { lookup_hits = run(false); });
      lookup_ns.push_back(t.cpu_ns);
      lookup_wall_ns.push_back(t.wall_ns);
    }
    store.check_invariants();
    const Spread request = spread(request_ns), lookup = spread(lookup_ns);
    const std::size_t held = textbook ? textbook->size() : store.counters().resident_keys;
    std::printf(
        "{\"bench\": \"cache_store\", \"policy\": \"%s\", \"resident\": %zu, \"distinct\": %llu, \"exponent\": %.2f, "
        "\"requests\": %zu, \"rounds\": %d, \"hit_ratio\": %.4f, \"lookup_only_hit_ratio\": %.4f, "
        "\"ns_per_request\": %.1f, \"ns_per_request_min\": %.1f, \"ns_per_request_max\": %.1f, "
        "\"ns_per_lookup\": %.1f, \"ns_per_lookup_min\": %.1f, \"ns_per_lookup_max\": %.1f, "
        "\"wall_ns_per_request\": %.1f, \"wall_ns_per_lookup\": %.1f, "
        "\"store_bytes_per_key\": %.1f, \"growths_while_timed\": %llu}\n",
        policy_name(p).c_str(), held, static_cast<unsigned long long>(distinct), options.exponent, keys.size(),
        options.rounds, static_cast<double>(hits) / static_cast<double>(keys.size()),
        static_cast<double>(lookup_hits) / static_cast<double>(keys.size()), request.median, request.least,
        request.greatest, lookup.median, lookup.least, lookup.greatest, spread(request_wall_ns).median,
        spread(lookup_wall_ns).median,
        p == kTextbook ? 0.0 : static_cast<double>(store.memory_bytes()) / static_cast<double>(resident),
        static_cast<unsigned long long>(store.growths() - growths));
    std::fflush(stdout);
  }
  return 0;
}

int memory(const Options& options, std::size_t p) {
  const auto resident = static_cast<std::uint64_t>(options.resident > 0 ? options.resident : 1e7);
  const long before = status_kib("VmRSS");
  CacheStoreConfig config;
  config.eviction = p == kTextbook ? Eviction::Lru : static_cast<Eviction>(p);
  config.capacity_keys = resident;
  sim::Rng eviction_rng(7);
  // The peer is built only when measured: its reserve() takes memory at once.
  std::optional<CacheStore> store;
  std::optional<TextbookLru> textbook;
  if (p == kTextbook)
    textbook.emplace(resident);
  else
    store.emplace(config, &eviction_rng);
  const sim::Time now = sim::Time::zero();
  auto insert = [&](std::uint64_t key) {
    if (textbook)
      textbook->insert(key);
    else
      store->insert(key, 1, 100, now, sim::Time::max());
  };
  for (std::uint64_t key = 0; key < resident; ++key) insert(key);
  const long after = status_kib("VmRSS");
  const long peak = status_kib("VmHWM");
  const double n = static_cast<double>(resident);
  std::printf(
      "{\"bench\": \"cache_store_memory\", \"policy\": \"%s\", \"resident\": %llu, \"rss_before_mib\": %.1f, "
      "\"rss_after_mib\": %.1f, \"peak_rss_mib\": %.1f, \"rss_bytes_per_key\": %.1f, \"store_bytes_per_key\": %.1f",
      policy_name(p).c_str(), static_cast<unsigned long long>(textbook ? textbook->size() : store->counters().resident_keys),
      static_cast<double>(before) / 1024, static_cast<double>(after) / 1024, static_cast<double>(peak) / 1024,
      static_cast<double>(after - before) * 1024 / n, store ? static_cast<double>(store->memory_bytes()) / n : 0.0);
  if (config.eviction == Eviction::PerfectLfu) {
    // Evict every key once: their counts stay.
    for (std::uint64_t key = resident; key < 2 * resident; ++key) insert(key);
    const long churned = status_kib("VmRSS");
    std::printf(", \"rss_after_evicting_all_mib\": %.1f, \"rss_bytes_per_removed_key\": %.1f",
                static_cast<double>(churned) / 1024, static_cast<double>(churned - after) * 1024 / n);
  }
  std::printf("}\n");
  if (store) store->check_invariants();
  return 0;
}

}  // namespace

int cache_store_main(const std::string& mode, int argc, char** argv) {
  Options options;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--policy" && has_value) {
      options.policy = argv[++i];
    } else if (arg == "--resident" && has_value) {
      options.resident = std::atof(argv[++i]);
    } else if (arg == "--distinct" && has_value) {
      options.distinct = std::atof(argv[++i]);
    } else if (arg == "--requests" && has_value) {
      options.requests = std::atof(argv[++i]);
    } else if (arg == "--exponent" && has_value) {
      options.exponent = std::atof(argv[++i]);
    } else if (arg == "--rounds" && has_value) {
      options.rounds = std::atoi(argv[++i]);
    } else {
      std::cerr << "usage: archsim_bench --model cache_store [--policy P|all] [--resident N] [--distinct N] "
                   "[--requests N] [--exponent S] [--rounds R]\n"
                   "       archsim_bench --model cache_store_memory [--policy P] [--resident N]\n";
      return 2;
    }
  }
  std::vector<std::size_t> policies;
  const auto& names = models::eviction_names();
  for (std::size_t p = 0; p < names.size(); ++p)
    if (options.policy == "all" || options.policy == names[p]) policies.push_back(p);
  if (options.policy == "all" || options.policy == "textbook_lru") policies.push_back(kTextbook);
  if (policies.empty()) {
    std::cerr << "archsim_bench: unknown policy " << options.policy
              << " (lru, fifo, random, lfu, perfect_lfu, none, textbook_lru, all)\n";
    return 2;
  }
  if (!(options.resident >= 0 && options.resident <= 1e9) || !(options.distinct >= 1 && options.distinct <= 1e12) ||
      !(options.requests >= 1 && options.requests <= 1e9) || !(options.exponent > 0) || options.rounds < 1) {
    std::cerr << "archsim_bench: --resident up to 1e9, --distinct 1 to 1e12, --requests 1 to 1e9, --exponent > 0, "
                 "--rounds >= 1\n";
    return 2;
  }
  if (mode == "cache_store") return speed(options, policies);
  if (policies.size() != 1) {
    std::cerr << "archsim_bench: cache_store_memory measures one policy per process: give --policy\n";
    return 2;
  }
  return memory(options, policies.front());
}

}  // namespace archsim::bench
