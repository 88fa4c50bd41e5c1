// Every scenario in scenarios/ validates, runs to completion and matches its
// expected summary.
//
// Golden files: tests/scenarios/expected/NAME.json holds a few summary
// figures of the short run of scenarios/NAME.json (see scenario_runs.h):
// offered, completed, failed.total, throughput and latency mean/p50/p99 end
// to end, and each component's throughput and utilization (and a rate
// limiter's rate_limited). Integers must be
// equal; numbers with a fraction equal to a relative 1e-9 (the results are
// deterministic, the margin only forgives the last bits of a libm).
//
// To write the golden files instead of comparing (after adding a scenario, or
// after a change that is meant to move the numbers), run the scenario tests
// with ARCHSIM_UPDATE_EXPECTED=1:
//
//   ARCHSIM_UPDATE_EXPECTED=1 ./build/archsim_tests --source-file='*tests/scenarios/*'
//
// then review the diff of tests/scenarios/expected/ like any other change.
// A scenario without a golden file fails, so every new scenario gets one.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include "tests/scenarios/scenario_runs.h"

namespace {

using namespace archsim::test_scenarios;

constexpr double kRelativeTolerance = 1e-9;

const std::string kRegenerate =
    "if the change is intended, regenerate the golden files with\n"
    "  ARCHSIM_UPDATE_EXPECTED=1 ./build/archsim_tests --source-file='*tests/scenarios/*'\n"
    "and review the diff of tests/scenarios/expected/";

fs::path expected_dir() { return source_dir() / "tests/scenarios/expected"; }

bool updating() {
  const char* v = std::getenv("ARCHSIM_UPDATE_EXPECTED");
  return v != nullptr && std::string(v) == "1";
}

// The figures a golden file keeps of a results document.
Json expected_summary(const Json& r) {
  const Json& s = r["summary"];
  Json out = Json::object();
  out["scenario"] = r["scenario"];
  out["seed"] = r["seed"];
  out["duration_s"] = r["duration_s"];
  out["warmup_s"] = r["warmup_s"];
  Json summary = Json::object();
  summary["offered"] = s["offered"];
  summary["completed"] = s["completed"];
  summary["failed_total"] = s["failed"]["total"];
  summary["throughput_qps"] = s["throughput_qps"];
  summary["latency_ms"] = {{"mean", s["latency_ms"]["mean"]}, {"p50", s["latency_ms"]["p50"]}, {"p99", s["latency_ms"]["p99"]}};
  out["summary"] = summary;
  Json components = Json::object();
  for (const auto& [name, c] : r["components"].items()) {
    components[name] = {{"throughput_qps", c["throughput_qps"]}, {"utilization", c["utilization"]}};
    // A rate limiter's refusals, from the figure it declares.
    if (c.contains("rate_limited")) components[name]["rate_limited"] = c["rate_limited"];
  }
  out["components"] = components;
  return out;
}

// Appends a line per difference between expected and actual, with its path.
void compare(const Json& expected, const Json& actual, const std::string& path, std::string& differences) {
  auto differ = [&](const std::string& why) {
    differences += "  " + (path.empty() ? std::string("(root)") : path) + ": expected " + expected.dump() + ", got " +
                   actual.dump() + (why.empty() ? "" : " (" + why + ")") + "\n";
  };
  if (expected.is_object() && actual.is_object()) {
    for (const auto& [key, value] : expected.items()) {
      const std::string p = path.empty() ? key : path + "." + key;
      if (!actual.contains(key)) differences += "  " + p + ": missing from the results\n";
      else compare(value, actual[key], p, differences);
    }
    for (const auto& [key, _] : actual.items())
      if (!expected.contains(key)) differences += "  " + (path.empty() ? key : path + "." + key) + ": not in the golden file\n";
    return;
  }
  const bool expected_integer = expected.is_number_integer() || expected.is_number_unsigned();
  const bool actual_integer = actual.is_number_integer() || actual.is_number_unsigned();
  if (expected_integer && actual_integer) {
    if (expected != actual) differ("");
    return;
  }
  if (expected.is_number() && actual.is_number()) {
    const double e = expected.get<double>(), a = actual.get<double>();
    const double scale = std::max(std::fabs(e), std::fabs(a));
    if (!(std::fabs(e - a) <= kRelativeTolerance * scale)) differ("relative difference above 1e-9");
    return;
  }
  if (expected != actual) differ("");
}

}  // namespace

TEST_CASE("every scenario in scenarios/ validates and says what it shows") {
  const auto files = scenario_files();
  REQUIRE(!files.empty());
  for (const auto& file : files) {
    CAPTURE(file.filename().string());
    const auto scenario = load(file);
    CHECK(scenario.config.contains("description"));
    CHECK(!scenario.config.value("description", "").empty());
  }
}

TEST_CASE("every scenario runs to completion and matches its expected summary") {
  const auto files = scenario_files();
  REQUIRE(!files.empty());
  for (const auto& file : files) {
    const std::string name = file.stem().string();
    CAPTURE(name);
    const Json& results = short_run(file);
    CHECK(results["run"]["completed"] == true);
    CHECK(results["run"]["problem"] == "");
    CHECK(results["summary"]["completed"].get<std::uint64_t>() > 0);

    const Json actual = expected_summary(results);
    const fs::path golden = expected_dir() / (name + ".json");
    if (updating()) {
      fs::create_directories(expected_dir());
      std::ofstream(golden, std::ios::binary) << actual.dump(2) << "\n";
      MESSAGE("wrote " << golden.string());
      continue;
    }
    if (!fs::exists(golden)) {
      FAIL_CHECK("tests/scenarios/expected/" << name << ".json is missing: every scenario needs its expected summary;\n"
                                             << kRegenerate);
      continue;
    }
    Json expected;
    try {
      expected = Json::parse(read_text(golden));
    } catch (const Json::parse_error& e) {
      FAIL_CHECK("tests/scenarios/expected/" << name << ".json is not valid JSON (" << e.what() << ");\n" << kRegenerate);
      continue;
    }
    std::string differences;
    compare(expected, actual, "", differences);
    INFO("the short run of scenarios/" << name << ".json differs from tests/scenarios/expected/" << name << ".json:\n"
                                       << differences << kRegenerate);
    CHECK(differences.empty());
  }
}

TEST_CASE("every golden file belongs to a scenario") {
  if (!fs::exists(expected_dir())) return;
  std::set<std::string> scenarios;
  for (const auto& file : scenario_files()) scenarios.insert(file.stem().string());
  for (const auto& entry : fs::directory_iterator(expected_dir())) {
    if (entry.path().extension() != ".json") continue;
    const std::string name = entry.path().stem().string();
    INFO("tests/scenarios/expected/" << name << ".json has no scenarios/" << name
                                     << ".json; delete it if the scenario was removed or renamed");
    CHECK(scenarios.count(name) == 1);
  }
}

TEST_CASE("the benchmark's scenarios are valid and run") {
  // bench/*.json are read by archsim_bench, which the suite does not run:
  // a change of the format must not leave them behind unseen. A file with a
  // fault timeline runs through its faults (the short run), the others 1 s.
  std::set<std::string> checked;
  for (const auto& entry : fs::directory_iterator(source_dir() / "bench")) {
    if (entry.path().extension() != ".json") continue;
    const std::string name = entry.path().filename().string();
    CAPTURE(name);
    const auto scenario = load(entry.path());
    const bool faults = scenario.config.contains("faults");
    const Json r = faults ? run(scenario) : run(scenario, std::nullopt, 1.0);
    CHECK(r["summary"]["completed"].get<std::uint64_t>() > 0);
    if (name == "broker.json")  // archsim_bench reports this group's acknowledgements
      CHECK(r["components"]["broker"]["events.consumers.acknowledged"].get<std::uint64_t>() > 0);
    checked.insert(name);
  }
  // The files archsim_bench names (bench/archsim_bench.cpp).
  for (const char* name : {"cache-aside.json", "resilience.json", "broker.json"}) {
    CAPTURE(name);
    CHECK(checked.count(name) == 1);
  }
}
