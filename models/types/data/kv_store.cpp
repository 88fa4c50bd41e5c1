#include "models/types/data/kv_store.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace archsim::models {

using spec::Json;
using spec::Spec;

spec::NodeRef kv_store_spec() {
  static const spec::NodeRef node = [] {
    using Config = KvStoreConfig;
    Spec kv = Spec::object("A Dynamo-style store: nodes on a consistent-hash ring, each key on N of them, reads and "
                           "writes answered by R and W of them");
    kv.required("name", Spec::string("Unique name of the component").max_length(100))
        .to(&Config::name)
        .optional("nodes", Spec::integer("Storage nodes on the ring").min(1).max(1000).default_value(3))
        .to(&Config::nodes)
        .optional("workers", Spec::integer("Requests each node serves at once").min(1).max(100000).default_value(1))
        .to(&Config::workers)
        .optional("queue_capacity", Spec::integer("Requests each node holds waiting for a worker; one more is refused")
                                        .unit("requests")
                                        .min(0)
                                        .max(10'000'000)
                                        .default_value(100000))
        .to(&Config::queue_capacity)
        .optional("replication_factor", Spec::integer("N: the nodes that keep each key").min(1).max(1000).default_value(3))
        .to(&Config::n)
        .optional("read_quorum", Spec::integer("R: the replies a read waits for").min(1).max(1000).default_value(2))
        .to(&Config::r)
        .optional("write_quorum", Spec::integer("W: the acknowledgements a write waits for").min(1).max(1000).default_value(2))
        .to(&Config::w)
        .optional("virtual_nodes", Spec::integer("Points of each node on the ring").min(1).max(10000).default_value(100))
        .to(&Config::virtual_nodes)
        .required("read_time", time_distribution_spec())
        .to(&Config::read_time)
        .required("write_time", time_distribution_spec())
        .to(&Config::write_time)
        .optional("sloppy_quorum", Spec::boolean("Nodes down in a key's list are replaced by the next nodes up; writes "
                                                 "they take keep a hint and are handed back on recovery")
                                       .default_value(false))
        .to(&Config::sloppy_quorum);
    kv.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      const auto nodes = v.value("nodes", std::int64_t{3});
      const auto n = v.value("replication_factor", std::int64_t{3});
      if (n > nodes)
        errors.add(path / "replication_factor", "is " + std::to_string(n) + ", more than the " + std::to_string(nodes) +
                                                    " nodes: a key cannot be kept on more nodes than there are");
      for (const char* q : {"read_quorum", "write_quorum"}) {
        const auto k = v.value(q, std::int64_t{2});
        if (k > n)
          errors.add(path / q, "is " + std::to_string(k) + ", more than the replication_factor " + std::to_string(n) +
                                   ": no request could gather it");
      }
    });
    return kv.build();
  }();
  return node;
}

ComponentType kv_store_type() {
  ComponentType t;
  t.name = "kv_store";
  t.summary = "Dynamo-style: each key on N nodes of a consistent-hash ring, reads and writes answered by R and W of them";
  t.spec = kv_store_spec();
  t.capabilities = {capability::kCallable};
  t.route = [](const Json&, const std::string&, std::vector<Outflow>&) { return true; };
  t.fault_actions = {{"crash", {"crashed"}}, {"slow_down", {}}};
  t.fault_targets = [](const Json& config) { return config.value("nodes", std::int64_t{3}); };
  t.make = factory<KvStore, KvStoreConfig>(kv_store_spec);
  return t;
}

KvStore::KvStore(KvStoreConfig config, Context& context)
    : Component(config.name, context),
      pool_(PoolConfig{config.nodes, config.workers, config.queue_capacity}, stats_, context),
      nodes_(static_cast<std::size_t>(config.nodes)),
      ring_(static_cast<std::size_t>(config.virtual_nodes)),
      n_(static_cast<std::size_t>(config.n)),
      r_(static_cast<std::size_t>(config.r)),
      w_(static_cast<std::size_t>(config.w)),
      read_time_(config.read_time),
      write_time_(config.write_time),
      sloppy_(config.sloppy_quorum),
      rng_(context.streams.for_component(name_)),
      no_quorum_(context.failures.intern("no_quorum")) {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    ring_.add(static_cast<std::uint32_t>(i), name_ + "/" + std::to_string(i));
  pool_.declare_metrics(metrics_);
  metrics_.count("reads", "requests", "Reads answered by R nodes", &reads_);
  metrics_.count("writes", "requests", "Writes acknowledged by W nodes", &writes_);
  metrics_.count("stale_reads", "requests",
                 "Reads whose newest version among their R replies was older than the key's last acknowledged write",
                 &stale_reads_);
  metrics_.ratio("stale_read_fraction", "", "Stale reads over the reads answered", &stale_reads_, &reads_);
  metrics_.count("no_quorum", "requests", "Requests that could not gather R (W) good answers", &no_quorum_count_);
  metrics_.count("hinted_writes", "writes", "Writes stored on a stand-in node for a node that was down", &hinted_);
  metrics_.count("hints_handed_back", "writes", "Hinted writes handed to their node when it recovered", &handed_back_);
  metrics_.count("parts", "requests", "Requests sent to nodes (N per request)", &parts_);
  metrics_.count("parts_after_answer", "requests", "Node work that ended after its request was answered", &ignored_parts_);
}

void KvStore::on_request(Request& request) {
  ++stats_.counters.arrivals;
  request.arrived = now();
  stats_.in_system.add(now(), +1);
  const bool write = request.access != Access::Read;
  request.version = write ? ++issued_.at(request.key) : 0;
  request.step = 0;  // good answers so far
  request.pending = static_cast<std::uint16_t>(n_);
  if (!sloppy_) {
    ring_.owners(request.key, n_, list_);
    for (std::size_t i = 0; i < n_; ++i) {
      send_part(request, list_[i], -1);
      if (request.step == kAnswered) return;  // out of reach already; the rest would change nothing
    }
    return;
  }
  // Sloppy: the first N nodes up round the ring; a stand-in for a node of
  // the list that is down carries a hint for it (writes).
  ring_.owners(request.key, nodes_.size(), list_);
  std::size_t next_up = n_;
  for (std::size_t i = 0; i < n_; ++i) {
    if (!pool_.down(list_[i])) {
      send_part(request, list_[i], -1);
    } else {
      while (next_up < list_.size() && pool_.down(list_[next_up])) ++next_up;
      if (next_up < list_.size()) {
        send_part(request, list_[next_up++], write ? static_cast<std::int64_t>(list_[i]) : -1);
      } else {
        part_ended(request, false);
      }
    }
    if (request.step == kAnswered) return;
  }
}

void KvStore::send_part(Request& request, std::size_t node, std::int64_t hint_for) {
  Request& part = new_request();
  part.parent = &request;
  part.parent_generation = request.generation;
  part.key = request.key;
  part.access = request.access;
  part.version = request.version;
  part.instance = static_cast<std::int32_t>(node);
  part.scratch = static_cast<std::uint64_t>(hint_for + 1);
  part.arrived = now();
  ++parts_;
  switch (pool_.admit(part, now())) {
    case WorkerPool::Admission::Started:
      begin(part);
      return;
    case WorkerPool::Admission::Queued:
      return;
    case WorkerPool::Admission::Rejected:
      context_.requests.release(part);
      part_ended(request, false);
      return;
  }
}

void KvStore::begin(Request& part) {
  pool_.begin_compute(now(), part);
  const Delay& time = part.access == Access::Read ? read_time_ : write_time_;
  sim::Time t = time.draw(rng_);
  if (slow_.any()) t = slow_.stretch(t, static_cast<std::size_t>(part.instance));
  context_.engine.post_in(t, sim::Phase::Departure, this, kDone + pool_.life(),
                          reinterpret_cast<std::uint64_t>(&part));
}

void KvStore::on_timer(std::uint32_t kind, std::uint64_t data) {
  assert(kind >= kDone && kind - kDone <= pool_.life());
  Request& part = *reinterpret_cast<Request*>(data);
  if (pool_.cut_short(part, kind - kDone)) return;  // a crash cut it short
  part_done(part);
}

void KvStore::part_done(Request& part) {
  pool_.end_compute(now());
  const std::size_t node = pool_.free_worker(part, now());
  Node& store = nodes_[node];
  if (part.access == Access::Read) {
    part.version = store.versions.get(part.key);
  } else {
    std::uint64_t& held = store.versions.at(part.key);
    held = std::max(held, part.version);
    if (part.scratch != 0) {
      store.hints.push_back(Node::Hint{static_cast<std::size_t>(part.scratch - 1), part.key, part.version});
      ++hinted_;
    }
  }
  Request& request = *part.parent;
  if (part.awaited() && request.step != kAnswered) {
    if (part.access == Access::Read) request.version = std::max(request.version, part.version);
    part_ended(request, true);
  } else {
    ++ignored_parts_;
  }
  context_.requests.release(part);
  serve_next(node);
}

void KvStore::part_ended(Request& request, bool good) {
  if (request.step == kAnswered) return;
  --request.pending;
  if (good) ++request.step;
  const bool read = request.access == Access::Read;
  const std::size_t need = read ? r_ : w_;
  const std::size_t goods = request.step;
  if (goods >= need) {
    if (read) {
      ++reads_;
      if (request.version < context_.committed.get(request.key)) ++stale_reads_;
    } else {
      ++writes_;
      std::uint64_t& latest = context_.committed.at(request.key);
      latest = std::max(latest, request.version);
    }
  } else if (goods + request.pending < need) {
    request.failure = no_quorum_;
    ++no_quorum_count_;
  } else {
    return;  // still waiting
  }
  request.step = kAnswered;
  stats_.depart(now(), request, context_.callers_may_give_up);
  reply(request);
}

void KvStore::serve_next(std::size_t node) {
  if (Request* next = pool_.next(node, now())) begin(*next);
}

bool KvStore::on_fault(const FaultAction& action) {
  const std::size_t first = action.replica < 0 ? 0 : static_cast<std::size_t>(action.replica);
  const std::size_t last = action.replica < 0 ? nodes_.size() : first + 1;
  if (action.kind == FaultAction::Kind::SlowDown) {
    slow_.set(action, nodes_.size());
    return true;
  }
  if (action.kind != FaultAction::Kind::Crash && action.kind != FaultAction::Kind::Recover) return false;
  // Registered before the run by the timeline (kv_store_type's fault_actions).
  if (action.kind == FaultAction::Kind::Crash) crashed_ = context_.failures.intern("crashed");
  for (std::size_t node = first; node < last; ++node) {
    if (action.kind == FaultAction::Kind::Crash) crash(node);
    else recover(node);
  }
  return true;
}

void KvStore::crash(std::size_t node) {
  if (pool_.down(node)) return;
  pool_.set_down(node, crashed_);
  const auto fail = [&](Request& part) {
    Request& request = *part.parent;
    if (part.awaited()) part_ended(request, false);
    context_.requests.release(part);
  };
  for (Request* part : pool_.holders(node)) {
    pool_.end_compute(now());
    pool_.free_worker(*part, now());
    fail(*part);
  }
  while (Request* part = pool_.take_waiting(node, now())) fail(*part);
}

void KvStore::recover(std::size_t node) {
  if (!pool_.down(node)) return;
  pool_.set_down(node, kNoFailure);
  // Hints for it come home, in the order they were stored, node by node.
  for (auto& holder : nodes_) {
    auto& hints = holder.hints;
    std::size_t kept = 0;
    for (const auto& h : hints) {
      if (h.node != node) {
        hints[kept++] = h;
        continue;
      }
      std::uint64_t& held = nodes_[node].versions.at(h.key);
      held = std::max(held, h.version);
      ++handed_back_;
    }
    hints.resize(kept);
  }
}

void KvStore::on_reply(Request&) { assert(false && "a key-value store makes no calls"); }

void KvStore::on_window_begin(sim::Time now) { pool_.on_window_begin(now); }

void KvStore::check_invariants() const {
  Component::check_invariants();
  pool_.check_invariants();
}

}  // namespace archsim::models
