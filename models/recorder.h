// models/recorder.h: end-to-end outcomes of client requests, as the clients
// see them: offered, succeeded, failed by cause, and latency, in total, per
// operation and per workload, for the measured window and per interval.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "models/request.h"
#include "sim/histogram.h"
#include "sim/time.h"

namespace archsim::models {

struct Tally {
  std::uint64_t offered = 0;
  std::uint64_t succeeded = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(Failure::Count)> failed{};
  std::uint64_t failed_total() const {
    std::uint64_t n = 0;
    for (auto f : failed) n += f;
    return n;
  }
};

// Outcome counts and latency of one group (all requests, an operation, a workload).
struct Outcomes {
  Tally total;          // cumulative from time zero
  Tally at_window;      // `total` when the measured window began
  sim::Histogram latency;  // successful requests in the measured window
};

struct EndToEndInterval {
  double end_s = 0;
  std::uint64_t offered = 0, succeeded = 0, failed = 0;
  double throughput_qps = 0;
  double latency_mean_ms = 0, latency_p50_ms = 0, latency_p90_ms = 0, latency_p99_ms = 0, latency_max_ms = 0;
  bool measured = false;  // after the warm-up
};

class Recorder {
 public:
  Recorder(std::size_t operations, std::size_t workloads)
      : by_operation_(operations), by_workload_(workloads) {}

  void offered(std::uint32_t operation, std::uint32_t workload) {
    ++all_.total.offered;
    ++by_operation_[operation].total.offered;
    ++by_workload_[workload].total.offered;
  }
  void succeeded(std::uint32_t operation, std::uint32_t workload, sim::Time latency) {
    for (Outcomes* o : {&all_, &by_operation_[operation], &by_workload_[workload]}) {
      ++o->total.succeeded;
      o->latency.record(latency.ns);
    }
    interval_latency_.record(latency.ns);
  }
  void failed(std::uint32_t operation, std::uint32_t workload, Failure cause) {
    const auto c = static_cast<std::size_t>(cause);
    ++all_.total.failed[c];
    ++by_operation_[operation].total.failed[c];
    ++by_workload_[workload].total.failed[c];
  }

  void begin_window(sim::Time now);
  void close_interval(sim::Time now, bool measured);

  const Outcomes& all() const { return all_; }
  const std::vector<Outcomes>& by_operation() const { return by_operation_; }
  const std::vector<Outcomes>& by_workload() const { return by_workload_; }
  const std::vector<EndToEndInterval>& intervals() const { return intervals_; }

 private:
  Outcomes all_;
  std::vector<Outcomes> by_operation_;
  std::vector<Outcomes> by_workload_;
  Tally at_interval_;
  sim::Time interval_start_{};
  sim::Histogram interval_latency_;
  std::vector<EndToEndInterval> intervals_;
};

}  // namespace archsim::models
