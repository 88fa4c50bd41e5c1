// models/runtime/slow_down.h: how much slower each part of a component (a
// service's replicas, a store's nodes, a database's servers) works, as the
// fault timeline's slow_down sets it (FaultAction::Kind::SlowDown): a
// compute step begun on a slowed part takes `factor` times its drawn time
// plus `added`. The time is drawn as at normal speed and then stretched, so
// slowing a part changes no draw, its own or another's.
//
// Owned by each component whose parts compute; what counts as a compute step
// is the owner's to say (docs/models/).
#pragma once

#include <cstddef>
#include <vector>

#include "models/runtime/fault.h"
#include "sim/time.h"

namespace archsim::models {

class SlowDowns {
 public:
  // Applies a SlowDown to the part it aims at, or to each of `parts` (its
  // replica -1). Factor 1 with nothing added is normal speed again.
  void set(const FaultAction& action, std::size_t parts);
  // Whether any part is slowed: while none is, steps take their drawn time
  // and the owner need not ask.
  bool any() const { return !by_part_.empty(); }
  // What a step drawn as `drawn` takes on `part`.
  sim::Time stretch(sim::Time drawn, std::size_t part) const;

 private:
  struct Stretch {
    double factor = 1;
    sim::Time added{};
  };
  std::vector<Stretch> by_part_;  // by part; empty while none is slowed
};

}  // namespace archsim::models
