// models/types/data/shard_router.h: sends each request to the shard that
// owns its key.
//
// The router holds a list of shards (components, usually databases, each
// holding a disjoint part of the keys) and maps a key to one of them by
// hash mod N (the key's hash modulo the shards in use), by range (split
// points on the key), or by consistent hashing (a ring with virtual nodes
// per shard, models/runtime/hash_ring.h). It proxies: it calls the shard and
// relays the reply, taking no time and holding no queue. Skew comes from
// the keys: a Zipf workload or a celebrity key makes one shard hot, which
// shows in the shards' own throughput and utilization and in the bottleneck.
//
// Resharding (reshard; the fault timeline's add_shard and remove_shard): the
// shards in use grow or shrink by the end of the list, at one instant. The
// router counts the keys of the key space whose shard changed — about
// 1/(N+1) of them with consistent hashing, about N/(N+1) with hash mod N —
// and a cache keyed the same way sees the moved keys miss. Validation makes
// sure each action finds a shard to add or one to keep.
//
// Not modelled here: moving the data itself (a moved key is simply served
// by its new shard, which holds it from then on), routing tables cached by
// clients, cross-shard queries, range splits while running.
#pragma once

#include <string>
#include <vector>

#include "models/runtime/component_type.h"
#include "models/runtime/dependency.h"
#include "models/runtime/hash_ring.h"

namespace archsim::models {

struct ShardRouterConfig {
  enum class Strategy { HashMod, Range, ConsistentHash };
  std::string name;
  std::vector<std::string> shards;
  Strategy strategy = Strategy::ConsistentHash;
  std::int64_t virtual_nodes = 100;
  std::vector<std::uint64_t> split_points;
  std::int64_t active_shards = 0;  // 0: all
};

spec::NodeRef shard_router_spec();
ComponentType shard_router_type();

class ShardRouter final : public Component {
 public:
  ShardRouter(ShardRouterConfig config, Context& context);

  const char* type() const override { return "shard_router"; }
  void connect(Wiring& wiring) override;
  void on_request(Request& request) override;
  void on_reply(Request& call) override;
  void on_window_begin(sim::Time now) override;
  // add_shard and remove_shard from the fault timeline.
  bool on_fault(const FaultAction& action) override;

  // The shard that owns `key` with the shards now in use.
  std::size_t shard_of(std::uint64_t key) const;
  // Puts the first `active` shards of the list in use, counting the keys
  // that change shard.
  void reshard(std::size_t active);
  std::size_t active() const { return active_; }

 private:
  struct Reshard {
    sim::Time at{};
    std::size_t from = 0, to = 0;
    std::uint64_t keys_counted = 0, keys_moved = 0;
  };
  std::size_t shard_with(std::uint64_t key, std::size_t active, const HashRing& ring) const;

  std::vector<Dependency> shards_;
  ShardRouterConfig::Strategy strategy_;
  std::vector<std::uint64_t> split_points_;
  std::size_t active_;
  HashRing ring_;
  std::vector<std::uint64_t> sent_, window_sent_;  // by shard
  std::vector<Reshard> reshards_;
};

}  // namespace archsim::models
