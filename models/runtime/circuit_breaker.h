// models/runtime/circuit_breaker.h: circuit breakers on a caller's calls to
// one component, one breaker per part of the caller (a service's replicas:
// each process keeps its own breaker, as a library in it would).
//
// A breaker is closed, open or half-open. Closed, every call goes, and the
// outcome of each is recorded: a failure is a call whose reply carries a
// failure (any cause: the callee's queue_full, crashed, error, shed, ...)
// or that the caller gave up on (its timeout); a success is any other
// reply. It trips open at the outcome that makes `consecutive_failures`
// failures in a row, or that leaves, over the window, at least
// `minimum_calls` outcomes of which a share of at least `failure_rate`
// failed. Open, every call fails at once with circuit_open and is never
// made, for `open_ms`; then the breaker is half-open: the next
// `half_open_probes` calls go (the probes), the calls beyond them fail with
// circuit_open. A probe that fails opens the breaker again for open_ms; when
// every probe has succeeded it closes, its window and count of failures in
// a row started afresh. An outcome counts only in the state its call was let
// through in: a slow call let through while closed that ends after the
// breaker has opened changes nothing (each call carries a ticket).
// Each opening is the caller's sign that the callee is down: the caller
// reports it as a detection of the whole callee (fault.h), which the fault
// timeline takes as a fault's time to detect.
//
// The window is time-based: `window_s` cut into `window_buckets` buckets of
// equal length, a fixed ring (no list that grows with the calls). The
// outcomes it holds are those of the bucket now filling and of the
// window_buckets - 1 before it, so it spans between (b - 1) / b and all of
// window_s.
//
// Not modelled here: slow calls counted as failures (a latency threshold),
// failures told apart by cause, a count-based window, a breaker shared by
// the replicas of a caller.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/format/spec.h"
#include "models/runtime/metric_set.h"
#include "sim/engine.h"
#include "sim/metrics.h"
#include "sim/time.h"

namespace archsim::models {

struct CircuitBreakerConfig {
  std::int64_t consecutive_failures = 0;  // 0: this rule is not used
  double failure_rate = 0;                // 0: this rule is not used; else in (0, 1]
  double window_s = 10;
  std::int64_t window_buckets = 10;
  std::int64_t minimum_calls = 20;
  double open_ms = 5000;
  std::int64_t half_open_probes = 1;
  friend bool operator==(const CircuitBreakerConfig&, const CircuitBreakerConfig&) = default;
};

// `"circuit_breaker": {...}` beside a call, in the declaration of a type
// that calls.
spec::NodeRef circuit_breaker_spec();

class CircuitBreakers final : public sim::EventTarget {
 public:
  enum class State : std::uint8_t { Closed, Open, HalfOpen };

  CircuitBreakers(const CircuitBreakerConfig& config, std::size_t parts, sim::Engine& engine);
  CircuitBreakers(const CircuitBreakers&) = delete;
  CircuitBreakers& operator=(const CircuitBreakers&) = delete;

  // Whether part `part` lets a call go now. When it does, `ticket` is what
  // the call carries to its outcome (record); when not, the call fails fast
  // (circuit_open) and is counted as rejected.
  bool allow(std::size_t part, sim::Time now, std::uint32_t& ticket);
  // The call let through with `ticket` has ended, failed or not. Returns
  // whether this outcome opened the breaker (from closed, or a failed probe
  // half-open): the caller reports that as a detection of the callee.
  bool record(std::size_t part, std::uint32_t ticket, bool failed, sim::Time now);

  // The part is gone with its calls (a crashed replica): its breaker is
  // closed again, fresh, and the outcomes of its calls out are ignored.
  void reset(std::size_t part, sim::Time now);

  State state(std::size_t part) const { return parts_[part].state; }
  std::uint64_t opens() const { return opens_; }
  std::uint64_t rejected() const { return rejected_; }
  // Outcomes in part `part`'s window now (closed only), for tests.
  std::uint64_t window_calls(std::size_t part, sim::Time now);
  std::uint64_t window_failures(std::size_t part, sim::Time now);

  // Declares, in the caller's metrics, the breakers' figures: for the time
  // series `PREFIX.open` and `PREFIX.half_open` (time-average of the parts'
  // breakers in that state, over the parts), `PREFIX.opens` and
  // `PREFIX.rejected` (counts); for the summary, under `summary_name`, an
  // object of `target` with the same figures over the measured window.
  void declare_metrics(MetricSet& metrics, const std::string& prefix);
  // The summary object over a window (from on_window_begin to `end`).
  spec::Json summary(sim::Time start, sim::Time end) const;
  void on_window_begin(sim::Time now);

  // The end of an open duration (kind 0, data: the part).
  void on_event(std::uint32_t kind, std::uint64_t data) override;

 private:
  struct Bucket {
    std::int64_t index = -1;  // which bucket of time it holds: time / bucket length
    std::uint32_t calls = 0;
    std::uint32_t failures = 0;
  };
  struct Part {
    State state = State::Closed;
    std::uint32_t epoch = 0;      // moves on at each change of state; a ticket is the epoch of its call
    std::int64_t in_a_row = 0;    // failures in a row, closed
    std::int64_t probes_let = 0;  // half-open: probes let through
    std::int64_t probes_ok = 0;   // half-open: of those, succeeded
    sim::Time open_until{};
    std::int64_t head = -1;       // the latest bucket index of time written
    std::uint64_t calls = 0, failures = 0;  // over the buckets in the window
  };
  void advance(Part& part, std::size_t p, sim::Time now);
  void trip(Part& part, sim::Time now, std::size_t p);
  void to_half_open(Part& part, sim::Time now);
  void close(Part& part, std::size_t p, sim::Time now);
  void set_state(Part& part, State state, sim::Time now);
  Bucket* buckets(std::size_t p) { return &buckets_[p * static_cast<std::size_t>(config_.window_buckets)]; }

  CircuitBreakerConfig config_;
  sim::Time open_for_;
  std::int64_t bucket_ns_;
  std::vector<Part> parts_;
  std::vector<Bucket> buckets_;  // window_buckets per part, a ring each
  sim::Engine& engine_;
  std::uint64_t opens_ = 0, rejected_ = 0;
  sim::TimeWeighted open_;       // parts open
  sim::TimeWeighted half_open_;  // parts half-open
  // At the start of the measured window.
  std::uint64_t opens_at_window_ = 0, rejected_at_window_ = 0;
  __int128 open_at_window_ = 0, half_open_at_window_ = 0;
};

}  // namespace archsim::models
