// The bandwidth scenario does what its description says, run for its whole
// duration: the cards of the smaller tier, not its workers, limit it, and
// twice the cards take the wait away.
#include <doctest/doctest.h>

#include "tests/scenarios/scenario_runs.h"

namespace {
using namespace archsim::test_scenarios;
double number(const Json& v) { return v.get<double>(); }
}  // namespace

TEST_CASE("network-bound-media: the cards are the bottleneck of four replicas, and eight take the wait away") {
  const Json r = full_run("network-bound-media");
  const Json& four = r["components"]["media-4"];
  const Json& eight = r["components"]["media-8"];
  // 1,800 replies/s of 250 kB on average: 450 MB/s, over 4 cards of 125 MB/s
  // each (0.9) or 8 (0.45). The mean is that of 1,800 × 50 s lognormal
  // sizes of cv 1.5: its relative standard error is 1.5 / sqrt(90,000) =
  // 0.5 %, so 3 % is six of them.
  CHECK(number(four["network_out_utilization"]) == doctest::Approx(0.9).epsilon(0.03));
  CHECK(number(eight["network_out_utilization"]) == doctest::Approx(0.45).epsilon(0.03));
  // The workers: 1,800/s × 2 ms over 32 or 64 workers.
  CHECK(number(four["utilization"]) == doctest::Approx(0.1125).epsilon(0.03));
  CHECK(r["bottleneck"]["component"] == "media-4");
  CHECK(r["bottleneck"]["resource"] == "network_out");
  // Waiting for a card: M/G/1-like at 0.9 against 0.45, ten times longer.
  const double wait4 = number(four["network_card"]["out"]["wait_ms_mean"]);
  const double wait8 = number(eight["network_card"]["out"]["wait_ms_mean"]);
  CAPTURE(wait4);
  CAPTURE(wait8);
  CHECK(wait4 > 8 * wait8);
  // The clients see it through the load balancers; the service's own
  // latency (admission to leaving) does not hold the card's wait.
  CHECK(number(r["components"]["lb-4"]["latency_ms"]["mean"]) > 3 * number(r["components"]["lb-8"]["latency_ms"]["mean"]));
  CHECK(number(four["latency_ms"]["mean"]) == doctest::Approx(number(eight["latency_ms"]["mean"])).epsilon(0.05));
}
