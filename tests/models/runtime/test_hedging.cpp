// tests/models/runtime/test_hedging.cpp: hedged calls (hedge_policy.h),
// exact on timelines with constant times, and the hedged latency's mean
// against its closed form for exponential attempts.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "tests/models/model_helpers.h"

using archsim::spec::Json;
using archsim::test_models::count;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// One request at 0.5 s from web to a backend of two replicas of one worker
// (50 ms a request), hedged after 10 ms; `faults` slows replica 0 down.
std::string one_call(const std::string& faults) {
  return std::string(R"({
    "duration_s": 0.9,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 2 } }],
    "components": [
      { "type": "service", "name": "web", "workers": 10,
        "handlers": { "request": [ { "call": "backend", "hedge": { "delay_ms": 10 } } ] } },
      { "type": "service", "name": "backend", "replicas": 2,
        "service_time": { "type": "constant", "value_ms": 50 } }
    ])") + faults + "}";
}

}  // namespace

TEST_CASE("a hedge to the next replica answers first when the first attempt's replica is slow") {
  // The first attempt goes to replica 0 at 500 ms, six times slower (300
  // ms: it ends at 800); the hedge goes at 510 to replica 1 and answers at
  // 560. The client waits 60 ms; replica 0's work is for nobody.
  const auto r = run_scenario(one_call(R"(, "faults": { "timeline": [
      { "at_s": 0, "action": "slow_down", "target": "backend[0]", "factor": 6 } ] })"));
  CHECK(count(r["summary"]["completed"]) == 1);
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == doctest::Approx(60));
  const Json& h = r["components"]["web"]["hedges"]["backend"];
  CHECK(count(h["calls"]) == 1);
  CHECK(count(h["hedges"]) == 1);
  CHECK(count(h["won_by_hedge"]) == 1);
  CHECK(count(h["losers"]) == 1);
  CHECK(number(h["delay_ms"]) == doctest::Approx(10));
  const Json& backend = r["components"]["backend"];
  CHECK(count(backend["arrivals"]) == 2);
  CHECK(count(backend["orphaned"]) == 1);
  // The loser held a worker 300 ms of the 2 × 900 ms of worker time.
  CHECK(number(backend["wasted_utilization"]) == doctest::Approx(300.0 / 1800));
  CHECK(count(r["components"]["web"]["late_replies"]) == 1);
}

TEST_CASE("with equal replicas the first attempt answers and the hedge is the loser") {
  const auto r = run_scenario(one_call(""));
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == doctest::Approx(50));
  const Json& h = r["components"]["web"]["hedges"]["backend"];
  CHECK(count(h["hedges"]) == 1);
  CHECK(count(h["won_by_hedge"]) == 0);
  CHECK(count(h["losers"]) == 1);
  CHECK(count(r["components"]["backend"]["orphaned"]) == 1);
}

TEST_CASE("a call answered before the delay sends no hedge") {
  const auto r = run_scenario(R"({
    "duration_s": 0.9,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 2 } }],
    "components": [
      { "type": "service", "name": "web",
        "handlers": { "request": [ { "call": "backend", "hedge": { "delay_ms": 60, "max_attempts": 4 } } ] } },
      { "type": "service", "name": "backend", "service_time": { "type": "constant", "value_ms": 50 } }
    ]
  })");
  const Json& h = r["components"]["web"]["hedges"]["backend"];
  CHECK(count(h["calls"]) == 1);
  CHECK(count(h["hedges"]) == 0);
  CHECK(count(r["components"]["backend"]["arrivals"]) == 1);
}

TEST_CASE("max_attempts: a hedge after each delay until one answers") {
  // Backend: 4 replicas; the first three are 10 times slower (500 ms). The
  // call at 500 ms goes to replica 0, hedges at 510, 520, 530 to replicas
  // 1, 2, 3; replica 3 answers at 580.
  const auto r = run_scenario(R"({
    "duration_s": 1.2,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 2 } }],
    "components": [
      { "type": "service", "name": "web",
        "handlers": { "request": [ { "call": "backend", "hedge": { "delay_ms": 10, "max_attempts": 4 } } ] } },
      { "type": "service", "name": "backend", "replicas": 4, "service_time": { "type": "constant", "value_ms": 50 } }
    ],
    "faults": { "timeline": [
      { "at_s": 0, "action": "slow_down", "target": "backend[0]", "factor": 10 },
      { "at_s": 0, "action": "slow_down", "target": "backend[1]", "factor": 10 },
      { "at_s": 0, "action": "slow_down", "target": "backend[2]", "factor": 10 } ] }
  })");
  // Two requests: at 0.5 s as above, and at 1.0 s to replica 0 again
  // (round robin moved on by 4), hedged to 1, 2, 3 likewise: 80 ms.
  CHECK(count(r["summary"]["completed"]) == 2);
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == doctest::Approx(80));
  const Json& h = r["components"]["web"]["hedges"]["backend"];
  CHECK(count(h["hedges"]) == 6);
  CHECK(count(h["won_by_hedge"]) == 2);
  CHECK(count(h["losers"]) == 6);
}

TEST_CASE("the budget: a token bucket earning max_fraction per call, a hedge taking one") {
  // Eight calls, 100 ms apart, each answered after 50 ms, hedged after 10:
  // the bucket holds 1 and starts full; each call earns 0.25 (capped at 1)
  // before its hedge is due. Call 1 hedges (1 → 0), calls 2 to 4 find
  // 0.25, 0.5, 0.75 (denied), call 5 finds 1 and hedges, 6 to 8 denied.
  const auto r = run_scenario(R"({
    "duration_s": 0.85,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 10 } }],
    "components": [
      { "type": "service", "name": "web",
        "handlers": { "request": [ { "call": "backend",
          "hedge": { "delay_ms": 10, "max_fraction": 0.25, "burst": 1 } } ] } },
      { "type": "service", "name": "backend", "workers": 4, "service_time": { "type": "constant", "value_ms": 50 } }
    ]
  })");
  const Json& h = r["components"]["web"]["hedges"]["backend"];
  CHECK(count(h["calls"]) == 8);
  CHECK(count(h["hedges"]) == 2);
  CHECK(count(h["denied_by_budget"]) == 6);
  CHECK(number(h["hedge_rate"]) == doctest::Approx(0.25));
}

TEST_CASE("at_percentile: the delay becomes that percentile of the last window successful attempts") {
  // Ten calls, to two replicas in turn: replica 1 is twice as slow (20 and
  // 40 ms). The first delay (1 s) never fires. After the tenth, the window
  // holds five of each: the nearest-rank 50th percentile is 20 ms, the
  // 90th 40 ms.
  const auto run = [](double p) {
    return run_scenario(R"({
      "duration_s": 1.05,
      "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 10 } }],
      "components": [
        { "type": "service", "name": "web",
          "handlers": { "request": [ { "call": "backend",
            "hedge": { "delay_ms": 1000, "at_percentile": )" + std::to_string(p) + R"(, "window": 10 } } ] } },
        { "type": "service", "name": "backend", "replicas": 2, "service_time": { "type": "constant", "value_ms": 20 } }
      ],
      "faults": { "timeline": [ { "at_s": 0, "action": "slow_down", "target": "backend[1]", "factor": 2 } ] }
    })");
  };
  const auto p50 = run(50);
  CHECK(count(p50["components"]["web"]["hedges"]["backend"]["calls"]) == 10);
  CHECK(count(p50["components"]["web"]["hedges"]["backend"]["hedges"]) == 0);
  CHECK(number(p50["components"]["web"]["hedges"]["backend"]["delay_ms"]) == doctest::Approx(20));
  CHECK(number(run(90)["components"]["web"]["hedges"]["backend"]["delay_ms"]) == doctest::Approx(40));
}

TEST_CASE("a failed attempt ends the call only when no other is out") {
  // Replica 0 is crashed: the first attempt, at 500 ms, is refused at once
  // and nothing else is out, so the call fails with crashed; no hedge.
  const auto crashed = run_scenario(one_call(R"(, "faults": { "timeline": [
      { "at_s": 0, "action": "crash", "target": "backend[0]" } ] })"));
  CHECK(count(crashed["summary"]["failed"]["crashed"]) == 1);
  CHECK(count(crashed["components"]["web"]["hedges"]["backend"]["hedges"]) == 0);
  // Replica 0 crashes at 520 ms, while holding the first attempt: the
  // hedge (sent at 510 to replica 1) is out, so the call waits for it and
  // succeeds at 560.
  const auto later = run_scenario(one_call(R"(, "faults": { "timeline": [
      { "at_s": 0.52, "action": "crash", "target": "backend[0]" } ] })"));
  CHECK(count(later["summary"]["completed"]) == 1);
  CHECK(number(later["summary"]["latency_ms"]["mean"]) == doctest::Approx(60));
  CHECK(count(later["components"]["web"]["hedges"]["backend"]["won_by_hedge"]) == 1);
  CHECK(count(later["components"]["web"]["hedges"]["backend"]["losers"]) == 0);
}

TEST_CASE("the hedged latency of exponential attempts matches E[min(X1, d + X2)]") {
  // Attempts take an exponential time of mean 1/mu = 10 ms, independent,
  // on a backend with workers to spare (no queueing); the hedge goes after
  // d = 10 ms, the budget never refuses. T = X1 when X1 < d, else
  // min(X1, d + X2):
  //   E[T]   = (1 - e^{-mu d}) / mu + e^{-mu d} / (2 mu)
  //   E[T^2] = 2 / mu^2 - e^{-mu d} (d / mu + 3 / (2 mu^2))
  // and the share of calls hedged is P(X1 > d) = e^{-mu d}.
  const auto r = run_scenario(R"({
    "duration_s": 20, "seed": 3,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "poisson", "rate_qps": 1000 } }],
    "components": [
      { "type": "service", "name": "web", "workers": 10000,
        "handlers": { "request": [ { "call": "backend",
          "hedge": { "delay_ms": 10, "max_fraction": 3, "burst": 1000000 } } ] } },
      { "type": "service", "name": "backend", "workers": 10000, "service_time": { "type": "exponential", "mean_ms": 10 } }
    ]
  })");
  const double mu = 0.1, d = 10;
  const double e = std::exp(-mu * d);
  const double mean = (1 - e) / mu + e / (2 * mu);
  const double second = 2 / (mu * mu) - e * (d / mu + 3 / (2 * mu * mu));
  const double n = static_cast<double>(count(r["summary"]["completed"]));
  const double se = std::sqrt((second - mean * mean) / n);
  CAPTURE(mean);
  CAPTURE(se);
  CHECK(std::abs(number(r["summary"]["latency_ms"]["mean"]) - mean) < 4 * se);
  const Json& h = r["components"]["web"]["hedges"]["backend"];
  const double calls = static_cast<double>(count(h["calls"]));
  const double rate = number(h["hedge_rate"]);
  CAPTURE(rate);
  CHECK(std::abs(rate - e) < 4 * std::sqrt(e * (1 - e) / calls));
  CHECK(count(h["denied_by_budget"]) == 0);
}

TEST_CASE("hedges are deterministic") {
  const std::string text = R"({
    "duration_s": 5,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "poisson", "rate_qps": 500 } }],
    "components": [
      { "type": "service", "name": "web", "workers": 100,
        "handlers": { "request": [ { "call": "backend", "hedge": { "at_percentile": 95, "window": 100 } } ] } },
      { "type": "service", "name": "backend", "replicas": 4, "workers": 4,
        "service_time": { "type": "lognormal", "mean_ms": 5, "p99_ms": 40 } }
    ]
  })";
  CHECK(run_scenario(text).dump() == run_scenario(text).dump());
}
