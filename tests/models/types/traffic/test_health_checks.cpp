// tests/models/types/traffic/test_health_checks.cpp: a load balancer's health
// checks, active-passive failover and sticky sessions on short timelines with
// constant times, checked by hand.
//
// The common timeline: a constant client at 100 requests per second, one
// every 10 ms from 10 ms on (999 in the run); the load balancer forwards each 3 ms after it arrives (its
// latency), at x.xx3 s, so no forward meets a probe round (on whole seconds:
// interval 1000 ms). Links take no time; each replica has one worker and
// serves 1 ms (probes too), so a probe at t to a live replica ends at
// t + 1 ms and one to a crashed replica is refused at t. The fault crashes
// backend[1] at 2.5 s and brings it back at 6.5 s; the run lasts 10 s
// without warm-up, so probe rounds run at 1, 2, ..., 9 s.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "models/simulation/series.h"
#include "sim/rng.h"
#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::Json;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

constexpr const char* kChecks =
    R"(, "health_check": { "interval_ms": 1000, "timeout_ms": 100, "failures_to_eject": 3, "successes_to_readmit": 2 })";

// The timeline above with `replicas` replicas, the load balancer's extra
// keys, the backend's extra keys and the fault timeline's entries.
std::string timeline(int replicas, const std::string& lb_extra, const std::string& faults,
                     const std::string& workload_extra = "", const std::string& backend_extra = "") {
  return R"({ "duration_s": 10,
    "workloads": [{ "name": "clients", "target": "lb",
                    "arrival": { "type": "constant", "rate_qps": 100 } )" +
         workload_extra + R"( }],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "backend",
        "latency": { "type": "constant", "value_ms": 3 } )" +
         lb_extra + R"( },
      { "type": "service", "name": "backend", "replicas": )" +
         std::to_string(replicas) + R"(, "workers": 1,
        "service_time": { "type": "constant", "value_ms": 1 } )" +
         backend_extra + R"( }
    ],
    "faults": { "timeline": [ )" +
         faults + R"( ] } })";
}

const std::string kCrashOneFrom2500To6500 = R"({ "at_s": 2.5, "until_s": 6.5, "action": "crash", "target": "backend[1]" })";

std::uint64_t failed(const Json& r, const std::string& cause) {
  const Json& f = r["summary"]["failed"];
  return f.contains(cause) ? count(f[cause]) : 0;
}

}  // namespace

TEST_CASE("without health checks a crashed replica keeps its share: every other request fails while it is down") {
  // Forwards from 2.503 to 6.493 s: 400, every other one to backend[1].
  const auto r = run_scenario(timeline(2, R"(, "policy": "round_robin")", kCrashOneFrom2500To6500));
  CHECK(failed(r, "crashed") == 200);
  CHECK(count(r["summary"]["failed"]["total"]) == 200);
  const Json& fault = r["faults"]["timeline"][0];
  CHECK(fault["detection_s"].is_null());
  CHECK(fault["detected_by"].is_null());
  CHECK_FALSE(r["components"]["lb"].contains("ejections"));
}

TEST_CASE("the third failed probe ejects the replica, the second good one after its recovery re-admits it") {
  const auto r = run_scenario(timeline(2, std::string(R"(, "policy": "round_robin")") + kChecks, kCrashOneFrom2500To6500));
  // Probes to backend[1] at 3, 4 and 5 s are refused: ejected at 5 s, 2.5 s
  // after the crash. Forwards from 2.503 to 4.993 s: 250, half of them (125)
  // to backend[1], all failed; after 5 s everything goes to backend[0].
  CHECK(failed(r, "crashed") == 125);
  CHECK(count(r["summary"]["failed"]["total"]) == 125);
  const Json& fault = r["faults"]["timeline"][0];
  CHECK(number(fault["detection_s"]) == doctest::Approx(2.5).epsilon(1e-12));
  CHECK(fault["detected_by"] == "lb");
  CHECK(fault["failed"]["crashed"] == 125);
  const Json& lb = r["components"]["lb"];
  CHECK(count(lb["ejections"]) == 1);
  CHECK(count(lb["readmissions"]) == 1);
  // Nine rounds of two probes; backend[1]'s at 3, 4, 5 and 6 s fail. Those at
  // 7 and 8 s are good: re-admitted at 8.001 s, when the second one ends.
  CHECK(count(lb["probes_sent"]) == 18);
  CHECK(count(lb["probes_failed"]) == 4);
  // One replica out from 5 to 8.001 s: (2 * 10 - 3.001) / 10.
  CHECK(number(lb["healthy_backends"]["mean"]) == doctest::Approx(1.6999).epsilon(1e-12));
  // Interval by interval: two replicas until 5 s, one until 8.001 s.
  const Json t = archsim::models::series_column(r, "t_s");
  const Json healthy = archsim::models::series_column(r, "components.lb.healthy_backends_mean");
  REQUIRE(healthy.is_array());
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double end = number(t[i]);
    CAPTURE(end);
    if (end <= 5) CHECK(number(healthy[i]) == 2);
    else if (end <= 8) CHECK(number(healthy[i]) == 1);
    else if (end <= 9) CHECK(number(healthy[i]) == doctest::Approx(1.999).epsilon(1e-12));
    else CHECK(number(healthy[i]) == 2);
  }
  // A probe is a request: the backend served 18 - 4 of them besides the
  // clients' 999 - 125 (the failed probes and requests were refused).
  CHECK(count(r["components"]["backend"]["completed"]) == 874 + 14);
  CHECK(count(r["components"]["backend"]["rejected"]) == 125 + 4);
}

TEST_CASE("a probe that gets no answer within its timeout has failed: a slowed replica is ejected at the third timeout") {
  // backend[1] slowed by 200 ms from 2.5 s: its probes at 3, 4 and 5 s take
  // longer than the 100 ms timeout. The third times out at 5.1 s.
  const auto r = run_scenario(timeline(
      2, std::string(R"(, "policy": "round_robin")") + kChecks,
      R"({ "at_s": 2.5, "until_s": 6.5, "action": "slow_down", "target": "backend[1]", "added_ms": 200 })"));
  const Json& fault = r["faults"]["timeline"][0];
  CHECK(number(fault["detection_s"]) == doctest::Approx(2.6).epsilon(1e-12));
  CHECK(count(r["components"]["lb"]["ejections"]) == 1);
  // The probes' replies came after their timeouts and were dropped.
  CHECK(count(r["components"]["lb"]["late_replies"]) >= 3);
}

TEST_CASE("with every replica ejected a request fails at once with no_healthy_backend") {
  // One replica, down from 2.5 s to the end: crashed from 2.503 to 4.993 s
  // (250 requests), then no_healthy_backend from 5.003 to 9.993 s (500).
  const auto r = run_scenario(timeline(1, std::string(R"(, "policy": "round_robin")") + kChecks,
                                       R"({ "at_s": 2.5, "action": "crash", "target": "backend" })"));
  CHECK(failed(r, "crashed") == 250);
  CHECK(failed(r, "no_healthy_backend") == 500);
  CHECK(number(r["faults"]["timeline"][0]["detection_s"]) == doctest::Approx(2.5).epsilon(1e-12));
}

TEST_CASE("active_passive sends everything to the first replica in, and to the standby once it is ejected") {
  // backend[0] crashes at 2.5 s and is back at 6.5 s: the 250 requests
  // forwarded before its ejection at 5 s fail; the standby takes the rest
  // until backend[0] is re-admitted at 8.001 s.
  const auto r = run_scenario(timeline(2, std::string(R"(, "policy": "active_passive")") + kChecks,
                                       R"({ "at_s": 2.5, "until_s": 6.5, "action": "crash", "target": "backend[0]" })"));
  CHECK(failed(r, "crashed") == 250);
  CHECK(count(r["summary"]["failed"]["total"]) == 250);
  // backend[1] served the clients' requests forwarded from 5.003 to 7.993 s
  // (300), and its 9 probes; backend[0] the other 999 - 250 - 300 and 5
  // probes (those at 1, 2, 7, 8 and 9 s).
  const Json& instances = r["components"]["backend"]["instances"];
  CHECK(std::llround(number(instances[1]["throughput_qps"]) * 10) == 300 + 9);
  CHECK(std::llround(number(instances[0]["throughput_qps"]) * 10) == 449 + 5);
}

TEST_CASE("a crash loses exactly the sessions on the replica: its users log in again elsewhere, and again on its return") {
  // Four users drawn at random, 100 requests per second: every user is seen
  // in each stretch below. A sticky load balancer (hash on user_id) keeps
  // each on replica mix64(user) % 2. The crashed replica is user 0's.
  const std::uint64_t crashed = archsim::sim::mix64(0) % 2;
  std::uint64_t on_crashed = 0;
  for (std::uint64_t u = 0; u < 4; ++u) on_crashed += archsim::sim::mix64(u) % 2 == crashed ? 1 : 0;
  REQUIRE(on_crashed >= 1);
  std::string fault = R"({ "at_s": 2.5, "until_s": 6.5, "action": "crash", "target": "backend[)";
  fault += std::to_string(crashed);
  fault += R"(]" })";
  const auto r = run_scenario(timeline(2, std::string(R"(, "policy": "hash", "hash_on": "user_id")") + kChecks, fault,
                                       R"(, "users": { "count": 4 })", R"(, "sessions": "local")"));
  const Json& backend = r["components"]["backend"];
  CAPTURE(on_crashed);
  // The crash at 2.5 s loses its users' sessions. After the ejection at 5 s
  // they are hashed onto the other replica and log in there (new sessions);
  // after the re-admission at 8.001 s they are sent back, where their
  // sessions are not (misses: new sessions again).
  CHECK(count(backend["sessions_lost"]) == on_crashed);
  CHECK(count(backend["session_misses"]) == on_crashed);
  CHECK(count(backend["sessions_created"]) == 4 + 2 * on_crashed);
  // Without health checks the users of the dead replica are refused, never
  // moved: their sessions are lost, and made again once it is back.
  const auto plain = run_scenario(timeline(2, R"(, "policy": "hash", "hash_on": "user_id")", fault,
                                           R"(, "users": { "count": 4 })", R"(, "sessions": "local")"));
  CHECK(count(plain["components"]["backend"]["sessions_lost"]) == on_crashed);
  CHECK(count(plain["components"]["backend"]["session_misses"]) == 0);
  CHECK(count(plain["components"]["backend"]["sessions_created"]) == 4 + on_crashed);
}

TEST_CASE("round_robin over a pool that loses a replica to ejection shares the rest evenly, and the whole once it is back") {
  // Three replicas, backend[1] ejected from 5 to 8.001 s: in that stretch
  // round robin alternates between backend[0] and backend[2].
  const auto r = run_scenario(timeline(3, std::string(R"(, "policy": "round_robin")") + kChecks, kCrashOneFrom2500To6500));
  // Forwards from 2.503 to 4.993 s: 250, a third of them to backend[1]: 83 or 84.
  const auto crashed = failed(r, "crashed");
  CHECK((crashed == 83 || crashed == 84));
  CHECK(count(r["components"]["lb"]["ejections"]) == 1);
}
