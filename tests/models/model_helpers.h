// tests/models/model_helpers.h: running a scenario given as JSON text in this
// process and reading figures out of its results document.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "models/simulation/scenario.h"
#include "models/simulation/simulation.h"
#include "models/format/spec.h"

namespace archsim::test_models {

using Json = spec::Json;

// Validates and runs a scenario; fails the test (with every error listed) if
// the scenario is refused. Returns the results document.
inline Json run_scenario(std::string_view text) {
  spec::Errors errors;
  auto scenario = models::load_scenario(text, {}, errors);
  INFO(errors.format("scenario"));
  REQUIRE(scenario);
  models::Simulation sim(*scenario, {});
  sim.run();
  return sim.results();
}

// The same, with `plan` given the simulation before it runs: to schedule
// faults with Simulation::at.
inline Json run_scenario(std::string_view text, const std::function<void(models::Simulation&)>& plan) {
  spec::Errors errors;
  auto scenario = models::load_scenario(text, {}, errors);
  INFO(errors.format("scenario"));
  REQUIRE(scenario);
  models::Simulation sim(*scenario, {});
  plan(sim);
  sim.run();
  return sim.results();
}

inline std::uint64_t count(const Json& value) { return value.get<std::uint64_t>(); }
inline double number(const Json& value) { return value.get<double>(); }

// A rate over the measured window turned back into the count it came from.
inline std::int64_t count_from_rate(const Json& results, const Json& qps) {
  return std::llround(qps.get<double>() * results["measured_s"].get<double>());
}

// Milliseconds as the results report them: nanosecond integers / 1e6.
// Comparisons allow the last bits of that conversion.
inline doctest::Approx ms(double value) { return doctest::Approx(value).epsilon(1e-12); }

}  // namespace archsim::test_models
