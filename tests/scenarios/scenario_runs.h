// tests/scenarios/scenario_runs.h: the example scenarios and their short runs,
// shared by the scenario tests.
//
// Every test here runs a scenario for a short time so the whole suite stays
// fast: the scenario's warm-up plus kShortMeasuredS of measured time, or its
// own duration when that is shorter; a scenario with a fault timeline runs
// until kShortMeasuredS after its last action ends (or begins, for one that
// lasts), so that the short run sees every fault and what follows it. The
// same short run feeds the golden summaries, Little's law and the
// determinism checks.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "models/simulation/scenario.h"
#include "models/simulation/series.h"
#include "models/simulation/simulation.h"

namespace archsim::test_scenarios {

using spec::Json;
namespace fs = std::filesystem;

inline constexpr double kShortMeasuredS = 10;

inline fs::path source_dir() { return ARCHSIM_SOURCE_DIR; }

// scenarios/*.json, sorted by name, so a new file is covered without a change here.
inline std::vector<fs::path> scenario_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(source_dir() / "scenarios"))
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

inline std::string read_text(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// Loads and validates; a problem fails the calling test with every message.
inline models::Scenario load(const fs::path& path, const std::vector<std::string>& overrides = {}) {
  spec::Errors errors;
  auto scenario = models::load_scenario(read_text(path), overrides, errors);
  INFO(errors.format(path.filename().string()));
  REQUIRE(scenario.has_value());
  return *scenario;
}

inline models::Scenario load_json(const Json& config) {
  spec::Errors errors;
  auto scenario = models::validate_scenario(config, errors);
  INFO(errors.format("<scenario>"));
  REQUIRE(scenario.has_value());
  return *scenario;
}

inline double short_duration_s(const models::Scenario& scenario) {
  const double duration = scenario.config.at("duration_s").get<double>();
  const double warmup = scenario.config.at("warmup_s").get<double>();
  double wanted = warmup + kShortMeasuredS;
  if (scenario.config.contains("faults"))
    for (const auto& action : scenario.config["faults"]["timeline"])
      wanted = std::max(wanted, action.value("until_s", action["at_s"].get<double>()) + kShortMeasuredS);
  return std::min(duration, wanted);
}

// Runs a scenario for its short duration (or `duration_s` when given).
inline Json run(const models::Scenario& scenario, std::optional<std::uint64_t> seed = std::nullopt,
                std::optional<double> duration_s = std::nullopt) {
  models::RunOptions options;
  options.seed = seed;
  options.duration_s = duration_s ? *duration_s : short_duration_s(scenario);
  models::Simulation simulation(scenario, options);
  simulation.run();
  return simulation.results();
}

// Where two long texts (results dumps) first differ, with some context, for
// a failure message that does not print megabytes.
inline std::string first_difference(const std::string& a, const std::string& b) {
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i == a.size() && i == b.size()) return "identical";
  const std::size_t from = i > 80 ? i - 80 : 0;
  return "at byte " + std::to_string(i) + ":\n  first:  ..." + a.substr(from, 160) + "\n  second: ..." +
         b.substr(from, 160);
}

// The short run of scenarios/NAME.json with its own seed, computed once per
// test process and shared by the tests that only read it.
inline const Json& short_run(const fs::path& path) {
  static std::map<std::string, Json> cache;
  const std::string key = path.string();
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, run(load(path))).first;
  return it->second;
}

// The whole run of scenarios/NAME.json, for its full duration_s and its seed.
inline Json full_run(const std::string& name) {
  const auto scenario = load(source_dir() / "scenarios" / (name + ".json"));
  return run(scenario, std::nullopt, scenario.config["duration_s"].get<double>());
}

// One column of a run's time series; the column must exist.
inline Json column(const Json& results, const std::string& name) {
  const Json c = models::series_column(results, name);
  REQUIRE(c.is_array());
  return c;
}

}  // namespace archsim::test_scenarios
