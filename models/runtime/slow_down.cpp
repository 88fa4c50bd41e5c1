#include "models/runtime/slow_down.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace archsim::models {

void SlowDowns::set(const FaultAction& action, std::size_t parts) {
  assert(action.kind == FaultAction::Kind::SlowDown);
  assert(action.factor > 0 && std::isfinite(action.factor) && action.added.ns >= 0);
  assert(action.replica < static_cast<std::int64_t>(parts));
  const AimedParts aimed = aimed_parts(action, parts);
  if (by_part_.empty()) by_part_.assign(parts, Stretch{});
  for (std::size_t p = aimed.first; p < aimed.last; ++p) by_part_[p] = Stretch{action.factor, action.added};
  // All at normal speed: back to the drawn times, unasked.
  if (std::all_of(by_part_.begin(), by_part_.end(), [](const Stretch& s) { return s.factor == 1 && s.added.ns == 0; }))
    by_part_.clear();
}

sim::Time SlowDowns::stretch(sim::Time drawn, std::size_t part) const {
  if (by_part_.empty()) return drawn;
  const Stretch& s = by_part_[part];
  return sim::Time::from_ns(std::llround(static_cast<double>(drawn.ns) * s.factor)) + s.added;
}

}  // namespace archsim::models
