// models/simulation/faults.h: the fault timeline of a scenario, its
// `faults` section: actions at given times (crash a component or a replica,
// slow it down; cut, slow or make lossy the links between two ends), each
// ended at a later time or lasting to the end of the run. Here are its
// declaration (built from the kinds of action, models/runtime/fault_kind.h),
// its checks against the rest of the scenario, and, in a run, the schedule
// of its actions and what the clients saw around each: the requests that
// failed while it was in force, by cause, and how long after its end the
// share of failed requests took to come back under a threshold and stay
// there (docs/models/faults.md).
//
// It also takes, for each action aimed at a component or a link, the first
// report that a component noticed its target down while it was in force
// (FaultDetections: a load balancer's health checks ejecting a replica), as
// its time to detect.
//
// Not modelled here: faults at random times (a mean time between failures),
// and correlated faults beyond what the timeline spells out.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "models/format/spec.h"
#include "models/runtime/component_type.h"
#include "models/runtime/fault_kind.h"
#include "models/runtime/recorder.h"
#include "sim/time.h"

namespace archsim::models {

class Simulation;

// The `faults` section of a scenario.
spec::NodeRef faults_spec();

// A node of the scenario as the fault checks see it.
struct FaultCheckNode {
  std::string name;
  bool workload = false;
  const ComponentType* type = nullptr;  // a component's type, when known
  bool valid = false;                   // its own declaration had no error
  std::int64_t replicas = 0;            // a valid component's, when its type has replicas
  // The parts its fault actions can aim at one by one (its replicas, or
  // what ComponentType::fault_targets says), and what a part is called.
  std::int64_t targets = 0;
  std::string target_noun = "replica";
  const spec::Json* config = nullptr;  // a valid component's
};

// The checks of `faults` that need the rest of the scenario: each action's
// target (a component whose type takes the action, a replica it has) or
// ends (nodes, replicas or places), its times against duration_s, no two
// actions of one kind on one target at once, and the sequence of actions
// each component gets, by its type (ComponentType::check_fault_actions).
// `nodes` in file order, `places` the names of network.places,
// `has_error_under(path)` whether a part of the file already has errors of
// its own (its checks are skipped).
void check_faults(const spec::Json& config, const std::vector<FaultCheckNode>& nodes,
                  const std::vector<std::string>& places,
                  const std::function<bool(const std::string& path)>& has_error_under, spec::Errors& errors);

// The timeline of one run: built with the run, from its validated `faults`
// (null for none). Building it resolves every name, registers the failure
// causes its actions can produce (so the time series has their columns from
// the first row) and schedules each action's start and end with
// Simulation::at; at one instant, ends come before starts (a replica that
// recovers at 60 s and crashes again at 60 s is down after that instant).
class FaultTimeline {
 public:
  FaultTimeline(const spec::Json& faults, Simulation& simulation, FailureCauses& causes, const Recorder& recorder);
  FaultTimeline(const FaultTimeline&) = delete;
  FaultTimeline& operator=(const FaultTimeline&) = delete;

  // A reporting interval has closed at `now` (the recovery after an
  // action's end is judged interval by interval).
  void interval_closed(sim::Time now);
  // The `faults` section of the results (docs/results-format.md).
  spec::Json results(sim::Time now, const FailureCauses& causes) const;

 private:
  struct Entry {
    const FaultKind* kind = nullptr;
    spec::Json shown;  // the action, its target or ends and its parameters, for the results
    FaultEffect effect;
    FaultReach reach;
    sim::Time at{};
    std::optional<sim::Time> until;
    bool started = false, ended = false;
    // Its clients: the workloads whose requests can reach what it reaches
    // (every workload, when that cannot be told: a place, or none reach it).
    std::vector<std::uint32_t> clients;
    Tally at_start, at_end;  // the clients' totals when it began and ended
    // After its end, until recovered: the stretch since the last boundary,
    // and where the current run of stretches under the threshold began.
    bool watching = false;
    sim::Time stretch_start{};
    Tally at_stretch_start;
    std::optional<sim::Time> good_since;
    Tally at_good_since;  // the totals when good_since began
    std::optional<sim::Time> recovered_at;
    // The first report of its target found down while it was in force.
    std::optional<sim::Time> detected_at;
    std::string detected_by;
  };
  void begin(Entry& entry);
  void end(Entry& entry);
  // Its clients' totals so far.
  Tally totals(const Entry& entry) const { return recorder_.totals_of(entry.clients); }
  // A component found `target` (its replica `replica`, -1: the whole) down.
  void detected(const Node& target, std::int32_t replica, const Node& by, sim::Time at);

  const Recorder& recorder_;
  double failed_ratio_max_ = 0;
  sim::Time stable_{};
  spec::Json recovery_;  // the criteria, as validated
  std::vector<Entry> entries_;  // in file order
  std::vector<std::string> workload_names_;
};

}  // namespace archsim::models
