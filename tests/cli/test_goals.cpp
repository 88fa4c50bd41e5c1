// Goals: the grammar of docs/goals.md read and resolved against a results
// document, and `archsim run --check`: a line per goal, exit code 4 when
// one fails, and a clear refusal (with a did-you-mean) of a goal that does
// not parse or names no figure of the results.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli/goals.h"
#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;
using archsim::cli::Comparison;
using archsim::cli::Goal;
using archsim::cli::Metric;

// The shape of a results document, with round numbers.
const Json& results() {
  static const Json document = Json::parse(R"({
    "scenario": "demo",
    "summary": {"offered": 100, "completed": 98, "failed": {"total": 2, "timeout": 2},
                "throughput_qps": 98.0, "success_ratio": 0.98,
                "latency_ms": {"count": 98, "mean": 5.0, "p50": 4.0, "p90": 9.0, "p99": 20.0, "p999": 30.0, "max": 31.0}},
    "operations": {"read": {"throughput_qps": 80.0, "latency_ms": {"count": 80, "p99": 15.0}},
                   "idle": {"throughput_qps": 0.0, "latency_ms": {"count": 0, "p99": 0.0}}},
    "components": {"db-primary": {"utilization": 0.5, "latency_ms": {"p99": 8.0}, "hit_ratio": null,
                                  "instances": [{"utilization": 0.4}, {"utilization": 0.6}], "type": "service"}},
    "measured_s": 60
  })");
  return document;
}

Metric resolved(const std::string& written) {
  Metric metric;
  const std::string problem = archsim::cli::resolve_metric(results(), written, metric);
  CHECK_MESSAGE(problem.empty(), problem);
  return metric;
}

std::string problem_of(const std::string& written) {
  Metric metric;
  return archsim::cli::resolve_metric(results(), written, metric);
}

TEST_CASE("a goal is a metric, a comparison and a number with an optional unit") {
  Goal goal;
  CHECK(archsim::cli::parse_goal("p99_ms<200", goal).empty());
  CHECK(goal.metric == "p99_ms");
  CHECK(goal.comparison == Comparison::Less);
  CHECK(goal.number == 200);
  CHECK(goal.unit.empty());
  CHECK(archsim::cli::parse_goal(" components.db.utilization >= 80 % ", goal).empty());
  CHECK(goal.metric == "components.db.utilization");
  CHECK(goal.comparison == Comparison::GreaterOrEqual);
  CHECK(goal.number == 80);
  CHECK(goal.unit == "%");
  CHECK(archsim::cli::parse_goal("p99_ms<=0.2s", goal).empty());
  CHECK(goal.comparison == Comparison::LessOrEqual);
  CHECK(goal.unit == "s");
  CHECK(archsim::cli::parse_goal("throughput_qps>1e3", goal).empty());
  CHECK(goal.number == 1000);
}

TEST_CASE("a goal that does not parse says what a goal is") {
  Goal goal;
  CHECK(contains(archsim::cli::parse_goal("p99_ms 200", goal), "expected METRIC<NUMBER"));
  CHECK(contains(archsim::cli::parse_goal("p99_ms=200", goal), "\"=\" is not a comparison"));
  CHECK(contains(archsim::cli::parse_goal("p99_ms==200", goal), "\"==\" is not a comparison"));
  CHECK(contains(archsim::cli::parse_goal("<200", goal), "no METRIC before <"));
  CHECK(contains(archsim::cli::parse_goal("p99_ms<", goal), "no NUMBER after <"));
  CHECK(contains(archsim::cli::parse_goal("p99_ms<fast", goal), "the bound \"fast\" is not a number"));
  CHECK(contains(archsim::cli::parse_goal("p99 ms<2", goal), "has a \" \""));
}

TEST_CASE("a metric is a path through the results, from summary when it names no section") {
  CHECK(resolved("summary.latency_ms.p99").path() == "summary.latency_ms.p99");
  CHECK(resolved("p99_ms").path() == "summary.latency_ms.p99");
  CHECK(resolved("p99_ms").unit == "ms");
  CHECK(resolved("latency_ms.count").unit.empty());
  CHECK(resolved("throughput_qps").unit == "qps");
  CHECK(resolved("failed.timeout").path() == "summary.failed.timeout");
  CHECK(resolved("operations.read.p99_ms").path() == "operations.read.latency_ms.p99");
  CHECK(resolved("components.db-primary.utilization").unit == "fraction");
  CHECK(resolved("components.db-primary.p99_ms").path() == "components.db-primary.latency_ms.p99");
  CHECK(resolved("components.db-primary.instances[1].utilization").path() ==
        "components.db-primary.instances.1.utilization");
  CHECK(resolved("measured_s").unit == "s");
  const Metric error = resolved("error_ratio");
  CHECK(error.complement);
  CHECK(error.path() == "summary.error_ratio");
  CHECK(archsim::cli::metric_value(results(), error) == doctest::Approx(0.02));
  CHECK(archsim::cli::metric_value(results(), resolved("components.db-primary.instances.1.utilization")) == 0.6);
  // A latency over no completed request is written 0; as a goal's value it
  // would meet every upper bound, so it has none.
  CHECK_FALSE(archsim::cli::metric_value(results(), resolved("operations.idle.p99_ms")).has_value());
  CHECK(archsim::cli::metric_value(results(), resolved("operations.idle.latency_ms.count")) == 0);
  CHECK(archsim::cli::metric_value(results(), resolved("operations.idle.throughput_qps")) == 0);
  // A figure that exists but has no value in this run.
  CHECK_FALSE(archsim::cli::metric_value(results(), resolved("components.db-primary.hit_ratio")).has_value());
}

TEST_CASE("a metric that names no figure gets a did-you-mean from what is there") {
  CHECK(problem_of("p99_mss") == "no figure \"p99_mss\" in the results; did you mean \"p99_ms\"? (docs/goals.md lists the metrics)");
  CHECK(problem_of("components.db-primray.utilization") ==
        "no figure \"db-primray\" in components; did you mean \"db-primary\"?");
  CHECK(problem_of("components.db-primary.utilisation") ==
        "no figure \"utilisation\" in components.db-primary; did you mean \"utilization\"?");
  CHECK(contains(problem_of("components.db-primary"), "names a group of figures, not one"));
  CHECK(contains(problem_of("components.db-primary.instances"), "names a list"));
  CHECK(contains(problem_of("components.db-primary.instances.2.utilization"), "has 2 entries; index 2 is beyond them"));
  CHECK(contains(problem_of("components.db-primary.type"), "is text, not a number"));
  CHECK(contains(problem_of("p99_ms.x"), "is a single figure"));
  CHECK(contains(problem_of("components..utilization"), "empty name"));
}

TEST_CASE("a goal's unit converts to the figure's, and a unit that does not fit is refused") {
  const auto threshold = [](const std::string& goal_text, const std::string& metric_text, double& value) {
    Goal goal;
    REQUIRE(archsim::cli::parse_goal(goal_text, goal).empty());
    return archsim::cli::threshold_in_unit(goal, resolved(metric_text), value);
  };
  double value = 0;
  CHECK(threshold("p99_ms<0.2s", "p99_ms", value).empty());
  CHECK(value == doctest::Approx(200));
  CHECK(threshold("p99_ms<500us", "p99_ms", value).empty());
  CHECK(value == doctest::Approx(0.5));
  CHECK(threshold("measured_s>500ms", "measured_s", value).empty());
  CHECK(value == doctest::Approx(0.5));
  CHECK(threshold("u<80%", "components.db-primary.utilization", value).empty());
  CHECK(value == doctest::Approx(0.8));
  CHECK(threshold("t>100qps", "throughput_qps", value).empty());
  CHECK(value == 100);
  CHECK(contains(threshold("p99_ms<2kg", "p99_ms", value), "\"kg\" is not a time"));
  CHECK(contains(threshold("u<8ms", "components.db-primary.utilization", value), "a fraction from 0 to 1"));
  CHECK(contains(threshold("c<8%", "latency_ms.count", value), "which has no unit"));
}

std::string small_file(const TempDir& dir) { return dir.write("small.json", small_scenario().dump()); }

TEST_CASE("run --check lists each goal and exits 4 when one fails") {
  TempDir dir("goals-run");
  const std::string file = small_file(dir);
  const auto o = run({"run", file, "--check", "p99_ms<10s", "--check", "components.db-primary.utilization>0.99",
                      "--check", "operations.read.throughput_qps>=1", "--check", "error_ratio<=1%"});
  CHECK(o.code == archsim::cli::kExitGoalsFailed);
  CHECK(o.code == 4);
  CHECK(contains(o.out, "goals: 3 of 4 met\n"));
  CHECK(contains(o.out, "  FAIL  components.db-primary.utilization>0.99: components.db-primary.utilization 0."));
  CHECK(contains(o.out, ", not > 0.99\n"));
  CHECK(contains(o.out, "  pass  p99_ms<10s: summary.latency_ms.p99 "));
  CHECK(contains(o.out, "  pass  operations.read.throughput_qps>=1: operations.read.throughput_qps "));
  CHECK(contains(o.out, "  pass  error_ratio<=1%: summary.error_ratio 0\n"));
  // Failed goals come first.
  CHECK(o.out.find("FAIL") < o.out.find("pass"));
}

TEST_CASE("run --check exits 0 when every goal is met, and writes its lines to stderr beside --json -") {
  TempDir dir("goals-pass");
  const std::string file = small_file(dir);
  const auto o = run({"run", file, "--check", "p99_ms<10000", "--json", "-"});
  CHECK(o.code == 0);
  CHECK(contains(o.err, "goals: 1 of 1 met\n"));
  CHECK_FALSE(Json::parse(o.out, nullptr, false).is_discarded());
}

TEST_CASE("run --check refuses a goal that does not parse before anything runs") {
  TempDir dir("goals-bad");
  const std::string file = small_file(dir);
  const auto o = run({"run", file, "--check", "p99_ms=200"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "archsim run: --check \"p99_ms=200\": \"=\" is not a comparison"));
  CHECK_FALSE(contains(o.err, "events in"));
}

TEST_CASE("run --check refuses a goal on an unknown metric with a did-you-mean") {
  TempDir dir("goals-unknown");
  const std::string file = small_file(dir);
  auto o = run({"run", file, "--quiet", "--check", "p99_mss<200"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "archsim run: --check \"p99_mss<200\": no figure \"p99_mss\" in the results; did you mean "
                        "\"p99_ms\"?"));
  o = run({"run", file, "--quiet", "--check", "components.db.utilization<0.5"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "no figure \"db\" in components"));
  o = run({"run", file, "--quiet", "--check", "p99_ms<2kg"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "\"kg\" is not a time"));
}

}  // namespace
