#include "models/runtime/fail_fraction.h"

#include <algorithm>
#include <cassert>

namespace archsim::models {

void FailFractions::set(const FaultAction& action, std::size_t parts) {
  assert(action.kind == FaultAction::Kind::Fail);
  assert(action.fraction >= 0 && action.fraction <= 1);
  assert(action.replica < static_cast<std::int64_t>(parts));
  const AimedParts aimed = aimed_parts(action, parts);
  if (by_part_.empty()) by_part_.assign(parts, 0.0);
  for (std::size_t p = aimed.first; p < aimed.last; ++p) by_part_[p] = action.fraction;
  // None fails any more: back to drawing nothing.
  if (std::all_of(by_part_.begin(), by_part_.end(), [](double f) { return f == 0; })) by_part_.clear();
}

}  // namespace archsim::models
