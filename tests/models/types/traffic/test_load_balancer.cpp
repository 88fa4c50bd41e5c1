// tests/models/types/traffic/test_load_balancer.cpp: the load balancer's policies on short
// timelines with constant times, checked by hand.
//
// Shares are read from sent_qps_by_replica (requests the load balancer sent
// to each replica) and from the backend's instances[].throughput_qps
// (requests each replica finished), both over the measured window.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sim/rng.h"
#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::count_from_rate;
using archsim::test_models::Json;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// Requests sent to each replica and finished by each replica in the window.
std::vector<std::int64_t> sent_by_replica(const Json& r) {
  std::vector<std::int64_t> n;
  for (const auto& qps : r["components"]["lb"]["sent_qps_by_replica"]) n.push_back(count_from_rate(r, qps));
  return n;
}
std::vector<std::int64_t> finished_by_replica(const Json& r) {
  std::vector<std::int64_t> n;
  for (const auto& i : r["components"]["backend"]["instances"]) n.push_back(count_from_rate(r, i["throughput_qps"]));
  return n;
}

// A client at `rate_qps` (constant) -> lb -> a backend of `replicas`
// replicas serving 1 ms. `lb_extra` goes into the load balancer's object.
std::string balanced(const std::string& timing, double rate_qps, int replicas, const std::string& lb_extra) {
  return "{" + timing + R"(
    "workloads": [{ "name": "clients", "target": "lb",
                    "arrival": { "type": "constant", "rate_qps": )" +
         std::to_string(rate_qps) + R"( } }],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "backend" )" +
         lb_extra + R"( },
      { "type": "service", "name": "backend", "replicas": )" +
         std::to_string(replicas) + R"(, "workers": 1,
        "service_time": { "type": "constant", "value_ms": 1 } }
    ]
  })";
}

// A measured window of exactly 1 s holding 100 arrivals (1.00 s to 1.99 s).
const std::string kOneSecondWindow = R"("duration_s": 2, "warmup_s": 1,)";

}  // namespace

TEST_CASE("round_robin gives every replica an equal share") {
  // 100 consecutive picks over 4 replicas: 25 each, whatever the starting
  // position left by the warm-up. Each request is done 1 ms after it is sent,
  // inside the window, so the replicas also finish 25 each.
  const auto r = run_scenario(balanced(kOneSecondWindow, 100, 4, R"(, "policy": "round_robin")"));
  CHECK(sent_by_replica(r) == std::vector<std::int64_t>{25, 25, 25, 25});
  CHECK(finished_by_replica(r) == std::vector<std::int64_t>{25, 25, 25, 25});
  CHECK(count(r["components"]["lb"]["completed"]) == 100);
  CHECK(r["components"]["lb"]["utilization"].is_null());  // no workers
}

TEST_CASE("weighted_round_robin with weights [3, 1] gives 3:1 shares in the smooth order 0, 0, 1, 0") {
  SUBCASE("shares") {
    // The picks repeat with period 4 (three to replica 0, one to replica 1),
    // so any 100 consecutive picks give 75 and 25.
    const auto r = run_scenario(balanced(kOneSecondWindow, 100, 2, R"(, "policy": "weighted_round_robin", "weights": [3, 1])"));
    CHECK(sent_by_replica(r) == std::vector<std::int64_t>{75, 25});
    CHECK(finished_by_replica(r) == std::vector<std::int64_t>{75, 25});
  }
  SUBCASE("order") {
    // Smooth weighted round robin: current weights (0, 0) -> +w (3, 1), pick
    // 0, pay 4: (-1, 1) -> (2, 2), pick 0 (first of the tie): (-2, 2) ->
    // (1, 3), pick 1: (1, -1) -> (4, 0), pick 0: (0, 0). Runs of 15, 25, 35
    // and 45 ms hold the first 1, 2, 3 and 4 requests (at 10, 20, 30, 40 ms):
    // the order is 0, 0, 1, 0, not 0, 0, 0, 1 as in plain weighted round robin.
    const std::vector<std::vector<std::int64_t>> expected = {{1, 0}, {2, 0}, {2, 1}, {3, 1}};
    for (std::size_t n = 1; n <= 4; ++n) {
      CAPTURE(n);
      const std::string timing = R"("duration_s": )" + std::to_string(0.005 + 0.01 * static_cast<double>(n)) + ",";
      const auto r = run_scenario(balanced(timing, 100, 2, R"(, "policy": "weighted_round_robin", "weights": [3, 1])"));
      CHECK(sent_by_replica(r) == expected[n - 1]);
    }
  }
}

TEST_CASE("hash on user_id keeps each user on one replica") {
  // Five closed-loop users, each thinking 10 ms and served in 1 ms, send in
  // lock step at 10 + 11j ms: 90 requests each in the 1 s run (the reply to
  // j = 89 comes at 990 ms; j = 90 would go at 1000). A closed-loop user's id
  // is its index, and the replica is mix64(user_id) mod replicas. Each
  // replica has 5 workers, so even all five users on one replica never wait.
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "workloads": [{ "name": "users", "target": "lb",
                    "arrival": { "type": "closed", "users": 5, "think_time": { "type": "constant", "value_ms": 10 } } }],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "backend", "policy": "hash", "hash_on": "user_id" },
      { "type": "service", "name": "backend", "replicas": 4, "workers": 5,
        "service_time": { "type": "constant", "value_ms": 1 } }
    ]
  })");
  std::vector<std::int64_t> expected(4, 0);
  for (std::uint64_t user = 0; user < 5; ++user) expected[archsim::sim::mix64(user) % 4] += 90;
  CHECK(count(r["summary"]["completed"]) == 450);
  CHECK(sent_by_replica(r) == expected);
  CHECK(finished_by_replica(r) == expected);
  CHECK(number(r["components"]["backend"]["wait_ms"]["max"]) == 0);
}

TEST_CASE("hash on key sends every request for a key to the same replica") {
  // A single key (key 0): all 99 requests go to replica mix64(0) mod 4.
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "lb", "arrival": { "type": "constant", "rate_qps": 100 },
                    "keys": { "count": 1 } }],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "backend", "policy": "hash", "hash_on": "key" },
      { "type": "service", "name": "backend", "replicas": 4, "service_time": { "type": "constant", "value_ms": 1 } }
    ]
  })");
  std::vector<std::int64_t> expected(4, 0);
  expected[archsim::sim::mix64(0) % 4] = 99;
  CHECK(sent_by_replica(r) == expected);
}

TEST_CASE("least_connections and power_of_two_choices send a request to the idle replica, not the busy one") {
  // Two replicas of one worker. "slow" requests (95 ms) come at 100m ms;
  // "fast" ones (1 ms) at 10k ms from another client whose link to the load
  // balancer takes 0.5 ms, so they reach it at 10k + 0.5 and never tie with
  // a slow one. A fast request is done at 10k + 1.5, before the next one, and
  // a slow one at 100m + 95, before the next slow one: a slow request always
  // finds both replicas idle, and a fast one finds at most one replica busy,
  // with a slow request. Picking the replica with fewer open requests, it
  // never waits: fast latency 0.5 + 1 + 0.5 = 2 ms, slow latency 95 ms. With
  // two replicas power_of_two_choices compares both, so it does the same.
  // Round robin, blind to the load, puts fast requests behind slow ones.
  auto scenario = [](const std::string& policy) {
    return R"({
      "duration_s": 1,
      "links": [{ "from": "fast-clients", "to": "lb", "latency": { "type": "constant", "value_ms": 0.5 } }],
      "workloads": [
        { "name": "slow-clients", "target": "lb", "arrival": { "type": "constant", "rate_qps": 10 },
          "operations": [{ "name": "slow" }] },
        { "name": "fast-clients", "target": "lb", "arrival": { "type": "constant", "rate_qps": 100 },
          "operations": [{ "name": "fast" }] }
      ],
      "components": [
        { "type": "load_balancer", "name": "lb", "backend": "backend", "policy": ")" +
           policy + R"(" },
        { "type": "service", "name": "backend", "replicas": 2, "workers": 1, "handlers": {
            "slow": [{ "compute": { "type": "constant", "value_ms": 95 } }],
            "fast": [{ "compute": { "type": "constant", "value_ms": 1 } }] } }
      ]
    })";
  };
  for (const std::string policy : {"least_connections", "power_of_two_choices"}) {
    CAPTURE(policy);
    const auto r = run_scenario(scenario(policy));
    // 9 slow (100..900 ms, done by 995) and 99 fast (done by 992).
    CHECK(count(r["workloads"]["slow-clients"]["completed"]) == 9);
    CHECK(count(r["workloads"]["fast-clients"]["completed"]) == 99);
    CHECK(number(r["workloads"]["fast-clients"]["latency_ms"]["max"]) == ms(2));
    CHECK(number(r["workloads"]["slow-clients"]["latency_ms"]["max"]) == ms(95));
    CHECK(number(r["components"]["backend"]["wait_ms"]["max"]) == 0);
    CHECK(number(r["components"]["backend"]["waited_fraction"]) == 0);
  }
  SUBCASE("round_robin, for contrast") {
    const auto r = run_scenario(scenario("round_robin"));
    CHECK(number(r["components"]["backend"]["wait_ms"]["max"]) > 0);
    CHECK(number(r["workloads"]["fast-clients"]["latency_ms"]["max"]) > 2);
  }
}

TEST_CASE("random and power_of_two_choices spread requests over every replica") {
  // 1999 requests over 4 replicas, each picked with probability 1/4 (under
  // this light load every replica has 0 open requests, so power of two
  // choices is a uniform pick too): a share is binomial with mean 499.75 and
  // standard deviation 19.4; allow 5 of them.
  for (const std::string policy : {"random", "power_of_two_choices"}) {
    CAPTURE(policy);
    const auto r = run_scenario(balanced(R"("duration_s": 2,)", 1000, 4, std::string(R"(, "policy": ")") + policy + "\""));
    const auto sent = sent_by_replica(r);
    std::int64_t total = 0;
    for (auto n : sent) {
      CHECK(n >= 403);
      CHECK(n <= 597);
      total += n;
    }
    CHECK(total == 1999);
    // All but the last (sent at 1999 ms, done at the end) have finished.
    std::int64_t finished = 0;
    for (auto n : finished_by_replica(r)) finished += n;
    CHECK(finished == 1998);
  }
}

TEST_CASE("the load balancer's latency adds its own delay on the way in") {
  // Load balancer 2 ms, backend 1 ms, no network latency: 3 ms end to end,
  // and the load balancer holds each request all of that time. Arrivals
  // every 10 ms (99), all done by 993 ms.
  const auto r = run_scenario(balanced(R"("duration_s": 1,)", 100, 2,
                                       R"(, "latency": { "type": "constant", "value_ms": 2 })"));
  CHECK(count(r["summary"]["completed"]) == 99);
  CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(3));
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(3));
  CHECK(number(r["components"]["lb"]["latency_ms"]["max"]) == ms(3));
  CHECK(number(r["components"]["backend"]["latency_ms"]["max"]) == ms(1));
  // Its concurrency: one request inside for 3 ms of every 10.
  CHECK(number(r["components"]["lb"]["concurrency"]["mean"]) == doctest::Approx(99 * 3 / 1000.0));
}

TEST_CASE("the bottleneck is judged by the hottest replica: hashing one key loads one replica only") {
  // Every request has key 0 (a population of one key), so hash on key sends
  // them all to one replica of four: that replica's worker is busy 80 % of
  // the time, the pool's 20 %. The database is busier on average (40 %) but
  // its one replica is less hot than the web's hottest.
  const auto r = archsim::test_models::run_scenario(R"({
    "duration_s": 1,
    "workloads": [{ "name": "users", "target": "lb", "arrival": { "type": "constant", "rate_qps": 100 },
                    "keys": { "count": 1 } }],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "web", "policy": "hash", "hash_on": "key" },
      { "type": "service", "name": "web", "replicas": 4,
        "handlers": { "request": [ { "compute": { "type": "constant", "value_ms": 4 } }, { "call": "db" } ] } },
      { "type": "service", "name": "db", "service_time": { "type": "constant", "value_ms": 4 } }
    ]
  })");
  const auto& b = r["bottleneck"];
  CHECK(b["component"] == "web");
  const auto hottest = b["hottest_replica"].get<std::size_t>();
  CHECK(archsim::test_models::number(r["components"]["web"]["instances"][hottest]["utilization"]) ==
        doctest::Approx(99 * 0.008));
  CHECK(archsim::test_models::number(b["hottest_replica_utilization"]) == doctest::Approx(99 * 0.008));
  CHECK(archsim::test_models::number(b["utilization"]) == doctest::Approx(99 * 0.008 / 4));
}
