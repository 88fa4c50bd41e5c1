// models/runtime/recorder.h: end-to-end outcomes of client requests, as the clients
// see them: offered, succeeded, failed by cause, and latency, in total, per
// operation and per workload, for the measured window and per interval.
//
// Each request is counted once, in the cell of its (workload, operation);
// the total, per-operation and per-workload views are merged from the cells
// when results are written, so the hot path records one histogram sample
// (plus one for the current interval).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "models/runtime/metric_set.h"
#include "models/runtime/request.h"
#include "sim/histogram.h"
#include "sim/time.h"

namespace archsim::models {

struct Tally {
  std::uint64_t offered = 0;
  std::uint64_t succeeded = 0;
  __int128 latency_ns = 0;  // summed over the successful requests
  std::array<std::uint64_t, FailureCauses::kMax> failed{};  // by cause; [0] unused
  std::uint64_t failed_total() const {
    std::uint64_t n = 0;
    for (auto f : failed) n += f;
    return n;
  }
  void add(const Tally& other);
  Tally minus(const Tally& earlier) const;
};

// Outcome counts and latency of one group (all requests, an operation, a workload).
struct Outcomes {
  Tally total;             // cumulative from time zero
  Tally at_window;         // `total` when the measured window began
  sim::Histogram latency;  // successful requests in the measured window
  void add(const Outcomes& other);
};

class Recorder {
 public:
  Recorder(std::size_t operations, std::size_t workloads)
      : operations_(operations), workloads_(workloads), cells_(operations * workloads) {}

  void offered(std::uint32_t operation, std::uint32_t workload) { ++cell(operation, workload).total.offered; }
  void succeeded(std::uint32_t operation, std::uint32_t workload, sim::Time latency) {
    Outcomes& c = cell(operation, workload);
    ++c.total.succeeded;
    c.total.latency_ns += latency.ns;
    const std::size_t index = sim::Histogram::bucket_index(latency.ns);
    c.latency.record_at(index, latency.ns);
    interval_latency_.record_at(index, latency.ns);
  }
  void failed(std::uint32_t operation, std::uint32_t workload, Failure cause) {
    ++cell(operation, workload).total.failed[cause.id];
  }

  void begin_window(sim::Time now);
  // Fixes the end-to-end series columns and returns them: totals, failures
  // by cause, and when clients send several operations each of those.
  // `operations` (with whether clients send each) and `causes` are the
  // run's, complete before it starts.
  std::vector<SeriesColumn> begin_series(const std::vector<std::string>& operations,
                                         const std::vector<bool>& sent_by_clients, const FailureCauses& causes);
  // Closes an interval: appends its values in the order of series_columns().
  void close_interval(sim::Time now, std::vector<double>& row);

  // Every outcome so far, cumulative from time zero, all groups together.
  Tally totals() const;
  // The same, of some workloads only (by index).
  Tally totals_of(const std::vector<std::uint32_t>& workloads) const;

  Outcomes all() const;
  Outcomes operation(std::size_t operation) const;
  Outcomes workload(std::size_t workload) const;

 private:
  Outcomes& cell(std::uint32_t operation, std::uint32_t workload) {
    return cells_[static_cast<std::size_t>(workload) * operations_ + operation];
  }

  std::size_t operations_;
  std::size_t workloads_;
  std::vector<Outcomes> cells_;  // by workload, then operation
  Tally at_interval_;
  std::vector<std::size_t> series_operations_;  // operations with their own series columns
  std::vector<Tally> operation_at_interval_;     // by series_operations_
  std::size_t causes_ = 1;                    // failure causes in the series, "none" included
  sim::Time interval_start_{};
  sim::Histogram interval_latency_;
};

}  // namespace archsim::models
