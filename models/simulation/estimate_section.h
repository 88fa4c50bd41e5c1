// models/simulation/estimate_section.h: the `estimate` section of a scenario,
// the figures of a back-of-the-envelope estimate (analysis/estimate.h): the
// users, what each does a day, the sizes of what they write, how long it is
// kept, and what one server carries. It is optional in a scenario, where a
// run's report puts the estimate beside what the simulation saw, and it is
// also read on its own: `archsim estimate` takes a file holding only the
// section, and makes its flags from this same declaration (docs/estimate.md).
#pragma once

#include <optional>
#include <string>

#include "analysis/estimate.h"
#include "models/format/spec.h"

namespace archsim::models {

spec::NodeRef estimate_spec();

struct EstimateSection {
  analysis::EstimateInput input;
  // The component whose replicas stand for the estimated servers, in a
  // scenario: the run's report compares the two.
  std::optional<std::string> server_pool;
};

// From a validated section (defaults filled in).
EstimateSection read_estimate_section(const spec::Json& section);

}  // namespace archsim::models
