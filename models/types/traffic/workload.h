// models/types/traffic/workload.h: clients that send requests into the architecture.
//
// Open loop: requests arrive by a Poisson process, at constant intervals, or
// by a Poisson process whose rate follows a schedule (ramps, spikes, daily
// curves), whatever the system's state. Closed loop: a fixed number of users,
// each sending one request, waiting for the reply, thinking, and sending the
// next. Each request draws its operation from a weighted mix, and its user and
// key from their populations. With a timeout the client gives up waiting
// (failure "timeout"); the work already started downstream goes on, and the
// late reply is dropped. With a retry policy (models/runtime/retry_policy.h)
// the client sends a failed request again, as a new request, after a
// backoff; its latency runs from the first attempt, and only the last
// attempt's outcome is recorded.
//
// Not modelled here: connection set-up costs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/runtime/component.h"
#include "models/runtime/dependency.h"
#include "models/format/params.h"
#include "models/runtime/recorder.h"
#include "sim/distribution.h"

namespace archsim::models {

struct WorkloadConfig {
  enum class Process { Poisson, Constant, Schedule, Closed };  // in the order of the declaration
  struct Point {
    double at_s = 0;
    double rate_qps = 0;
  };
  struct Operation {
    std::string name;
    double weight = 1;
    Access access = Access::Read;
    std::optional<SizeDistribution> request_bytes, reply_bytes;  // none: 0
  };
  std::string name;
  std::string target;
  Process process = Process::Poisson;
  double rate_qps = 0;         // Poisson, Constant
  std::vector<Point> points;   // Schedule
  bool linear = false;
  double period_s = 0;         // 0: the last rate holds for ever
  std::int64_t users = 0;      // Closed
  Delay think_time;
  std::vector<Operation> operations;
  Population user_ids;
  Population keys;
  std::optional<double> timeout_ms;
  std::optional<RetryConfig> retry;
};

spec::NodeRef workload_spec();
WorkloadConfig read_workload_config(const spec::Json& config);

class Workload final : public Node {
 public:
  Workload(WorkloadConfig config, std::uint32_t workload_index, Context& context, Recorder& recorder);

  void connect(Wiring& wiring);
  void start();
  // The measured window begins.
  void on_window_begin();
  // The retries of its requests in the measured window (retry_figures), or
  // null when it does not retry.
  spec::Json retry_summary() const;
  void on_request(Request& request) override;
  void on_reply(Request& request) override;
  void on_call_timeout(Request& request) override;
  void on_timer(std::uint32_t kind, std::uint64_t data) override;

 private:
  enum Timer : std::uint32_t { kArrival = kFirstTimer };
  using Process = WorkloadConfig::Process;
  using Point = WorkloadConfig::Point;

  void send_request(std::uint64_t user);
  void done(Request& request);
  // The time of the next open-loop arrival after `from`, or Time::max().
  sim::Time next_arrival(sim::Time from);
  double schedule_rate(double t_s, std::size_t& segment) const;

  std::uint32_t workload_index_;
  Recorder& recorder_;
  Dependency target_;
  Process process_ = Process::Poisson;
  double rate_qps_ = 0;
  double mean_gap_s_ = 0;  // 1 / rate_qps_
  std::vector<Point> points_;
  bool linear_ = false;
  double period_s_ = 0;  // 0: the last rate holds for ever
  std::int64_t concurrency_ = 0;
  Delay think_time_;
  std::vector<std::string> operation_names_;
  std::vector<std::uint32_t> operations_;
  std::vector<Access> accesses_;  // by entry of operations_
  std::vector<PayloadSizes> sizes_;  // by entry of operations_; empty when no operation has any
  std::vector<double> cumulative_weight_;
  Population users_;
  Population keys_;
  Failure timeout_;
  sim::Rng rng_;
  RetryCounters retries_at_window_;
};

}  // namespace archsim::models
