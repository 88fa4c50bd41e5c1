// Confidence intervals of replications against theory: the M/M/1 queue's
// mean time in system is 1 / (mu - lambda) = 5 ms at lambda 800/s and mu
// 1000/s. Each 95 % interval of 30 short replications should hold it with
// probability about 0.95 (the runs are independent, each run's mean over
// 4,000 requests is close to normal, and the warm-up removes the empty
// start, leaving a bias of order 1/n, far below the interval's width).
//
// One interval holding 5 ms proves little; 20 intervals from 20 base seeds
// are 20 independent trials, so the number that hold it is Binomial(20,
// 0.95) if the intervals are right: P(at most 14) = 0.0026. Intervals too
// narrow (replications that share randomness, a normal quantile in place of
// Student's, a variance divided by n instead of n - 1 would all do it at
// R = 30 only a little; shared seeds a lot) make fewer hold it; intervals
// that are too wide are caught by the second check, that their mean
// half-width is within a factor of 2 of the spread of the 20 means.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;

TEST_CASE("95 % intervals of M/M/1 replications hold the theory's mean time in system") {
  const std::string file = (source_dir() / "scenarios" / "mm1.json").string();
  const double theory_ms = 1.0 / (1000.0 - 800.0) * 1000.0;
  constexpr int kGroups = 20;
  int holding = 0;
  double half_widths = 0;
  std::vector<double> means;
  for (int group = 1; group <= kGroups; ++group) {
    const auto o = run({"run", file, "--seed", std::to_string(group), "--duration", "6s", "--set", "warmup_s=1",
                        "--replications", "30", "--json", "-"});
    REQUIRE(o.code == 0);
    const Json r = Json::parse(o.out);
    const double mean = r["mean"]["summary"]["latency_ms"]["mean"].get<double>();
    const double half = r["ci95"]["summary"]["latency_ms"]["mean"].get<double>();
    CAPTURE(group);
    CAPTURE(mean);
    CAPTURE(half);
    holding += std::fabs(mean - theory_ms) <= half ? 1 : 0;
    half_widths += half;
    means.push_back(mean);
  }
  CHECK(holding >= 15);
  // The spread of the group means is the standard error of one group's mean;
  // a 95 % half-width is about 2.05 of those.
  double sum = 0, squares = 0;
  for (double m : means) sum += m;
  const double grand = sum / kGroups;
  for (double m : means) squares += (m - grand) * (m - grand);
  const double standard_error = std::sqrt(squares / (kGroups - 1));
  const double mean_half = half_widths / kGroups;
  CAPTURE(standard_error);
  CAPTURE(mean_half);
  CHECK(mean_half > 2.0452 * standard_error / 2);
  CHECK(mean_half < 2.0452 * standard_error * 2);
}

}  // namespace
