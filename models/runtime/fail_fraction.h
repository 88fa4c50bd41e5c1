// models/runtime/fail_fraction.h: which share of the requests reaching each
// part of a component (a service's replicas) fail at once, as the fault
// timeline's fail sets it (FaultAction::Kind::Fail): a request reaching a
// failing part is failed with cause error, without taking a worker, with
// the probability its part's fraction says, drawn from a stream of its own
// ("fail:" and the component's name), so failing a part changes no other
// draw, its own or another's. The fast errors of a bug, a bad deploy, an
// exhausted connection pool that answers at once.
//
// Owned by each component that takes the action; which requests count as
// reaching a part is the owner's to say (docs/models/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "models/runtime/fault.h"
#include "sim/rng.h"

namespace archsim::models {

class FailFractions {
 public:
  explicit FailFractions(sim::Rng rng) : rng_(rng) {}
  // Applies a Fail to the part it aims at, or to each of `parts`. A
  // fraction of 0 is normal again.
  void set(const FaultAction& action, std::size_t parts);
  // Whether any part fails requests: while none does, nothing is drawn.
  bool any() const { return !by_part_.empty(); }
  // Whether a request reaching `part` now fails (one draw when the part
  // fails requests, none otherwise); counted.
  bool fails(std::size_t part) {
    const double fraction = by_part_[part];
    if (fraction <= 0 || rng_.uniform() >= fraction) return false;
    ++failed_;
    return true;
  }
  // Requests failed so far, for the owner's figures.
  const std::uint64_t& failed() const { return failed_; }

 private:
  std::vector<double> by_part_;  // by part; empty while none fails requests
  sim::Rng rng_;
  std::uint64_t failed_ = 0;
};

}  // namespace archsim::models
