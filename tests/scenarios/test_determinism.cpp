// Determinism: the same scenario and seed give the same bytes; another seed
// gives other numbers; and a run does not depend on what ran before it in
// the same process (no hidden global state).
#include <doctest/doctest.h>

#include <string>

#include "tests/scenarios/scenario_runs.h"

namespace {

using namespace archsim::test_scenarios;

}  // namespace

TEST_CASE("the same scenario and seed twice give byte-identical results") {
  for (const auto& file : scenario_files()) {
    CAPTURE(file.filename().string());
    const auto scenario = load(file);
    const std::string first = run(scenario).dump();
    const std::string second = run(scenario).dump();
    const bool same = first == second;
    INFO("two runs differ " << first_difference(first, second));
    CHECK(same);
    // And the same as the cached run the other tests read.
    const std::string cached = short_run(file).dump();
    const bool same_as_cached = first == cached;
    INFO("differs from the earlier run " << first_difference(first, cached));
    CHECK(same_as_cached);
  }
}

TEST_CASE("another seed gives different numbers") {
  for (const auto& file : scenario_files()) {
    CAPTURE(file.filename().string());
    const auto scenario = load(file);
    const std::uint64_t seed = scenario.config.at("seed").get<std::uint64_t>();
    const Json a = short_run(file);
    const Json b = run(scenario, seed + 1);
    CHECK(b["seed"] == seed + 1);
    // Every scenario here draws random times, so the figures move with the seed.
    CHECK(a["summary"]["latency_ms"]["mean"] != b["summary"]["latency_ms"]["mean"]);
    CHECK(a["summary"]["latency_ms"].dump() != b["summary"]["latency_ms"].dump());
    CHECK(a["components"].dump() != b["components"].dump());
  }
}

TEST_CASE("running A, then B, then A again in one process gives identical results for A") {
  const auto files = scenario_files();
  REQUIRE(files.size() >= 2);
  // Every scenario after every other one: A, B, A.
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto a = load(files[i]);
    const auto b = load(files[(i + 1) % files.size()]);
    CAPTURE(files[i].filename().string());
    CAPTURE(files[(i + 1) % files.size()].filename().string());
    const std::string first = run(a).dump();
    (void)run(b);
    const std::string again = run(a).dump();
    const bool same = first == again;
    INFO("A differs after B ran " << first_difference(first, again));
    CHECK(same);
  }
}

TEST_CASE("a seed given at run time gives the same results as the same seed written in the scenario") {
  // RunOptions.seed (--seed) N over a scenario with seed 1 gives what the scenario with seed N gives.
  const auto file = source_dir() / "scenarios/web-and-database.json";
  const auto overridden = run(load(file), 42);
  const auto edited = run(load(file, {"seed=42"}));
  const bool same = overridden.dump() == edited.dump();
  INFO(first_difference(overridden.dump(), edited.dump()));
  CHECK(same);
}
