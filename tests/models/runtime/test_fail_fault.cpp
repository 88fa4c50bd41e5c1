// tests/models/runtime/test_fail_fault.cpp: the fault timeline's fail: a
// component, or one replica, fails a fraction of the requests reaching it
// at once (error), each drawn apart from a stream of its own.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

std::string failing(const std::string& target, double fraction) {
  std::string text = R"({
    "duration_s": 30, "seed": 7,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "poisson", "rate_qps": 2000 } }],
    "components": [
      { "type": "service", "name": "web", "replicas": 2, "workers": 8,
        "service_time": { "type": "exponential", "mean_ms": 1 } }
    ],
    "faults": { "timeline": [ { "at_s": 10, "until_s": 20, "action": "fail", "target": ")";
  text += target;
  text += R"(", "fraction": )";
  text += std::to_string(fraction);
  text += " } ] } }";
  return text;
}

}  // namespace

TEST_CASE("fail fails its fraction of the requests while in force, within the binomial noise, and none outside") {
  const double p = 0.3;
  const auto r = run_scenario(failing("web", p));
  const auto& fault = r["faults"]["timeline"][0];
  const double n = number(fault["offered"]);
  const double k = number(fault["failed"]["error"]);
  // k is binomial(n, p): its standard deviation is sqrt(n p (1 - p)), about
  // 65 for n = 20,000; 4 of them leave a chance of 6e-5 that a correct
  // model fails here (for this seed it either does or not, every time).
  const double sd = std::sqrt(n * p * (1 - p));
  CHECK(n > 19000);
  CHECK(std::abs(k - n * p) <= 4 * sd);
  // Only while in force: every error of the run is in the fault's window.
  CHECK(number(r["summary"]["failed"]["error"]) == k);
  // A failed request took no worker: it was turned away at once.
  CHECK(count(r["components"]["web"]["rejected"]) == static_cast<std::uint64_t>(k));
  CHECK(number(r["summary"]["latency_ms"]["max"]) < 100);
}

TEST_CASE("fail aimed at one replica fails only the requests reaching it") {
  // Round robin over two replicas: half the requests reach web[1], and of
  // those a fraction of 0.5 fail: a quarter of all, binomial(n/2, 0.5).
  const auto r = run_scenario(failing("web[1]", 0.5));
  const auto& fault = r["faults"]["timeline"][0];
  const double half = std::floor(number(fault["offered"]) / 2);
  const double k = number(fault["failed"]["error"]);
  CHECK(std::abs(k - half * 0.5) <= 4 * std::sqrt(half * 0.25));
}

TEST_CASE("fail with fraction 1 fails every request while in force") {
  const auto all = run_scenario(failing("web", 1));
  const auto& fault = all["faults"]["timeline"][0];
  CHECK(number(fault["failed"]["error"]) == number(fault["offered"]));
  CHECK(count(all["summary"]["failed"]["total"]) == count(fault["failed"]["total"]));
}
