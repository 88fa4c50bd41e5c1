// models/runtime/fault_kind.h: the kinds of action a scenario's fault
// timeline can hold (crash, slow_down, fail, flush, add_shard, remove_shard,
// cut_link, slow_link, lossy_link), each declared once: its name and its own
// parameters, what it aims at, the failure causes it can produce, and what it
// does when it begins and, unless it happens at an instant, when it ends.
//
// The timeline (models/simulation/faults.h) gives every entry its time, its
// target and its checks, and the one list of kinds is in
// models/simulation/catalog.cpp, beside the list of component types: a new
// action is a new FaultKind and one line there. An action aimed at a
// component reaches it through Component::on_fault (fault.h), and only a
// component whose type lists the action (ComponentType::fault_actions); an
// action on links goes to the network (network.h).
//
// Not here: when an action happens and what is measured around it (the
// timeline's), and what an action means for each type (its on_fault's, and
// docs/models/).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/format/spec.h"
#include "models/runtime/network.h"

namespace archsim::models {

class Component;

// What one entry of the timeline reaches, resolved from its names when the
// run is built.
struct FaultReach {
  Component* component = nullptr;  // aimed at a component: it,
  std::int32_t replica = -1;       // and the replica (-1: the whole component)
  Network* network = nullptr;      // aimed at links: the network,
  LinkEnd from, to;                // the ends,
  Ways ways = Ways::BothWays;      // and the directions
};

// What an entry does when it begins, and when it ends (empty for an action
// that happens at an instant).
struct FaultEffect {
  std::function<void(const FaultReach&)> begin;
  std::function<void(const FaultReach&)> end;
};

struct FaultKind {
  // What an entry names: `target` (a component, or one replica), or `from`
  // and `to` (nodes, replicas or places) with `both_ways`.
  enum class Aim : std::uint8_t { Component, Links };
  std::string name;     // the value of "action"
  std::string summary;  // one line, the doc of its declaration
  Aim aim = Aim::Component;
  // Happens at one instant (a cache flushed): no until_s.
  bool instant = false;
  // What until_s does, as the line of meaning of until_s.
  std::string until_meaning;
  // Adds its own parameters to the declaration of its entries (beside the
  // timeline's at_s, until_s and target), each bound to its typed
  // configuration, which `prepare` reads back with spec::read_part.
  std::function<void(spec::Spec& declaration)> declare;
  // The failure causes an entry can produce whatever it reaches (a cut
  // that fails fast: link_down), registered before the run so that the time
  // series has their columns (FailureCauses). Those an action on a
  // component produces there are its type's (ComponentType::fault_actions).
  std::function<std::vector<std::string>(const spec::Json& entry)> causes;
  // What a validated entry does; `declaration` is its node, to read its
  // parameters with.
  std::function<FaultEffect(const spec::Json& entry, const spec::Node& declaration)> prepare;
};

// The kinds the runtime knows, for the list in catalog.cpp.
FaultKind crash_fault();         // a component or replica stops; recovers at until_s
FaultKind slow_down_fault();     // its compute steps take k times their time plus d
FaultKind fail_fault();          // a fraction of the requests reaching it fail at once
FaultKind flush_fault();         // a cache empties its store at an instant
FaultKind add_shard_fault();     // a router's shards in use grow, at an instant
FaultKind remove_shard_fault();  // or shrink
FaultKind cut_link_fault();      // messages between two ends refused or lost
FaultKind slow_link_fault();     // their latency times k plus d
FaultKind lossy_link_fault();    // each lost with a probability

}  // namespace archsim::models
