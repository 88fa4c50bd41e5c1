// tests/models/types/traffic/test_workload.cpp: arrival processes, the operation mix,
// timeouts and closed loops, checked by hand. Where arrivals are random, the
// count is checked against its mean within a stated number of standard
// deviations (Poisson: the variance is the mean) for the fixed default seed.
#include <doctest/doctest.h>

#include "models/simulation/series.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::Json;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// A client with the given arrival object (and other workload keys) sending to
// a service of 1000 workers that serves each request in 0.1 ms.
std::string clients(const std::string& timing, const std::string& workload_keys) {
  return "{" + timing + R"(
    "workloads": [{ "name": "clients", "target": "server", )" +
         workload_keys + R"( }],
    "components": [{ "type": "service", "name": "server", "workers": 1000,
                     "service_time": { "type": "constant", "value_ms": 0.1 } }]
  })";
}

std::vector<std::uint64_t> offered_by_interval(const Json& r) {
  std::vector<std::uint64_t> n;
  for (const auto& v : archsim::models::series_column(r, "offered")) n.push_back(count(v));
  return n;
}

// |observed - mean| <= k standard deviations of a Poisson count.
bool within_poisson(std::uint64_t observed, double mean, double k) {
  return std::fabs(static_cast<double>(observed) - mean) <= k * std::sqrt(mean);
}

}  // namespace

TEST_CASE("constant arrivals give exactly rate x time requests") {
  // 100 qps: one request every 10 ms, the first at 10 ms. In 2 s with 1 s of
  // warm-up the measured window [1 s, 2 s) holds 1.00, 1.01, ..., 1.99 s:
  // exactly 100. Over the whole run the series shows 99 in [0, 1 s) (10 ms
  // to 990 ms; the first comes one interval in) and 100 in [1 s, 2 s).
  const auto r = run_scenario(
      clients(R"("duration_s": 2, "warmup_s": 1,)", R"("arrival": { "type": "constant", "rate_qps": 100 })"));
  CHECK(count(r["summary"]["offered"]) == 100);
  CHECK(count(r["summary"]["completed"]) == 100);
  CHECK(number(r["summary"]["throughput_qps"]) == doctest::Approx(100));
  CHECK(offered_by_interval(r) == std::vector<std::uint64_t>{99, 100});
}

TEST_CASE("a Poisson workload's count is within a few standard deviations of rate x time") {
  // 1000 qps for 10 s: 10000 expected, standard deviation 100; allow 4. Each
  // 1 s interval: 1000 expected, standard deviation 31.6; allow 5.
  const auto r = run_scenario(clients(R"("duration_s": 10,)", R"("arrival": { "type": "poisson", "rate_qps": 1000 })"));
  CHECK(within_poisson(count(r["summary"]["offered"]), 10000, 4));
  const auto per_interval = offered_by_interval(r);
  REQUIRE(per_interval.size() == 10);
  for (auto n : per_interval) CHECK(within_poisson(n, 1000, 5));
  // Not constant arrivals in disguise: the counts differ between intervals.
  CHECK(per_interval[0] != per_interval[1]);
}

TEST_CASE("a step schedule holds each rate until the next point") {
  // 100 qps for 10 s, then 300 qps: per 5 s interval 500, 500, 1500, 1500
  // expected (standard deviations 22 and 39; allow 5). Linear interpolation
  // would give about 1250 in [5 s, 10 s) instead.
  const auto r = run_scenario(clients(R"("duration_s": 20, "report_interval_s": 5,)", R"(
      "arrival": { "type": "schedule", "interpolation": "step",
                   "points": [{ "at_s": 0, "rate_qps": 100 }, { "at_s": 10, "rate_qps": 300 }] })"));
  const auto n = offered_by_interval(r);
  REQUIRE(n.size() == 4);
  CHECK(within_poisson(n[0], 500, 5));
  CHECK(within_poisson(n[1], 500, 5));
  CHECK(within_poisson(n[2], 1500, 5));
  CHECK(within_poisson(n[3], 1500, 5));
}

TEST_CASE("a linear schedule ramps the rate between points") {
  // The rate rises from 0 to 2000 qps over 10 s: r(t) = 200 t, so the
  // expected count in [0, t] is 100 t^2 and per 2 s interval 400, 1200, 2000,
  // 2800, 3600 (allow 5 standard deviations each).
  const auto r = run_scenario(clients(R"("duration_s": 10, "report_interval_s": 2,)", R"(
      "arrival": { "type": "schedule", "interpolation": "linear",
                   "points": [{ "at_s": 0, "rate_qps": 0 }, { "at_s": 10, "rate_qps": 2000 }] })"));
  const auto n = offered_by_interval(r);
  REQUIRE(n.size() == 5);
  const double expected[] = {400, 1200, 2000, 2800, 3600};
  for (std::size_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(within_poisson(n[i], expected[i], 5));
  }
}

TEST_CASE("period_s repeats a schedule; without it the last rate holds") {
  // 1000 qps for 1 s, then 0. With a period of 2 s: on, off, on, off, ...;
  // the off seconds have no arrival at all. Without a period the rate stays 0.
  const std::string points = R"("points": [{ "at_s": 0, "rate_qps": 1000 }, { "at_s": 1, "rate_qps": 0 }])";
  SUBCASE("with a period") {
    const auto r = run_scenario(clients(R"("duration_s": 6,)", R"("arrival": { "type": "schedule", "period_s": 2, )" + points + "}"));
    const auto n = offered_by_interval(r);
    REQUIRE(n.size() == 6);
    for (std::size_t i = 0; i < 6; i += 2) {
      CAPTURE(i);
      CHECK(within_poisson(n[i], 1000, 5));
      CHECK(n[i + 1] == 0);
    }
  }
  SUBCASE("without") {
    const auto r = run_scenario(clients(R"("duration_s": 6,)", R"("arrival": { "type": "schedule", )" + points + "}"));
    const auto n = offered_by_interval(r);
    REQUIRE(n.size() == 6);
    CHECK(within_poisson(n[0], 1000, 5));
    CHECK(n == std::vector<std::uint64_t>{n[0], 0, 0, 0, 0, 0});
  }
}

TEST_CASE("the operation mix follows the weights") {
  // 3999 requests (1000 qps for 4 s), read:write = 3:1. The number of reads
  // is binomial: mean 2999.25, standard deviation 27.4; allow 5.
  const auto r = run_scenario(clients(R"("duration_s": 4,)", R"(
      "arrival": { "type": "constant", "rate_qps": 1000 },
      "operations": [{ "name": "read", "weight": 3 }, { "name": "write", "weight": 1 }])"));
  const auto reads = count(r["operations"]["read"]["offered"]);
  const auto writes = count(r["operations"]["write"]["offered"]);
  CHECK(reads + writes == 3999);
  CHECK(std::fabs(static_cast<double>(reads) - 2999.25) <= 5 * 27.4);
  CHECK(count(r["operations"]["read"]["completed"]) == reads);
  CHECK(count(r["workloads"]["clients"]["offered"]) == 3999);
}

TEST_CASE("a request slower than timeout_ms fails with timeout and its late reply is dropped") {
  // One request every 100 ms (9 in 1 s), a 50 ms service, a 20 ms timeout:
  // each request times out at 100k + 20 ms, well inside the run, and its
  // reply at 100k + 50 is dropped: 9 offered, 9 failed by timeout, nothing
  // completed, nothing counted twice. The service still did all the work.
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "report_interval_s": 0.1,
    "workloads": [{ "name": "clients", "target": "server", "timeout_ms": 20,
                    "arrival": { "type": "constant", "rate_qps": 10 } }],
    "components": [{ "type": "service", "name": "server", "service_time": { "type": "constant", "value_ms": 50 } }]
  })");
  const auto& s = r["summary"];
  CHECK(count(s["offered"]) == 9);
  CHECK(count(s["completed"]) == 0);
  CHECK(count(s["failed"]["timeout"]) == 9);
  CHECK(count(s["failed"]["total"]) == 9);
  CHECK(number(s["success_ratio"]) == 0);
  CHECK(count(s["latency_ms"]["count"]) == 0);
  CHECK(count(r["components"]["server"]["completed"]) == 9);
  CHECK(count(r["run"]["requests_in_flight_at_end"]) == 0);
  std::uint64_t failed = 0, completed = 0;
  for (const auto& v : archsim::models::series_column(r, "failed")) failed += count(v);
  for (const auto& v : archsim::models::series_column(r, "completed")) completed += count(v);
  CHECK(failed == 9);
  CHECK(completed == 0);
}

TEST_CASE("a reply arriving at the very instant of the timeout is in time") {
  // Service 20 ms, timeout 20 ms: the reply and the timer fall at the same
  // instant; arrivals are ordered before timers, so every request succeeds.
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "server", "timeout_ms": 20,
                    "arrival": { "type": "constant", "rate_qps": 10 } }],
    "components": [{ "type": "service", "name": "server", "service_time": { "type": "constant", "value_ms": 20 } }]
  })");
  CHECK(count(r["summary"]["completed"]) == 9);
  CHECK(count(r["summary"]["failed"]["total"]) == 0);
  CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(20));
}

TEST_CASE("a closed-loop user gives up at the timeout and moves on") {
  // One user, think 10 ms, service 50 ms, timeout 20 ms, 10 workers. The
  // user sends at 10 ms, gives up at 30, thinks until 40, sends again: a
  // cycle of 30 ms, not the 60 ms of waiting for each reply. Sends at
  // 10 + 30j < 1000: j = 0..32, 33 requests, all timed out (the last at
  // 990 ms). The server finishes those done by 10 + 30j + 50 < 1000: 32; the
  // last is still inside at the end, so one request is in flight. Two
  // requests overlap at the server (each lasts 50 ms, one starts every 30).
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "report_interval_s": 0.1,
    "workloads": [{ "name": "users", "target": "server", "timeout_ms": 20,
                    "arrival": { "type": "closed", "users": 1, "think_time": { "type": "constant", "value_ms": 10 } } }],
    "components": [{ "type": "service", "name": "server", "workers": 10,
                     "service_time": { "type": "constant", "value_ms": 50 } }]
  })");
  CHECK(count(r["summary"]["offered"]) == 33);
  CHECK(count(r["summary"]["failed"]["timeout"]) == 33);
  CHECK(count(r["summary"]["completed"]) == 0);
  CHECK(count(r["components"]["server"]["completed"]) == 32);
  CHECK(number(r["components"]["server"]["concurrency"]["max"]) == 2);
  CHECK(count(r["run"]["requests_in_flight_at_end"]) == 1);
}

TEST_CASE("a closed loop with constant think and service times runs an exact cycle") {
  // Four users, think 10 ms, service 5 ms. Measured window [100 ms, 1000 ms).
  SUBCASE("enough workers: throughput = users / (think + response)") {
    // Nobody waits: each user's cycle is 15 ms and its replies come at
    // 15 (j + 1) ms; those in the window are j + 1 = 7..66, 60 per user,
    // 240 in 0.9 s = 4 / 0.015 s = 266.7 qps. Every latency is 5 ms.
    const auto r = run_scenario(R"({
      "duration_s": 1, "warmup_s": 0.1,
      "workloads": [{ "name": "users", "target": "server",
                      "arrival": { "type": "closed", "users": 4, "think_time": { "type": "constant", "value_ms": 10 } } }],
      "components": [{ "type": "service", "name": "server", "workers": 4,
                       "service_time": { "type": "constant", "value_ms": 5 } }]
    })");
    CHECK(count(r["summary"]["completed"]) == 240);
    CHECK(number(r["summary"]["throughput_qps"]) == doctest::Approx(4 / 0.015));
    CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(5));
    CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(5));
  }
  SUBCASE("one worker: the server saturates and throughput = 1 / service") {
    // All four send at 10 ms and are served back to back: replies at 15, 20,
    // 25, 30. Each user is back 10 ms after its reply, when the three others
    // still hold 10 ms of work, so the worker never idles from 10 ms on:
    // replies every 5 ms, a cycle of 20 ms, and from the second round on
    // each request waits 5 ms and stays 10 ms. Replies in the window: 100,
    // 105, ..., 995 ms (the window opens before the departure at 100 ms):
    // 180 in 0.9 s = 200 qps.
    const auto r = run_scenario(R"({
      "duration_s": 1, "warmup_s": 0.1,
      "workloads": [{ "name": "users", "target": "server",
                      "arrival": { "type": "closed", "users": 4, "think_time": { "type": "constant", "value_ms": 10 } } }],
      "components": [{ "type": "service", "name": "server", "workers": 1,
                       "service_time": { "type": "constant", "value_ms": 5 } }]
    })");
    CHECK(count(r["summary"]["completed"]) == 180);
    CHECK(number(r["summary"]["throughput_qps"]) == doctest::Approx(200));
    CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(10));
    CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(10));
    CHECK(number(r["components"]["server"]["utilization"]) == doctest::Approx(1));
  }
}
