// models/runtime/retry_policy.h: retries of a failed call, on the caller's
// side of a dependency.
//
// A call that fails with a cause the policy retries (a timeout, a full
// queue, a refused link, a crashed callee, ...) is made again after a
// backoff, as a new call: a new request with its own identity, so that a
// late reply to the attempt before it (whose timeout fired) is dropped, not
// counted twice. The caller's handler sees only the last attempt's outcome:
// the first success, or the failure once no retry is left. Attempts are
// limited by `max_attempts` (the first one included) and, optionally, by a
// retry budget shared by every call through the dependency: a token bucket
// as in the AWS SDKs' standard retry mode (RetryBudget below).
//
// The backoff before retry k (k = 1 for the first retry) starts from
//   fixed:       t_k = base
//   exponential: t_k = min(cap, base * multiplier^(k-1))
// and is jittered as in the AWS Architecture Blog's "Exponential Backoff
// And Jitter" (2015):
//   none:         t_k
//   full:         uniform(0, t_k)
//   equal:        t_k / 2 + uniform(0, t_k / 2)
//   decorrelated: min(cap, uniform(base, 3 * s_{k-1})), s_0 = base
// where uniform draws come from the dependency's own random stream (from the
// seed and the caller's name), so that retries change no other draw.
//
// Not modelled: retry-after hints from the callee, per-attempt deadlines
// shorter than the caller's own, retries on a different replica chosen on
// purpose (a retry is sent like a new call: the callee's pool picks again).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/format/spec.h"
#include "models/runtime/request.h"
#include "sim/rng.h"
#include "sim/time.h"

namespace archsim::models {

class Wiring;

struct RetryBudgetConfig {
  std::int64_t tokens = 500;              // the bucket's capacity; it starts full
  std::int64_t retry_cost = 5;            // taken by a retry after a failure other than a timeout
  std::int64_t timeout_retry_cost = 10;   // taken by a retry after a timeout
  std::int64_t success_refund = 1;        // given back by a first attempt that succeeds
};

struct RetryConfig {
  enum class Backoff { Fixed, Exponential };                  // in the order of the declaration
  enum class Jitter { None, Full, Equal, Decorrelated };      // in the order of the declaration
  std::int64_t max_attempts = 3;  // the first attempt included
  Backoff backoff = Backoff::Exponential;
  double base_ms = 100;
  double cap_ms = 10000;
  double multiplier = 2;
  Jitter jitter = Jitter::Full;
  std::vector<std::string> retry_on;  // failure causes, by name
  std::optional<RetryBudgetConfig> budget;
};

// `"retry": {...}` beside a call, in the declaration of a type that calls.
spec::NodeRef retry_spec();
RetryConfig read_retry(const spec::Json& value);
// The failure causes a retry may name: every cause some part of archsim
// registers (models/runtime/request.h). A new cause that a caller may want
// to retry is added here too.
const std::vector<std::string>& retryable_cause_names();

// What the retries through one dependency (or several to the same callee,
// when the caller sums them) did, cumulative from time zero.
struct RetryCounters {
  std::uint64_t calls = 0;      // calls made: first attempts
  std::uint64_t attempts = 0;   // attempts sent: first attempts and retries
  std::uint64_t denied = 0;     // retries the budget refused (the call failed with its cause)
  std::uint64_t exhausted = 0;  // calls that failed a retryable way on their last allowed attempt
};

// The figures of a window, from the counters at its start and end: calls,
// attempts, retries, amplification (attempts per call; null without calls),
// denied_by_budget, exhausted.
spec::Json retry_figures(const RetryCounters& end, const RetryCounters& start);

// A token bucket of retries, after the AWS SDKs' standard retry mode: a
// retry takes `retry_cost` tokens (`timeout_retry_cost` after a timeout) and
// is refused when fewer are left; a first attempt that succeeds gives back
// `success_refund` tokens, and a retry that succeeds gives back what it
// took; the bucket never holds more than `tokens`. Under a full outage it
// allows tokens / retry_cost retries and then none until calls succeed
// again; in steady state, about one retry per retry_cost / success_refund
// successful calls.
class RetryBudget {
 public:
  explicit RetryBudget(const RetryBudgetConfig& config) : config_(config), tokens_(config.tokens) {}
  // Takes the cost of a retry after a failure (a timeout or not); false
  // when the bucket holds less than that, and then it takes nothing.
  bool take(bool after_timeout) {
    const std::int64_t cost = after_timeout ? config_.timeout_retry_cost : config_.retry_cost;
    if (tokens_ < cost) return false;
    tokens_ -= cost;
    return true;
  }
  // A call succeeded on its attempt `attempt` (1 for the first); a retry
  // gives back what it took, which depended on whether it followed a timeout.
  void succeeded(std::uint32_t attempt, bool retry_after_timeout) {
    const std::int64_t back =
        attempt <= 1 ? config_.success_refund : retry_after_timeout ? config_.timeout_retry_cost : config_.retry_cost;
    tokens_ = std::min(config_.tokens, tokens_ + back);
  }
  std::int64_t tokens() const { return tokens_; }

 private:
  RetryBudgetConfig config_;
  std::int64_t tokens_;
};

class RetryPolicy {
 public:
  RetryPolicy(RetryConfig config, sim::Rng rng);

  // Finds the causes it retries in the run's table.
  void connect(Wiring& wiring);
  // The counters it adds to: its own, unless the owner shares one set among
  // several dependencies to the same callee (set before the run).
  void count_into(RetryCounters& counters) { counters_ = &counters; }
  RetryCounters& counters() { return *counters_; }
  const RetryBudget* budget() const { return budget_ ? &*budget_ : nullptr; }

  bool retries(Failure cause) const { return (retry_on_ >> cause.id) & 1U; }
  // A call is made through the dependency: its first attempt.
  void called(Request& call) {
    call.attempt = 1;
    ++counters_->calls;
    ++counters_->attempts;
  }
  // An attempt succeeded: the budget gets its refund.
  void succeeded(const Request& attempt) {
    if (budget_) budget_->succeeded(attempt.attempt, attempt.retried_after_timeout);
  }
  // An attempt failed with `cause` (`timed_out`: its timeout fired; a
  // timed-out attempt's own failure field is the callee's). When a retry
  // follows, returns its backoff and counts it as sent; otherwise returns
  // nothing, and the call ends with this attempt's failure.
  std::optional<sim::Time> after_failure(const Request& attempt, Failure cause, bool timed_out);
  // The backoff before retry k (1 for the first); `previous` is the backoff
  // before the attempt that failed (zero after the first), which
  // decorrelated jitter grows from. Public for the tests of the formulas.
  sim::Time backoff(std::uint32_t k, sim::Time previous);

  std::uint32_t max_attempts() const { return static_cast<std::uint32_t>(config_.max_attempts); }

 private:
  RetryConfig config_;
  sim::Rng rng_;
  sim::Time base_{};
  sim::Time cap_{};
  std::uint32_t retry_on_ = 0;  // bit i: cause i is retried (FailureCauses::kMax is 32)
  std::optional<RetryBudget> budget_;
  RetryCounters own_;
  RetryCounters* counters_ = &own_;
};

}  // namespace archsim::models
