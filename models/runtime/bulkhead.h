// models/runtime/bulkhead.h: a bulkhead on a caller's calls to one
// component: a limit on the calls in flight to it, one count per part of
// the caller (a service's replicas), so that one slow dependency cannot hold
// every worker of the caller.
//
// A call takes a place when it is made and gives it back when it ends: its
// reply comes, or the caller stops waiting (its timeout; the callee's work
// goes on, but the caller's worker is free again, as a semaphore released
// by the thread that gave up). A call that finds every place taken fails at
// once with bulkhead_full and is never made; the callee never sees it.
//
// Not modelled here: a queue of calls waiting for a place (the worker that
// would wait for one is held all the same: the call simply fails at once),
// a limit shared by the replicas of a caller, limits in bytes or connections.
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <vector>

#include "models/format/spec.h"
#include "models/runtime/metric_set.h"
#include "sim/metrics.h"
#include "sim/time.h"

namespace archsim::models {

struct BulkheadConfig {
  std::int64_t max_concurrent_calls = 1;
  friend bool operator==(const BulkheadConfig&, const BulkheadConfig&) = default;
};

// `"bulkhead": {"max_concurrent_calls": 16}` beside a call.
spec::NodeRef bulkhead_spec();

class Bulkheads {
 public:
  Bulkheads(const BulkheadConfig& config, std::size_t parts)
      : limit_(config.max_concurrent_calls), in_flight_(parts, 0) {
    assert(limit_ >= 1 && parts > 0);
  }

  // Whether every place of part `part` is taken: then the call fails at
  // once, counted as rejected.
  bool full(std::size_t part) {
    if (in_flight_[part] < limit_) return false;
    ++rejected_;
    return true;
  }
  // A call is made (after full() said no) and, later, ends.
  void take(std::size_t part, sim::Time now) {
    assert(in_flight_[part] < limit_);
    ++in_flight_[part];
    total_.add(now, +1);
  }
  void give_back(std::size_t part, sim::Time now) {
    assert(in_flight_[part] > 0);
    --in_flight_[part];
    total_.add(now, -1);
  }

  // The part is gone with its calls (a crashed replica): none in flight.
  void reset(std::size_t part, sim::Time now) {
    total_.add(now, -in_flight_[part]);
    in_flight_[part] = 0;
  }

  std::int64_t in_flight(std::size_t part) const { return in_flight_[part]; }
  std::uint64_t rejected() const { return rejected_; }

  // Declares, in the caller's metrics, for the time series
  // `PREFIX.in_flight` (its calls in flight, over all parts: mean and
  // maximum) and `PREFIX.rejected` (calls failed with bulkhead_full).
  void declare_metrics(MetricSet& metrics, const std::string& prefix);
  // The summary object over the window from on_window_begin to `end`.
  spec::Json summary(sim::Time start, sim::Time end) const;
  void on_window_begin(sim::Time now);

 private:
  std::int64_t limit_;
  std::vector<std::int64_t> in_flight_;  // by part
  sim::TimeWeighted total_;              // over all parts
  std::uint64_t rejected_ = 0;
  std::uint64_t rejected_at_window_ = 0;
  __int128 total_at_window_ = 0;
};

}  // namespace archsim::models
