// tests/models/simulation/test_simulation.cpp: the run as a whole: the warm-up window,
// the time series, the limits that stop a run, and the invariants checked at
// every interval.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "models/simulation/series.h"
#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

TEST_CASE("samples before warmup_s are left out of the summary; the time series covers the whole run") {
  // Arrivals A_k = 10k ms, one worker, service 15 ms: request k leaves at
  // D_k = 10 + 15k after 5k + 10 ms (see the queue test in test_service.cpp).
  // Window [500 ms, 1000 ms): arrivals 500..990 (50); departures D_k >= 500
  // for k = 33 (505 ms) .. 65 (985 ms): 33, latencies 175..335 (mean 255;
  // the whole run's mean would be 175).
  const auto r = run_scenario(R"({
    "duration_s": 1, "warmup_s": 0.5, "report_interval_s": 0.1,
    "workloads": [{ "name": "clients", "target": "server", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [{ "type": "service", "name": "server", "service_time": { "type": "constant", "value_ms": 15 } }]
  })");
  CHECK(number(r["measured_s"]) == doctest::Approx(0.5));
  const auto& s = r["summary"];
  CHECK(count(s["offered"]) == 50);
  CHECK(count(s["completed"]) == 33);
  CHECK(count(s["latency_ms"]["count"]) == 33);
  CHECK(number(s["latency_ms"]["mean"]) == ms(255));
  CHECK(number(s["latency_ms"]["max"]) == ms(335));
  CHECK(number(s["throughput_qps"]) == doctest::Approx(66));
  const auto& c = r["components"]["server"];
  CHECK(count(c["arrivals"]) == 50);
  CHECK(count(c["completed"]) == 33);
  CHECK(number(c["latency_ms"]["mean"]) == ms(255));
  CHECK(number(c["latency_ms"]["max"]) == ms(335));
  CHECK(count(c["latency_ms"]["count"]) == 33);

  // Ten intervals of 100 ms; the first five lie in the warm-up (the one
  // ending at 500 ms included), the last five are measured.
  const auto column = [&](const char* name) { return archsim::models::series_column(r, name); };
  const auto t_s = column("t_s"), measured = column("measured"), offered_series = column("offered");
  REQUIRE(t_s.size() == 10);
  for (std::size_t i = 0; i < 10; ++i) {
    CAPTURE(i);
    CHECK(number(t_s[i]) == doctest::Approx(0.1 * static_cast<double>(i + 1)));
    CHECK(measured[i].get<bool>() == (i >= 5));
  }
  // The series counts the whole run: 99 offered (9 in the first interval,
  // then 10 in each) and 65 completed.
  std::uint64_t offered = 0, completed = 0;
  for (const auto& v : offered_series) offered += count(v);
  for (const auto& v : column("completed")) completed += count(v);
  CHECK(count(offered_series[0]) == 9);
  CHECK(offered == 99);
  CHECK(completed == 65);
  CHECK(column("components.server.completed").size() == 10);
}

TEST_CASE("a run exceeding limits.max_in_flight stops early and says so") {
  // Arrivals every 1 ms, service 10 ms, one worker: request k is sent at
  // k ms and its reply comes at 1 + 10k ms. When request k is sent, those
  // with 1 + 10j < k have been answered, so k - floor((k - 2) / 10) are in
  // flight: 50 at k = 55, 51 at k = 56, which stops the run at 56 ms.
  const auto r = run_scenario(R"({
    "duration_s": 10,
    "limits": { "max_in_flight": 50 },
    "workloads": [{ "name": "clients", "target": "server", "arrival": { "type": "constant", "rate_qps": 1000 } }],
    "components": [{ "type": "service", "name": "server", "service_time": { "type": "constant", "value_ms": 10 } }]
  })");
  const auto& run = r["run"];
  CHECK_FALSE(run["completed"].get<bool>());
  CHECK(run["stop_reason"] == "max_in_flight");
  CHECK(run["problem"].get<std::string>().find("limits.max_in_flight") != std::string::npos);
  CHECK(number(run["simulated_s"]) == doctest::Approx(0.056));
  CHECK(count(run["peak_requests_in_flight"]) == 51);
  CHECK(count(r["summary"]["offered"]) == 56);
  CHECK(count(r["summary"]["completed"]) == 5);
}

TEST_CASE("a run exceeding limits.max_events stops early and says so") {
  const auto r = run_scenario(R"({
    "duration_s": 10,
    "limits": { "max_events": 100 },
    "workloads": [{ "name": "clients", "target": "server", "arrival": { "type": "constant", "rate_qps": 1000 } }],
    "components": [{ "type": "service", "name": "server", "service_time": { "type": "constant", "value_ms": 0.5 } }]
  })");
  const auto& run = r["run"];
  CHECK_FALSE(run["completed"].get<bool>());
  CHECK(run["stop_reason"] == "max_events");
  CHECK(run["problem"].get<std::string>().find("limits.max_events") != std::string::npos);
  CHECK(count(run["events"]) == 100);
  CHECK(number(run["simulated_s"]) < 10);
}

TEST_CASE("a run within its limits completes") {
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "server", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [{ "type": "service", "name": "server", "service_time": { "type": "constant", "value_ms": 1 } }]
  })");
  CHECK(r["run"]["completed"].get<bool>());
  CHECK(r["run"]["problem"] == "");
  CHECK(number(r["run"]["simulated_s"]) == doctest::Approx(1));
}

TEST_CASE("invariants hold through rejections, timeouts, fan-out and forwarding") {
  // Not a timeline checked by hand: a busy mix that exercises every path
  // (queue full at two levels, timeouts with late replies, parallel calls,
  // forward, a load balancer), with the invariants, which are assertions in
  // the models, checked at every 10 ms interval. What can be checked from
  // outside: every request the clients sent is accounted for.
  const auto r = run_scenario(R"({
    "duration_s": 3,
    "report_interval_s": 0.01,
    "network": { "hop_latency": { "type": "exponential", "mean_ms": 0.2 } },
    "workloads": [
      { "name": "clients", "target": "lb", "timeout_ms": 30,
        "arrival": { "type": "poisson", "rate_qps": 900 },
        "operations": [{ "name": "page", "weight": 3 }, { "name": "api", "weight": 1 }] },
      { "name": "users", "target": "lb", "timeout_ms": 40,
        "arrival": { "type": "closed", "users": 50, "think_time": { "type": "exponential", "mean_ms": 20 } } }
    ],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "web", "policy": "least_connections" },
      { "type": "service", "name": "web", "replicas": 3, "workers": 4, "queue_capacity": 5,
        "handlers": {
          "page": [{ "compute": { "type": "exponential", "mean_ms": 1 } },
                   { "parallel": [{ "call": "db" }, { "call": "cache" }] },
                   { "compute": { "type": "exponential", "mean_ms": 1 } }],
          "api": [{ "forward": "api-server" }],
          "request": [{ "call": "db" }] } },
      { "type": "service", "name": "db", "workers": 6, "queue_capacity": 3,
        "service_time": { "type": "exponential", "mean_ms": 6 } },
      { "type": "service", "name": "cache", "workers": 2, "queue_capacity": 2,
        "service_time": { "type": "exponential", "mean_ms": 0.5 } },
      { "type": "service", "name": "api-server", "workers": 2, "queue_capacity": 1,
        "service_time": { "type": "exponential", "mean_ms": 4 } }
    ]
  })");
  CHECK(r["run"]["completed"].get<bool>());
  const auto& s = r["summary"];
  // Something of every kind happened.
  CHECK(count(s["completed"]) > 0);
  CHECK(count(s["failed"]["timeout"]) > 0);
  CHECK(count(s["failed"]["queue_full"]) > 0);
  CHECK(count(r["components"]["db"]["rejected"]) > 0);
  CHECK(count(r["components"]["web"]["rejected"]) > 0);
  // Every request sent has ended, or is still out (held by a component or on
  // its way back to a client that is still waiting).
  const auto ended = count(s["completed"]) + count(s["failed"]["total"]);
  CHECK(ended <= count(s["offered"]));
  CHECK(count(s["offered"]) - ended <= count(r["run"]["requests_in_flight_at_end"]));
  for (const char* w : {"clients", "users"})
    CHECK(count(r["workloads"][w]["offered"]) >= count(r["workloads"][w]["completed"]));
  // A component's arrivals are rejected, completed, or still inside.
  for (const std::string c : {"lb", "web", "db", "cache", "api-server"}) {
    CAPTURE(c);
    const auto& j = r["components"][c];
    CHECK(count(j["arrivals"]) >= count(j["rejected"]) + count(j["completed"]));
  }
}

TEST_CASE("a run says where it is, for a failed check: the simulated time, between events or in one") {
  CHECK(archsim::models::Simulation::where_running().empty());  // no run under way
  archsim::spec::Errors errors;
  auto scenario = archsim::models::load_scenario(R"({
    "duration_s": 10,
    "workloads": [{ "name": "clients", "target": "server", "arrival": { "type": "constant", "rate_qps": 1000000 } }],
    "components": [{ "type": "service", "name": "server", "workers": 2,
                     "service_time": { "type": "constant", "value_ms": 0.001 } }]
  })", {}, errors);
  REQUIRE(scenario);
  archsim::models::Simulation simulation(*scenario, {});
  std::string seen;
  simulation.run([&](archsim::sim::Time, archsim::sim::Time) {
    seen = archsim::models::Simulation::where_running();
    return false;  // one slice is enough
  });
  // The first slice of 2^20 events ends between events, somewhere in the
  // first second.
  CHECK(seen.rfind("at simulated time 0.", 0) == 0);
  CHECK(seen.find(" s, between events") != std::string::npos);
  CHECK(archsim::models::Simulation::where_running().empty());
}
