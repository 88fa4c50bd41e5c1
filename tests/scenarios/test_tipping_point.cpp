// Near the tipping point of a metastable failure, whether the system
// collapses depends on the seed: the same slow period tips some runs into
// an overload that outlives it and leaves others to recover. Well below the
// tipping point no seed collapses, well above it every seed does.
// scenarios/metastable-tipping-point.json measures from 40 s to 60 s, 19 s
// after the slow period, so its goodput is the state the run ended in.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/scenarios/scenario_runs.h"

namespace {

using namespace archsim::test_scenarios;

// How many of the seeds 1..seeds collapse when the slow period lasts
// `slow_s` seconds. A run has collapsed when the web tier's goodput over the
// measured window is below half the 600 requests/s offered (the definition
// docs/scenarios.md uses). A recovered run serves about 600/s there, a
// collapsed one next to nothing (its database's queue is at its bound, 6 s
// of waiting against a timeout of 100 ms), so the threshold of 300/s is far
// from both: of the 320 runs of the sweep in docs/scenarios.md (seeds 1 to
// 20, 0.1 s to 1.6 s of slowness) none ended between 100/s and 500/s.
int collapsed(double slow_s, int seeds) {
  std::string until = "faults.timeline[0].until_s=";
  until.append(std::to_string(20 + slow_s));
  const std::vector<std::string> overrides = {until};
  const auto scenario = load(source_dir() / "scenarios" / "metastable-tipping-point.json", overrides);
  int count = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    const Json r = run(scenario, static_cast<std::uint64_t>(seed), 60.0);
    if (r["components"]["web"]["goodput_qps"].get<double>() < 300) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("metastable-tipping-point: a short slow period tips no seed, a long one every seed") {
  // In the sweep of docs/scenarios.md the first seed of 1 to 20 collapses
  // at 0.3 s and the last at 1.3 s. 0.1 s is a third of the first: the
  // database falls 7 requests behind (0.1 s of 600/s against 533/s), a
  // queue it drains in a few tens of milliseconds once fast again. 2 s is
  // half as long again as the last: a backlog of 130 requests before any
  // retry (2 s of 600/s against 533/s), 170 ms of waiting at 800/s, past
  // the timeout of 100 ms for every call.
  CHECK(collapsed(0.1, 10) == 0);
  CHECK(collapsed(2, 10) == 10);
}
