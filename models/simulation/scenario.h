// models/simulation/scenario.h: reading and validating a scenario file.
//
// A scenario is refused before anything runs if anything in it is wrong;
// every problem is listed with its JSON path. A valid scenario is returned
// completed with every default, so later stages read it without checks.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/format/spec.h"

namespace archsim::models {

struct Scenario {
  spec::Json config;                    // validated, with defaults filled in
  std::vector<std::string> operations;  // every operation used, in order of first use
};

// The declaration of the whole format.
spec::NodeRef scenario_spec();

// Largest scenario text accepted, and deepest nesting of arrays and objects.
inline constexpr std::size_t kMaxScenarioBytes = 64u << 20;
inline constexpr int kMaxNesting = 64;

// Parses `text`, applies the `--set` overrides in order, and validates.
std::optional<Scenario> load_scenario(std::string_view text, const std::vector<std::string>& overrides,
                                      spec::Errors& errors);

// Validates an already parsed scenario (overrides applied).
std::optional<Scenario> validate_scenario(const spec::Json& input, spec::Errors& errors);

}  // namespace archsim::models
