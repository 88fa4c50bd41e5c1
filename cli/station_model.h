// cli/station_model.h: a validated scenario mapped onto queueing theory
// (analysis/queueing.h), station by station, for `archsim analyze`
// (docs/analyze.md).
//
// A station is a service. Theory covers it when its arrivals are Poisson and
// its handler is a queue theory knows:
//  - open Poisson workloads (their rates), sent straight to a service of one
//    replica or spread over replicas by a load balancer;
//  - handlers of one compute step (or the service_time), optionally followed
//    by a forward, whose first two moments come from the distribution's
//    declaration;
//  - each replica its own queue of `workers` servers: M/M/c (Erlang C),
//    M/G/1 (Pollaczek-Khinchine), M/D/1, and M/M/c/K when the queue is not
//    effectively unbounded;
//  - chains of forwards between exponential stations solved as an open
//    Jackson network from its traffic equations;
//  - one closed workload (users and think time) over single-worker
//    exponential stations by exact MVA.
// Where theory does not apply the station carries the reason instead of a
// number: arrivals that are not Poisson, round-robin splitting (smoother
// than Poisson: theory overestimates the wait), a worker held during a call
// (not product form), timeouts, retries, shedding, caches and other
// components in the way, faults on the timeline. Utilization
// lambda E[S] / (replicas x workers) is given whenever lambda and E[S] are
// known.
//
// Not modelled: multiple classes with different service times at a
// multi-server station (their mixture is not exponential), networks with
// general service, round-robin queues (D/M/c-like), load-dependent routing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/format/spec.h"

namespace archsim::cli {

// The analytic figures of one station, per replica; times in ms.
struct StationTheory {
  double utilization = 0;
  double mean_wait_ms = 0;
  double mean_response_ms = 0;    // wait + service, one visit
  double mean_queue_length = 0;   // waiting, per replica
  double mean_in_system = 0;      // waiting and in service, per replica
  std::optional<double> blocking;  // M/M/c/K only
};

struct StationModel {
  std::string name;
  int replicas = 1;
  int workers = 1;
  std::optional<double> arrival_rate_per_ms;  // into the whole service
  std::optional<double> mean_service_ms;
  std::string model;    // "M/M/4", "M/G/1", "M/M/4/10", "Jackson M/M/1", "MVA", or empty
  std::string reason;   // why theory does not apply; empty when it does
  std::string caveat;   // a figure given but with a known bias (round robin)
  std::optional<StationTheory> theory;
  // lambda E[S] / (replicas x workers), offered per worker, whenever known.
  std::optional<double> offered_utilization() const;
};

// The whole-scenario figures theory gives when every station is covered.
struct SystemTheory {
  std::string model;                        // "Jackson network", "MVA", or empty
  std::optional<double> mean_response_ms;   // end to end, network hops excluded
  std::optional<double> throughput_qps;     // closed workloads
};

struct ScenarioModel {
  std::vector<StationModel> stations;  // services, in file order
  std::vector<std::string> scenario_reasons;  // what keeps theory away from the whole scenario
  SystemTheory system;
};

// Maps a validated scenario's config (defaults filled in) onto theory.
ScenarioModel model_scenario(const spec::Json& config);

// The first two moments (ms, ms^2) of a distribution's declaration, or
// nothing with `reason` set when they are not known in closed form.
struct Moments {
  double mean = 0;
  double second = 0;
  bool exponential = false;
  bool constant = false;
};
std::optional<Moments> distribution_moments(const spec::Json& distribution, std::string& reason);

}  // namespace archsim::cli
