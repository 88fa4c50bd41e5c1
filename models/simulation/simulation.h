// models/simulation/simulation.h: one run of a validated scenario: builds the nodes,
// wires them, runs the engine, and produces the results document.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/runtime/component.h"
#include "models/runtime/recorder.h"
#include "models/simulation/scenario.h"
#include "models/simulation/series.h"
#include "models/types/traffic/workload.h"

namespace archsim::models {

// Version of the results document; bump on any incompatible change.
inline constexpr int kResultsSchemaVersion = 2;

struct RunOptions {
  std::optional<std::uint64_t> seed;
  std::optional<double> duration_s;
};

class FaultTimeline;

class Simulation final : private Wiring, private sim::EventTarget {
 public:
  // Throws std::invalid_argument if options.duration_s leaves no time after the warm-up.
  Simulation(const Scenario& scenario, const RunOptions& options);
  ~Simulation();

  // Told between slices of about a million events how far the run has come;
  // returning false stops it there, like a limit (stop reason "interrupted").
  using Progress = std::function<bool(sim::Time now, sim::Time end)>;

  // Runs to the end (or until a limit, or `progress`, stops it).
  void run(const Progress& progress = {});

  // Sends the time series to `sink` as intervals close, instead of keeping
  // it for results(); set before run(). The sink must outlive the run.
  void stream_series_to(SeriesSink* sink) { series_sink_ = sink; }
  // The series columns, known once the run has started.
  const std::vector<SeriesColumn>& series_columns() const { return series_columns_; }

  // The results document (docs/results-format.md). Deterministic: no wall
  // clock, no addresses, fixed order.
  spec::Json results() const;

  // Runs `action` at simulated time `at` (not before now): how the fault
  // timeline applies its actions. At that instant the statistics are cut
  // first (a reporting interval or the warm-up ending then ends before the
  // action), and the action runs before every other event. Actions at the
  // same instant run in the order they were added.
  void at(sim::Time at, std::function<void(Simulation&)> action);
  // Registers a failure cause that actions given to at() can produce, before
  // run(): the time series has a column for each cause registered when the
  // run starts, and none can be added later (FailureCauses). The fault
  // timeline registers its own.
  void register_failure_cause(std::string_view name) { context_.failures.intern(name); }
  // What a fault reaches: the network, and the nodes by name (null: none).
  Network& network() { return *network_; }
  // Where components report the faults they notice (a load balancer's
  // ejections), for the fault timeline's time to detect.
  FaultDetections& detections() { return context_.detections; }
  Component* component(std::string_view name);
  Node* find_node(const std::string& name) override;
  // The workloads, in file order (the recorder's order).
  std::vector<const Node*> workloads() const;

  std::uint64_t events() const { return context_.engine.events_processed(); }

  // Where the run on this thread is, for a message when a check fails in
  // it: the simulated time, and the component and event being run (or the
  // component whose invariants are being checked). Empty when no run is
  // under way on this thread.
  static std::string where_running();
  std::uint64_t seed() const { return context_.streams.seed(); }
  const std::string& stop_problem() const { return stop_problem_; }

 private:
  // Wiring
  Node& node(const std::string& name) override;
  Link& link(Node& from, Node& to) override;
  std::uint32_t operation(const std::string& name) override;
  Failure failure_cause(std::string_view name) override;
  // Boundaries of intervals and of the warm-up.
  void on_event(std::uint32_t kind, std::uint64_t data) override;
  void close_interval();
  void begin_series();
  void check_invariants() const;

  spec::Json config_;
  Context context_;
  sim::Time interval_{};
  sim::Time interval_start_{};  // start of the reporting interval under way
  std::uint64_t max_events_ = 0;
  std::vector<std::unique_ptr<Workload>> workloads_;
  std::vector<std::unique_ptr<Component>> components_;
  std::unique_ptr<Network> network_;
  std::unique_ptr<Recorder> recorder_;
  sim::StopReason stop_reason_ = sim::StopReason::Drained;
  bool completed_ = false;  // ran to the end, not stopped by a limit
  bool interrupted_ = false;  // stopped by the progress callback
  std::string stop_problem_;
  bool window_open_ = false;
  mutable const Component* checking_ = nullptr;  // whose invariants are being checked
  SeriesSink* series_sink_ = nullptr;
  MemorySeries memory_series_;  // the series when no sink is given
  std::vector<SeriesColumn> series_columns_;
  std::vector<double> series_row_;
  std::vector<std::function<void(Simulation&)>> actions_;  // by Simulation::at, in order added
  sim::Time next_interval_end_ = sim::Time::max();  // the reporting boundary posted next
  std::unique_ptr<FaultTimeline> faults_;
};

}  // namespace archsim::models
