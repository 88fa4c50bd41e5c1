// models/runtime/component_type.h: what a component type tells the rest of
// archsim about itself. Each type exports one ComponentType from its own file
// pair; the one list of types (models/simulation/catalog.cpp) collects them.
// Nothing else knows a type by name: the scenario checks references by the
// capabilities a type declares, and the run builds components through the
// factory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/format/spec.h"
#include "models/runtime/component.h"

namespace archsim::models {

// Capabilities a reference in the scenario can ask of the component it names.
namespace capability {
inline constexpr std::string_view kCallable = "callable";      // takes requests and replies
inline constexpr std::string_view kReplicated = "replicated";  // identical instances a load balancer can spread over
inline constexpr std::string_view kCache = "cache";            // answers reads with a hit or a miss (Request::hit)
inline constexpr std::string_view kBroker = "broker";          // takes published messages into topics
}  // namespace capability

// A call or hand-off a component makes for a request of some operation.
struct Outflow {
  std::string target;
  std::string operation;
};

// The validated components of a scenario, for a type's own cross-checks.
class ScenarioView {
 public:
  virtual ~ScenarioView() = default;
  // The component called `name` and its type, or null.
  virtual const spec::Json* component(const std::string& name) const = 0;
  virtual const struct ComponentType* type_of(const std::string& name) const = 0;
  // Keys run from 0 to key_space() - 1: the largest key count of the workloads.
  virtual std::uint64_t key_space() const = 0;
};

// An action of the fault timeline a type takes, and the failure causes it
// can produce in that type (a service's crash: crashed; a database's may
// also leave writes without a primary), which the timeline registers before
// the run so that the time series has their columns.
struct FaultActionTaken {
  std::string_view action;  // the name of its kind (models/runtime/fault_kind.h)
  std::vector<std::string_view> causes;
};

// An action of the fault timeline aimed at a component, for its type's
// check of the sequence (ComponentType::check_fault_actions).
struct AimedAction {
  const spec::Json* entry = nullptr;  // validated, completed with its defaults
  spec::Path path;                    // faults.timeline[i]
};

struct ComponentType {
  std::string name;
  std::string summary;  // one line, for `archsim describe` and the reference
  spec::NodeRef spec;
  std::vector<std::string_view> capabilities;
  // The actions of the fault timeline its components take: "crash",
  // "slow_down", ... What each does to the type is its Component::on_fault's
  // to say; the timeline refuses an action on a component whose type does
  // not list it.
  std::vector<FaultActionTaken> fault_actions;
  // How many parts of a configuration a component's fault action can aim at
  // one by one, as NAME[i], and what a part is called: a database's servers
  // (the primary first). Empty: its replicas, if it has any.
  std::function<std::int64_t(const spec::Json& config)> fault_targets;
  std::string_view fault_target_noun = "replica";
  // Optional check of the actions aimed at one component, valid each on its
  // own, in the order the run takes them (by time, ties in file order): for
  // what a sequence can do wrong (a shard added when none is left to add).
  std::function<void(const spec::Json& config, const std::vector<AimedAction>& actions, spec::Errors& errors)>
      check_fault_actions;
  // How many replicas a configuration has (each one placed, and named as
  // a link fault's end, as NAME[i]); with kReplicated, a load balancer
  // spreads requests over them.
  std::function<std::int64_t(const spec::Json& config)> replicas;
  // The calls a component makes for an incoming operation; false when it
  // cannot serve that operation at all.
  std::function<bool(const spec::Json& config, const std::string& operation, std::vector<Outflow>& out)> route;
  // Optional: the requests a component sends of its own accord, not for a
  // request that reached it (a load balancer's health probes); the scenario
  // check follows them from there like a workload's.
  std::function<void(const spec::Json& config, std::vector<Outflow>& out)> originates;
  // Optional checks against the rest of the scenario, run once every name
  // resolves; `reaching` lists the operations that reach the component.
  std::function<void(const spec::Json& config, const std::vector<std::string>& reaching, const ScenarioView& scenario,
                     const spec::Path& path, spec::Errors& errors)>
      check;
  std::function<std::unique_ptr<Component>(const spec::Json& config, Context& context)> make;

  bool has(std::string_view capability) const {
    for (auto c : capabilities)
      if (c == capability) return true;
    return false;
  }
  // How it takes a fault action, or null when it does not.
  const FaultActionTaken* takes(std::string_view fault_action) const {
    for (const auto& a : fault_actions)
      if (a.action == fault_action) return &a;
    return nullptr;
  }
};

// The factory of a type whose constructor takes its typed configuration:
// `t.make = factory<Cache, CacheConfig>(cache_spec);`.
template <class Type, class Config>
auto factory(spec::NodeRef (*declaration)()) {
  return [declaration](const spec::Json& config, Context& context) -> std::unique_ptr<Component> {
    return std::make_unique<Type>(spec::read<Config>(config, *declaration()), context);
  };
}

}  // namespace archsim::models
