// models/runtime/hedge_policy.h: hedged calls, on the caller's side of a
// dependency ("The Tail at Scale", Dean and Barroso, 2013).
//
// A call still unanswered after a delay is sent again, as a second attempt
// (a new request, to the replica the callee's pool or load balancer picks
// next), and again after the same delay up to `max_attempts` in all; the
// first attempt to succeed answers the call, and the others go on at their
// callee for nobody (their late replies are dropped; the callee counts
// their work as orphaned). A failed attempt ends the call only when no
// other is out: while one is, the call waits for it. The delay is fixed,
// or a percentile of the latencies of this dependency's recent successful
// attempts, recomputed as they come. Hedges are limited by a budget: a
// token bucket that earns `max_fraction` of a token per call and holds at
// most `burst`, a hedge taking one, so that hedges stay at most about that
// share of the calls.
//
// Each attempt has the call's own timeout, from its own sending (a
// per-attempt timeout): the call fails with timeout when every attempt has
// timed out or failed. Hedging and retries on one call exclude each other,
// as in gRPC's service config.
//
// Not modelled: cancelling the losers at their callee (a "tied request"),
// hedging on a replica chosen on purpose (the callee picks as for any
// call: with round robin, the next replica), per-attempt deadlines shorter
// than the call's timeout.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "models/format/spec.h"
#include "models/runtime/request.h"
#include "sim/event_queue.h"
#include "sim/time.h"

namespace archsim::models {

class Dependency;

struct HedgeConfig {
  double delay_ms = 10;         // the delay before each hedge (with at_percentile: until the window is full)
  double at_percentile = 0;     // 0: the delay is delay_ms; else this percentile of recent attempts' latencies
  std::int64_t window = 1000;   // the recent successful attempts the percentile is taken over
  std::int64_t max_attempts = 2;  // the first attempt included
  double max_fraction = 0.1;    // the budget: tokens earned per call
  double burst = 10;            // the budget: tokens held at most; it starts full
};

// `"hedge": {...}` beside a call, in the declaration of a type that calls.
spec::NodeRef hedge_spec();
HedgeConfig read_hedge(const spec::Json& value);

// What the hedges through one dependency (or several to the same callee,
// when the caller sums them) did, cumulative from time zero.
struct HedgeCounters {
  std::uint64_t calls = 0;    // calls made (first attempts)
  std::uint64_t hedges = 0;   // hedges sent: attempts after the first
  std::uint64_t won = 0;      // calls answered by a hedge, not by their first attempt
  std::uint64_t denied = 0;   // hedges the budget refused
  std::uint64_t losers = 0;   // attempts still out when another answered: their work is for nobody
};
// The figures of a window: calls, hedges, hedge_rate (hedges per call),
// won, denied_by_budget, losers, and the delay now in force.
spec::Json hedge_figures(const HedgeCounters& end, const HedgeCounters& start, double delay_ms);

class HedgePolicy {
 public:
  explicit HedgePolicy(const HedgeConfig& config);

  void count_into(HedgeCounters& counters) { counters_ = &counters; }
  std::uint32_t max_attempts() const { return static_cast<std::uint32_t>(config_.max_attempts); }
  sim::Time delay() const { return delay_; }

  // One call in progress: its attempts still out and awaited, the hedge
  // timer, and the last failure seen.
  static constexpr std::int64_t kMaxAttempts = 4;
  struct Call {
    Request* parent = nullptr;  // null: the slot is free
    Dependency* dependency = nullptr;
    std::uint32_t parent_generation = 0;
    std::uint32_t slot = 0;
    std::uint8_t sent = 0;  // attempts sent so far
    std::uint8_t out = 0;   // of them, still out and awaited
    Request* attempts[kMaxAttempts] = {};
    sim::Time sent_at[kMaxAttempts] = {};
    sim::Time created{};       // the first attempt's: the caller waits from then
    std::uint64_t scratch = 0;  // the first attempt's, for the caller
    sim::EventHandle timer{};  // the next hedge's
  };

  // A call's first attempt is sent: a slot is opened for it (stable in
  // memory until closed) and the budget earns its share.
  Call& open(Request& first, Dependency& dependency, sim::Time now);
  // The call `attempt` belongs to.
  Call& call_of(const Request& attempt);
  // A hedge is due: whether the budget allows it (taking a token), counted.
  bool allow_hedge();
  void sent_hedge(Call& c, Request& attempt, sim::Time now);
  // An attempt has ended (failed or timed out): it is no longer out.
  void ended(Call& c, const Request& attempt);
  // The call is answered by `winner` (a success): the others out are the
  // losers, and `winner`'s latency feeds the percentile.
  void won(Call& c, const Request& winner, sim::Time now);
  void close(Call& c);

  const HedgeCounters& counters() const { return *counters_; }

 private:
  std::size_t bucket(const Request* parent) const;
  void observe(sim::Time latency);

  HedgeConfig config_;
  sim::Time delay_;
  double tokens_;
  std::deque<Call> calls_;  // a deque: a Call stays where it is while others are added
  std::vector<std::uint32_t> free_;
  // Open addressing on the parent's address (lookups only, never iterated:
  // the addresses' order reaches nothing): slot + 1, 0 for empty.
  std::vector<std::uint32_t> index_;
  std::size_t index_used_ = 0;
  // The recent successful attempts' latencies, for at_percentile.
  std::vector<std::int64_t> recent_;
  std::vector<std::int64_t> sorted_;
  std::size_t recent_next_ = 0;
  std::uint64_t since_update_ = 0;
  HedgeCounters own_;
  HedgeCounters* counters_ = &own_;

  void index_insert(const Request* parent, std::uint32_t slot);
  void index_erase(const Request* parent);
  void index_grow();
};

}  // namespace archsim::models
