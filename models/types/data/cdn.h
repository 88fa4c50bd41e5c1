// models/types/data/cdn.h: a content delivery network: edge caches in front
// of an origin.
//
// The CDN is `edges` edges, each with its own CacheStore
// (models/runtime/cache_store.h) of finite capacity in keys and/or bytes,
// an eviction policy and a TTL, declared as a cache server declares its
// store. A request goes to one edge (`edge_choice`): by a hash of its user,
// so that a user keeps to one edge, or to each edge in turn. The choice is
// one function (Cdn::edge_for), so that regions can later pick the edge by
// the client's place; each edge is a replica of the component (NAME[i]),
// placed, crashed and purged as such, and its calls to the origin go from
// that replica.
//
// Reads of the `static_operations` are looked up at their edge on arrival.
// An entry is an object: a static operation and a key (a URL), so that an
// image and a script of one key are two objects. A hit is answered from the
// edge after a draw of `hit_time`; a miss goes to the `origin` at once, and
// the origin's answer fills the edge and is relayed at once. A failed fetch
// fills nothing and fails the request. Every other request (another
// operation, or a write or delete of a static one) passes through to the
// origin uncached and changes nothing at the edge. With `coalesce`,
// concurrent misses on one object at one edge make one origin fetch and all
// take its answer (request collapsing, models/runtime/single_flight.h).
// An edge has no worker limit: an edge server's capacity is far beyond what
// one scenario sends it, and what a CDN is for is what reaches the origin,
// not an edge's own queue.
//
// Every hit rate comes from the keys the workload draws hitting each edge's
// finite store: none is configured. Each object's size is drawn once from
// the object (`value_size`, as a cache draws a key's). The CDN counts, per
// edge and in total, the bytes it served, those served from an edge's store
// and those fetched from the origin; the origin offload is 1 - origin
// fetches / lookups, the byte offload 1 - bytes fetched / bytes served.
//
// Faults: a crash of an edge (NAME[i], or every edge) fails what it holds
// (hits being served, requests waiting on the origin: their fetches' late
// answers are dropped) and refuses what comes to it; it restarts empty
// (cold). With `failover_after_s`, the crash is known that long after it
// (health checks, DNS catching up), and from then on the requests that pick
// the edge go to another one that is not known to be down: by user, the one
// of highest weight for the user (rendezvous hashing, so a crashed edge's
// users spread over the others and everyone else stays put); round robin,
// the next in turn. They come back the moment the edge recovers. A flush (a
// purge) empties an edge's store at an instant, or every edge's; a fetch
// sent before the purge fills nothing when it comes back.
//
// Not modelled here: the distance to a stand-in edge (a request moved to
// another edge crosses the link its own edge would have: regions will
// price it), health checks that notice a recovery late, tiered caches (an
// edge asking a parent edge), sizes by operation, partial objects and range
// requests, stale copies against the origin's data, conditional
// revalidation, the edge's own time on a miss or a pass-through, bandwidth
// of the edges or their links.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "models/format/params.h"
#include "models/runtime/cache_store.h"
#include "models/runtime/component_type.h"
#include "models/runtime/dependency.h"
#include "models/runtime/single_flight.h"
#include "models/runtime/slow_down.h"

namespace archsim::models {

struct CdnConfig {
  // In the order of the declaration's choices.
  enum class EdgeChoice { User, RoundRobin };
  std::string name;
  std::int64_t edges = 1;
  EdgeChoice edge_choice = EdgeChoice::User;
  CacheStoreConfig store;       // each edge's
  std::optional<double> ttl_s;  // none: entries never expire
  SizeDistribution value_size;
  Delay hit_time;
  std::string origin;
  std::vector<std::string> static_operations;
  bool coalesce = false;
  std::optional<double> failover_after_s;  // none: a crashed edge's requests are refused while it is down
};

spec::NodeRef cdn_spec();
ComponentType cdn_type();

class Cdn final : public Component {
 public:
  Cdn(CdnConfig config, Context& context);

  const char* type() const override { return "cdn"; }
  void connect(Wiring& wiring) override;
  void start() override;
  // Each edge is a replica: placed, crashed and purged as NAME[i].
  std::int64_t replicas() const override { return static_cast<std::int64_t>(edges_.size()); }

  void on_request(Request& request) override;
  void on_reply(Request& call) override;
  void on_timer(std::uint32_t kind, std::uint64_t data) override;

  bool on_fault(const FaultAction& action) override;
  void on_window_begin(sim::Time now) override;
  void check_invariants() const override;

  const CacheStore& store(std::size_t edge) const { return *edges_[edge].store; }

  // The most edges that have series columns of their own (nine each); with
  // more, the summary's by_edge still shows each one.
  static constexpr std::size_t kMaxEdgeSeries = 32;

 private:
  // A hit's end (its data is the hit's place in hits_), and the instant an
  // edge's crash is known (its data is the edge).
  enum Timer : std::uint32_t { kHitDone = kFirstTimer, kCrashKnown };
  // A hit being served: its request (null once a crash failed it) and the
  // size it serves; free places are linked by next_free.
  struct Hit {
    Request* request = nullptr;
    std::uint32_t size = 0;
    std::uint32_t next_free = 0;
  };
  static constexpr std::uint32_t kNoHit = 0xFFFFFFFF;
  // What an edge (and the CDN in total) counts, cumulative from time zero.
  struct Counters {
    std::uint64_t requests = 0;        // that reached it, refused ones included
    std::uint64_t failed_over = 0;     // of those, requests whose own edge was known to be down
    std::uint64_t lookups = 0, hits = 0, misses = 0;
    std::uint64_t passed_through = 0;  // sent to the origin uncached
    std::uint64_t fetches = 0;         // misses sent to the origin
    std::uint64_t coalesced = 0;       // misses that waited for a fetch under way
    std::uint64_t fetch_failures = 0;
    std::uint64_t origin_requests = 0;  // fetches + passed_through
    std::uint64_t offloaded = 0;        // lookups that made no origin request: hits + coalesced
    std::uint64_t evictions = 0, expirations = 0;
    std::uint64_t bytes_served = 0;      // of static reads answered without failure
    std::uint64_t bytes_from_edge = 0;   // of those, served from the edge's store (hits)
    std::uint64_t bytes_from_origin = 0;  // fetched from the origin (a fetch counts once, however many share it)
    std::uint64_t bytes_offloaded = 0;    // bytes_served - bytes_from_origin

    void add(const Counters& o) {
      requests += o.requests;
      failed_over += o.failed_over;
      lookups += o.lookups;
      hits += o.hits;
      misses += o.misses;
      passed_through += o.passed_through;
      fetches += o.fetches;
      coalesced += o.coalesced;
      fetch_failures += o.fetch_failures;
      origin_requests += o.origin_requests;
      offloaded += o.offloaded;
      evictions += o.evictions;
      expirations += o.expirations;
      bytes_served += o.bytes_served;
      bytes_from_edge += o.bytes_from_edge;
      bytes_from_origin += o.bytes_from_origin;
      bytes_offloaded += o.bytes_offloaded;
    }
    friend bool operator==(const Counters&, const Counters&) = default;
  };
  struct ByOperation {
    std::uint64_t lookups = 0, hits = 0;
  };
  struct Edge {
    std::unique_ptr<CacheStore> store;
    SingleFlight flights;  // coalesce: the fetches under way
    Counters counters, window;
    bool down = false;
    sim::Time known_down_at = sim::Time::max();  // down, from when its requests go to another edge
    sim::Time purged{};  // fetches sent before this fill nothing
    std::int64_t held = 0;  // requests at the edge: hits being served, and those waiting on the origin
    std::uint64_t keys_held = 0, bytes_held = 0;  // as last added to the totals' levels
  };

  // The edge a request goes to, and whether it stands in for the request's
  // own edge, known to be down.
  struct Choice {
    std::size_t edge;
    bool failed_over;
  };
  Choice edge_for(const Request& request);
  bool known_down(std::size_t edge) const { return edges_[edge].down && now() >= edges_[edge].known_down_at; }
  // By user, while the user's edge is known to be down: of the others not
  // known to be down, the one of highest weight for the user; `own` if none.
  std::size_t stand_in(std::size_t own, std::uint64_t user) const;
  // What an edge stores a response as: the object its operation and key
  // name (a URL), so that an image and a script of one key are two objects.
  // Keys are below kKeys (workloads draw at most 10^12).
  static constexpr std::uint64_t kKeys = std::uint64_t{1} << 40;
  static std::uint64_t object(const Request& request) {
    return request.key | std::uint64_t{request.operation} << 40;
  }
  bool cached(const Request& request) const {
    return request.access == Access::Read && request.operation < static_.size() && static_[request.operation];
  }
  void look_up(Edge& edge, Request& request);
  void to_origin(Request& request);
  void fetched(Edge& edge, Request& request, const Request& call);
  void fill(Edge& edge, std::uint64_t id, std::uint64_t version, std::uint32_t size);
  void removed(Edge& edge, std::span<const RemovedEntry> entries);
  void levels(Edge& edge);
  void leave(Edge& edge, Request& request);
  void answer(Request& request);
  void crash(std::size_t edge);
  void purge(std::size_t edge);
  // Both counters of a figure: the edge's and the total.
  template <class F>
  void count(Edge& edge, F f) {
    f(edge.counters);
    f(total_);
  }

  sim::Rng rng_;
  std::vector<Edge> edges_;  // sized once, in the constructor: the metrics point into it
  SlowDowns slow_;           // by edge: the time of a hit (slow_down)
  CdnConfig::EdgeChoice edge_choice_;
  std::size_t next_edge_ = 0;
  sim::Time ttl_ = sim::Time::max();
  SizeDistribution value_size_;
  std::uint64_t size_salt_;
  Delay hit_time_;
  Dependency origin_;
  std::vector<std::string> static_names_;
  std::vector<bool> static_;  // by operation index
  bool coalesce_;
  std::optional<sim::Time> failover_after_;  // from a crash until its requests go elsewhere
  std::uint32_t mark_;  // Request::held_by of the requests waiting on the origin
  // The hits being served, grown to the most ever served at once, then
  // reused: no state on the request (whose scratch is its sender's).
  std::vector<Hit> hits_;
  std::uint32_t free_hit_ = kNoHit;
  Failure crashed_{};
  Counters total_;
  std::vector<ByOperation> by_operation_, window_by_operation_;  // by operation index, over every edge
  std::uint64_t purges_ = 0;
  sim::TimeWeighted keys_, bytes_;  // over every edge
  std::uint64_t keys_held_ = 0, bytes_held_ = 0;
};

}  // namespace archsim::models
