// archsim compare (common random numbers, paired differences) and archsim
// plan (a search over a monotone parameter judged by intervals), with an
// answer checked by running it again, and their refusals of bad input.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;

Json short_small() {
  Json scenario = small_scenario();
  scenario["duration_s"] = 3;
  return scenario;
}

TEST_CASE("a design compared with itself differs by exactly nothing: both see the same random numbers") {
  TempDir dir("compare-same");
  const std::string a = dir.write("a.json", short_small().dump());
  Json b_scenario = short_small();
  b_scenario["name"] = "another name";
  const std::string b = dir.write("b.json", b_scenario.dump());
  const auto o = run({"compare", a, b, "--replications", "4", "--json", "-"});
  REQUIRE(o.code == 0);
  const Json c = Json::parse(o.out);
  for (const auto& row : c["metrics"]) {
    CAPTURE(row["metric"]);
    CHECK(row["difference"]["mean"] == 0.0);
    CHECK(row["difference"]["ci95"] == 0.0);
    CHECK(row["a"] == row["b"]);
    CHECK(row["significant"] == false);
  }
}

TEST_CASE("compare finds a slower database slower, with the paired interval narrower than the unpaired ones") {
  TempDir dir("compare-slower");
  const std::string a = dir.write("a.json", short_small().dump());
  Json slow = short_small();
  slow["components"][1]["handlers"]["select"][0]["compute"]["mean_ms"] = 4;
  const std::string b = dir.write("b.json", slow.dump());
  const auto o = run({"compare", a, b, "--replications", "5", "--metric", "mean_ms", "--json", "-"});
  REQUIRE(o.code == 0);
  const Json row = Json::parse(o.out)["metrics"][0];
  CHECK(row["difference"]["mean"].get<double>() > 0);
  CHECK(row["significant"] == true);
  // Common random numbers: the runs of A and B move together, so their
  // difference varies less than either alone.
  CHECK(row["difference"]["ci95"].get<double>() < row["a"]["ci95"].get<double>());
  const auto table = run({"compare", a, b, "--replications", "5", "--metric", "mean_ms"});
  CHECK(contains(table.out, "B higher"));
  CHECK(contains(table.out, "common random numbers"));
}

TEST_CASE("compare refuses a wrong number of files and an unknown metric") {
  TempDir dir("compare-bad");
  const std::string a = dir.write("a.json", short_small().dump());
  auto o = run({"compare", a});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "expected two scenario files A and B, got 1"));
  o = run({"compare", a, a, "--replications", "2", "--metric", "p99_mss"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "did you mean \"p99_ms\"?"));
}

TEST_CASE("plan finds the fewest database workers that meet a goal, and a rerun confirms it") {
  TempDir dir("plan-workers");
  Json scenario = short_small();
  scenario["workloads"][0]["arrival"]["rate_qps"] = 600;
  const std::string file = dir.write("plan.json", scenario.dump());
  const auto o = run({"plan", file, "--vary", "components.db-primary.workers=1..8", "--goal", "p99_ms<40",
                      "--replications", "5", "--json", "-"});
  REQUIRE(o.code == 0);
  const Json plan = Json::parse(o.out);
  REQUIRE(plan["answer"].is_number());
  const int answer = plan["answer"].get<int>();
  CHECK(answer > 1);
  CHECK(plan["first_failing"] == answer - 1);
  // The answer again, with the same replications: the interval is within the bound.
  const auto again = run({"run", file, "--set", "components.db-primary.workers=" + std::to_string(answer),
                          "--replications", "5", "--json", "-"});
  REQUIRE(again.code == 0);
  const Json r = Json::parse(again.out);
  CHECK(r["mean"]["summary"]["latency_ms"]["p99"].get<double>() + r["ci95"]["summary"]["latency_ms"]["p99"].get<double>() <
        40);
  // And the value below fails.
  const auto below = run({"run", file, "--set", "components.db-primary.workers=" + std::to_string(answer - 1),
                          "--replications", "5", "--json", "-"});
  const Json rb = Json::parse(below.out);
  CHECK(rb["mean"]["summary"]["latency_ms"]["p99"].get<double>() + rb["ci95"]["summary"]["latency_ms"]["p99"].get<double>() >=
        40);
  const auto text = run({"plan", file, "--vary", "components.db-primary.workers=1..8", "--goal", "p99_ms<40",
                         "--replications", "5"});
  CHECK(contains(text.out, "answer: components.db-primary.workers=" + std::to_string(answer) + " (" +
                               std::to_string(answer - 1) + " fails)"));
}

TEST_CASE("plan --largest finds the highest load that meets a goal") {
  TempDir dir("plan-largest");
  const std::string file = dir.write("plan.json", short_small().dump());
  const auto o = run({"plan", file, "--vary", "workloads.users.arrival.rate_qps=200..3000:200", "--goal",
                      "p99_ms<30", "--largest", "--replications", "3", "--json", "-"});
  REQUIRE(o.code == 0);
  const Json plan = Json::parse(o.out);
  REQUIRE(plan["answer"].is_number());
  CHECK(plan["first_failing"].get<double>() == plan["answer"].get<double>() + 200);
}

TEST_CASE("plan says so when no candidate meets the goals, and refuses bad input") {
  TempDir dir("plan-bad");
  const std::string file = dir.write("plan.json", short_small().dump());
  auto o = run({"plan", file, "--vary", "components.db-primary.workers=1,2", "--goal", "p99_ms<0.001",
                "--replications", "2"});
  CHECK(o.code == 4);
  CHECK(contains(o.out, "answer: none of the candidates meets every goal; the largest, 2, fails"));
  o = run({"plan", file, "--vary", "components.db-primary.workers=4,2", "--goal", "p99_ms<10"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "plan searches numbers in increasing order, got 4 then 2"));
  o = run({"plan", file, "--vary", "components.db-primary.workers=1,2"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "nothing to meet"));
  o = run({"plan", file, "--vary", "components.db-primary.workers=1,2", "--goal", "p99_mss<10", "--replications",
           "2"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "--goal \"p99_mss<10\": no figure \"p99_mss\""));
  o = run({"plan", file, "--vary", "components.db-primary.workerz=1,2", "--goal", "p99_ms<10"});
  CHECK(o.code == 1);
  CHECK(contains(o.err, "archsim plan: at components.db-primary.workerz=1:"));
}

}  // namespace
