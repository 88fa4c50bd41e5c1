// Scenarios whose times fall beyond the clock's range (a rate so small that
// the next arrival is centuries away, a heavy-tailed delay) run to the end:
// such an event is at Time::max() and never happens.
#include <doctest/doctest.h>

#include <string>

#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;

Json scenario_with_arrival(const Json& arrival) {
  Json scenario = Json::parse(R"({
    "name": "far-arrivals",
    "seed": 3,
    "duration_s": 10,
    "warmup_s": 0,
    "components": [
      { "type": "service", "name": "pool", "workers": 2,
        "service_time": { "type": "exponential", "mean_ms": 1 } }
    ]
  })");
  scenario["workloads"] = Json::array({{{"name", "clients"}, {"target", "pool"}, {"arrival", arrival}}});
  return scenario;
}

// Runs the scenario through `archsim run --json` and returns the results.
Json run_to_results(const Json& scenario, const std::string& tag) {
  TempDir dir(tag);
  const std::string file = dir.write("scenario.json", scenario.dump());
  const std::string results = dir.file("results.json");
  const Outcome o = run({"run", file, "--json", results});
  INFO(o.err);
  REQUIRE(o.code == 0);
  return Json::parse(read_file(results));
}

}  // namespace

TEST_CASE("a constant workload at 1e-12 requests per second runs to the end with no request") {
  const Json r = run_to_results(scenario_with_arrival({{"type", "constant"}, {"rate_qps", 1e-12}}), "constant-rate");
  CHECK(r["run"]["completed"] == true);
  CHECK(r["run"]["stop_reason"] == "end");
  CHECK(r["summary"]["offered"] == 0);
  CHECK(r["summary"]["completed"] == 0);
}

TEST_CASE("a Poisson workload at 1e-12 requests per second runs to the end with no request") {
  const Json r = run_to_results(scenario_with_arrival({{"type", "poisson"}, {"rate_qps", 1e-12}}), "poisson-rate");
  CHECK(r["run"]["completed"] == true);
  CHECK(r["run"]["stop_reason"] == "end");
  CHECK(r["summary"]["offered"] == 0);
  CHECK(r["summary"]["completed"] == 0);
}

TEST_CASE("hops with a heavy-tailed latency beyond the clock's range run to the end") {
  // A Pareto of scale one day and shape 1.01 exceeds 292 years (2^63 ns) with
  // probability about 10^-5: 200,000 hops draw a few such values, which are
  // delivered at Time::max(), that is never.
  Json scenario = scenario_with_arrival({{"type", "poisson"}, {"rate_qps", 20000}});
  scenario["network"] = Json::parse(R"({ "hop_latency": { "type": "pareto", "scale_ms": 86400000, "shape": 1.01 } })");
  const Json r = run_to_results(scenario, "heavy-tail");
  CHECK(r["run"]["completed"] == true);
  CHECK(r["run"]["stop_reason"] == "end");
  CHECK(r["summary"]["offered"].get<double>() > 150000);
  CHECK(r["summary"]["completed"] == 0);  // every hop takes at least a day
}
