// models/runtime/fault.h: what a fault does to a component, as the fault
// timeline hands it over (Component::on_fault). Faults on links are the
// network's (network.h).
//
// Crash: the component, or one replica, stops: what it holds fails and what
// reaches it is refused until it recovers. Recover: it comes back, empty.
// SlowDown: every compute step takes `factor` times its drawn time plus
// `added`; a SlowDown of factor 1 and nothing added is normal speed again.
// Fail: a `fraction` of the requests reaching it fail at once (error); a
// Fail of fraction 0 is normal again.
// Flush: a cache empties its store at once.
// AddShard, RemoveShard: a router puts `shards` more of its listed shards in
// use, or `shards` fewer, at one instant.
// What each action means for a type, and which actions it supports, is the
// type's to say (docs/models/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

#include "sim/time.h"

namespace archsim::models {

class Node;

struct FaultAction {
  enum class Kind : std::uint8_t { Crash, Recover, SlowDown, Flush, AddShard, RemoveShard, Fail };
  Kind kind = Kind::Crash;
  std::int32_t replica = -1;  // the replica it aims at; -1: the whole component
  double factor = 1;          // SlowDown: > 0
  sim::Time added{};          // SlowDown: >= 0
  std::int64_t shards = 0;    // AddShard, RemoveShard: >= 1
  double fraction = 0;        // Fail: in [0, 1]
};

// Where a component says it has noticed that a part of another is down: a
// load balancer's health checks eject a replica, a caller's circuit breaker
// opens on the component it calls (all of it, replica -1). The fault timeline, when the run has one, listens
// and takes the first such report on a fault's target while the fault is in
// force as its detection (time to detect); without a listener nobody hears.
// Reports are rare (a state change, not a request): a plain function call.
class FaultDetections {
 public:
  // `target` and `replica` (-1: the whole of it) are what was found down,
  // `by` who found it, at `at`.
  using Listener = std::function<void(const Node& target, std::int32_t replica, const Node& by, sim::Time at)>;
  void listen(Listener listener) { listener_ = std::move(listener); }
  void detected(const Node& target, std::int32_t replica, const Node& by, sim::Time at) const {
    if (listener_) listener_(target, replica, by, at);
  }

 private:
  Listener listener_;
};

// The parts of a component an action aims at, from `first` to before
// `last`: its replica, or all `parts` of it (replica -1).
struct AimedParts {
  std::size_t first = 0, last = 0;
};
inline AimedParts aimed_parts(const FaultAction& action, std::size_t parts) {
  if (action.replica < 0) return {0, parts};
  const auto p = static_cast<std::size_t>(action.replica);
  return {p, p + 1};
}

}  // namespace archsim::models
