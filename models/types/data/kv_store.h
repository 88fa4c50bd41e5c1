// models/types/data/kv_store.h: a Dynamo-style key-value store: nodes on a
// consistent-hash ring, each key kept on N of them, reads and writes
// answered by a quorum.
//
// A key's preference list is the first N distinct nodes going round the ring
// from it (models/runtime/hash_ring.h). The store coordinates each request:
// it sends it to the N nodes of the list at once; each node serves it with
// one of its workers (a bounded FIFO queue, a read or write time drawn per
// node) and answers. The request is answered as soon as R replies (reads)
// or W acknowledgements (writes) have come, so its latency is the R-th (W-th)
// smallest of the nodes' latencies; the other nodes' work goes on and their
// answers are ignored. A write carries a new version of its key; each node
// keeps the highest version it has written; a read returns the highest
// version among its R replies, and is stale when that is older than the
// key's latest write acknowledged by W nodes (which happens when R + W <= N,
// or after failures).
//
// A slowed node takes k times its drawn times plus an added delay. A node
// that is down answers at once with a refusal. A request that cannot
// gather R (W) good answers fails with the cause no_quorum. With
// `sloppy_quorum`, the nodes down in a key's list are replaced by the next
// nodes up round the ring; a write stored that way keeps a hint, and when
// the node it was meant for recovers the hinted versions are handed to it at
// once (counted).
//
// Not modelled here: the coordinator's own work and its hops to the nodes
// (it is the store itself, taking no time), vector clocks and conflicting
// versions (one counter per key: the later write wins), read repair and
// anti-entropy, a node's own data loss on a crash (it keeps what it had).
#pragma once

#include <string>
#include <vector>

#include "models/format/params.h"
#include "models/runtime/component_type.h"
#include "models/runtime/hash_ring.h"
#include "models/runtime/slow_down.h"
#include "models/runtime/worker_pool.h"
#include "sim/key_map.h"

namespace archsim::models {

struct KvStoreConfig {
  std::string name;
  std::int64_t nodes = 3;
  std::int64_t workers = 1;
  std::int64_t queue_capacity = 100000;
  std::int64_t n = 3, r = 2, w = 2;
  std::int64_t virtual_nodes = 100;
  Delay read_time, write_time;
  bool sloppy_quorum = false;
};

spec::NodeRef kv_store_spec();
ComponentType kv_store_type();

class KvStore final : public Component {
 public:
  KvStore(KvStoreConfig config, Context& context);

  const char* type() const override { return "kv_store"; }
  void connect(Wiring&) override {}
  std::int64_t capacity() const override { return pool_.capacity(); }
  std::int64_t replicas() const override { return pool_.replicas(); }

  void on_request(Request& request) override;
  void on_reply(Request& call) override;
  void on_timer(std::uint32_t kind, std::uint64_t data) override;
  bool on_fault(const FaultAction& action) override;

  void on_window_begin(sim::Time now) override;
  void check_invariants() const override;

 private:
  enum Timer : std::uint32_t { kDone = kFirstTimer };  // + the pool's life when the step began
  static constexpr std::uint16_t kAnswered = 0xFFFF;    // in a request's `step`: answered already
  struct Node {
    sim::KeyMap versions;
    // Writes stored here for a node that was down: (node, key, version).
    struct Hint {
      std::size_t node;
      std::uint64_t key, version;
    };
    std::vector<Hint> hints;
  };

  // Sends one part of `request` to node `node`; `hint_for` is the node a
  // sloppy write stands in for (or -1).
  void send_part(Request& request, std::size_t node, std::int64_t hint_for);
  void part_done(Request& part);
  // A part came back (good or not): answers the request once its quorum is
  // met or out of reach.
  void part_ended(Request& request, bool good);
  void begin(Request& part);
  void serve_next(std::size_t node);
  void crash(std::size_t node);
  void recover(std::size_t node);

  WorkerPool pool_;
  std::vector<Node> nodes_;
  HashRing ring_;
  std::size_t n_, r_, w_;
  Delay read_time_, write_time_;
  bool sloppy_;
  sim::Rng rng_;
  sim::KeyMap issued_;  // the last version given to a write of each key
  std::vector<std::uint32_t> list_;  // scratch: a preference list
  SlowDowns slow_;  // by node
  Failure crashed_{}, no_quorum_{};
  std::uint64_t reads_ = 0, writes_ = 0, stale_reads_ = 0, no_quorum_count_ = 0, hinted_ = 0, handed_back_ = 0;
  std::uint64_t parts_ = 0, ignored_parts_ = 0;
};

}  // namespace archsim::models
