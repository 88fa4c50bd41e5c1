// tests/models/runtime/test_faults.cpp: faults reaching components during a run
// (Component::on_fault, applied with Simulation::at): a service's replica
// crashed and recovered, a service slowed down. Short timelines with
// constant times, checked by hand.
#include <doctest/doctest.h>

#include <string>

#include "tests/models/model_helpers.h"

using archsim::models::FaultAction;
using archsim::models::Simulation;
using archsim::sim::Time;
using archsim::test_models::count;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

FaultAction crash(std::int32_t replica) { return FaultAction{FaultAction::Kind::Crash, replica, 1, {}}; }
FaultAction recover(std::int32_t replica) { return FaultAction{FaultAction::Kind::Recover, replica, 1, {}}; }
FaultAction slow_down(std::int32_t replica, double factor, Time added = {}) {
  return FaultAction{FaultAction::Kind::SlowDown, replica, factor, added};
}

// At `at`, hands `action` to component `name`, which must support it. A
// crash's cause is registered before the run, as the fault timeline does.
void apply(Simulation& s, Time at, const std::string& name, FaultAction action) {
  if (action.kind == FaultAction::Kind::Crash) s.register_failure_cause("crashed");
  s.at(at, [name, action](Simulation& s) { CHECK(s.component(name)->on_fault(action)); });
}

// Requests every 10 ms (k = 1..99, at 10k ms), no network latency, through a
// round-robin load balancer to 2 replicas of 2 workers computing 30 ms:
// odd k go to replica 0, even k to replica 1, each replica serving one
// request every 20 ms and so holding at most two at once, never queueing.
// Requests k >= 97 are still being served at the end (1 s).
const std::string kTwoReplicas = R"({
  "duration_s": 1,
  "workloads": [{ "name": "clients", "target": "lb", "arrival": { "type": "constant", "rate_qps": 100 } }],
  "components": [
    { "type": "load_balancer", "name": "lb", "backend": "web" },
    { "type": "service", "name": "web", "replicas": 2, "workers": 2,
      "service_time": { "type": "constant", "value_ms": 30 } }
  ]
})";

}  // namespace

TEST_CASE("a crashed replica fails what it holds at once and refuses what reaches it; the other replica goes on") {
  // Crash replica 1 at 505 ms: it holds k = 48 (since 480 ms) and k = 50
  // (since 500 ms), which fail then. It refuses k = 52..70 (even), 10
  // requests, until it recovers at 705 ms; k = 72 on are served again.
  const auto r = run_scenario(kTwoReplicas, [](Simulation& s) {
    apply(s, Time::from_ms(505), "web", crash(1));
    apply(s, Time::from_ms(705), "web", recover(1));
  });
  const auto& summary = r["summary"];
  CHECK(count(summary["offered"]) == 99);
  CHECK(count(summary["failed"]["crashed"]) == 12);
  CHECK(count(summary["failed"]["total"]) == 12);
  CHECK(count(summary["completed"]) == 99 - 12 - 3);
  // Every success took its 30 ms; the failures are not in the latency.
  CHECK(number(summary["latency_ms"]["max"]) == ms(30));
  const auto& web = r["components"]["web"];
  CHECK(count(web["rejected"]) == 10);
  CHECK(count(web["failed"]) == 2);
  // The two failed at the crash stayed 25 and 5 ms.
  CHECK(number(web["latency_ms"]["mean"]) == ms((84 * 30 + 25 + 5) / 86.0));
  // Replica 0 served every odd k that ended in time (k = 1..95): 48.
  CHECK(count(web["completed"]) == 86);
  // Each of k = 97..99 is two requests: the client's and the load balancer's call.
  CHECK(count(r["run"]["requests_in_flight_at_end"]) == 6);
}

TEST_CASE("crashing the whole component crashes every replica; a second crash changes nothing") {
  // From 505 ms to the end: k = 49 and 50 fail at once (k = 48 too: it is
  // on replica 1 until 510), every later request is refused.
  const auto r = run_scenario(kTwoReplicas, [](Simulation& s) {
    apply(s, Time::from_ms(505), "web", crash(-1));
    apply(s, Time::from_ms(600), "web", crash(0));
  });
  CHECK(count(r["summary"]["failed"]["crashed"]) == 3 + 49);
  CHECK(count(r["summary"]["completed"]) == 47);
  CHECK(count(r["run"]["requests_in_flight_at_end"]) == 0);
}

TEST_CASE("the end of a step a crash cut short is dropped, even when its request is back computing there") {
  // One worker computing 30 ms, requests every 10 ms straight from the
  // client (k at 10k ms). k = 1 computes from 10 ms; the crash at 15 ms
  // fails it and the recovery at 16 ms brings the replica back empty. The
  // request pool hands k = 1's request to k = 2, which starts at 20 ms on
  // the same worker: the end posted for k = 1 (at 40 ms) must not end k = 2,
  // which ends at 50 ms, and every later request then takes its 30 ms plus
  // its wait.
  const auto r = run_scenario(R"({
    "duration_s": 0.1,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "web", "service_time": { "type": "constant", "value_ms": 30 } }
    ]
  })", [](Simulation& s) {
    apply(s, Time::from_ms(15), "web", crash(-1));
    apply(s, Time::from_ms(16), "web", recover(-1));
  });
  const auto& summary = r["summary"];
  CHECK(count(summary["failed"]["crashed"]) == 1);
  // k = 2 ends at 50 ms, k = 3 (sent at 30) at 80 ms: nothing else ends by 100 ms.
  CHECK(count(summary["completed"]) == 2);
  CHECK(number(summary["latency_ms"]["mean"]) == ms(40));
  CHECK(number(summary["latency_ms"]["max"]) == ms(50));
}

TEST_CASE("a crash while requests wait on a call fails them at once and disowns their calls") {
  // The web calls a database that takes 50 ms: at 505 ms the web (one
  // replica, 10 workers) holds k = 46..50, waiting on their calls. They fail
  // then; the database finishes their calls all the same, and the web drops
  // the replies as late. From then on it refuses everything.
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "web", "workers": 10, "handlers": { "request": [{ "call": "db", "timeout_ms": 200 }] } },
      { "type": "service", "name": "db", "workers": 10, "service_time": { "type": "constant", "value_ms": 50 } }
    ]
  })", [](Simulation& s) { apply(s, Time::from_ms(505), "web", crash(-1)); });
  CHECK(count(r["summary"]["completed"]) == 45);
  CHECK(count(r["summary"]["failed"]["crashed"]) == 5 + 49);
  CHECK(count(r["summary"]["failed"]["timeout"]) == 0);  // the disowned calls' timeouts are ignored
  CHECK(count(r["components"]["web"]["late_replies"]) == 5);
  CHECK(count(r["components"]["db"]["completed"]) == 50);
  CHECK(count(r["run"]["requests_in_flight_at_end"]) == 0);
}

TEST_CASE("a slowed-down service takes k times as long for the same draws, and speeds up again") {
  const std::string scenario = R"({
    "duration_s": 2,
    "workloads": [{ "name": "clients", "target": "web",
                    "arrival": { "type": "schedule", "points": [{ "at_s": 0, "rate_qps": 200 }, { "at_s": 1, "rate_qps": 0 }] } }],
    "components": [
      { "type": "service", "name": "web", "workers": 1000,
        "service_time": { "type": "exponential", "mean_ms": 4 } }
    ]
  })";
  // With a worker for every request nothing queues: a request's latency is
  // its compute time, drawn from the service's own stream. Requests arrive
  // for 1 s and all are served by the end, at 2 s.
  const auto normal = run_scenario(scenario);
  const auto slowed = run_scenario(scenario, [](Simulation& s) { apply(s, Time{}, "web", slow_down(-1, 3)); });
  CHECK(count(slowed["summary"]["offered"]) == count(normal["summary"]["offered"]));
  CHECK(number(slowed["summary"]["latency_ms"]["mean"]) ==
        doctest::Approx(3 * number(normal["summary"]["latency_ms"]["mean"])).epsilon(1e-6));
  CHECK(number(slowed["summary"]["latency_ms"]["max"]) ==
        doctest::Approx(3 * number(normal["summary"]["latency_ms"]["max"])).epsilon(1e-6));
  // Slowed and then back at normal speed from the start: the same figures as never slowed.
  const auto back = run_scenario(scenario, [](Simulation& s) {
    apply(s, Time{}, "web", slow_down(-1, 3));
    apply(s, Time{}, "web", slow_down(-1, 1));
  });
  CHECK(back["summary"].dump() == normal["summary"].dump());
}

TEST_CASE("slowing down one replica, with a delay added, leaves the other alone") {
  // Replica 1 from 505 ms: 30 x 2 + 5 = 65 ms a request (k = 52.. even), at
  // most 4 at once on 2 workers: they queue. Replica 0 keeps its 30 ms.
  const auto r = run_scenario(kTwoReplicas, [](Simulation& s) {
    apply(s, Time::from_ms(505), "web", slow_down(1, 2, Time::from_ms(5)));
  });
  CHECK(count(r["summary"]["failed"]["total"]) == 0);
  CHECK(number(r["summary"]["latency_ms"]["max"]) > 65);
  const auto& instances = r["components"]["web"]["instances"];
  CHECK(number(instances[0]["utilization"]) == doctest::Approx(0.75).epsilon(0.05));
  CHECK(number(instances[1]["utilization"]) > number(instances[0]["utilization"]));
}

TEST_CASE("a component type without fault support says so and is unchanged") {
  const auto faulted = run_scenario(kTwoReplicas, [](Simulation& s) {
    s.at(Time::from_ms(500), [](Simulation& s) { CHECK_FALSE(s.component("lb")->on_fault(crash(-1))); });
  });
  CHECK(faulted["summary"].dump() == run_scenario(kTwoReplicas)["summary"].dump());
}

TEST_CASE("the same faults with the same seed give the same bytes") {
  const std::string scenario = R"({
    "duration_s": 2,
    "network": { "hop_latency": { "type": "exponential", "mean_ms": 1 },
                 "places": { "east": ["clients", "lb", "web[0]"], "west": ["web[1]", "db"] } },
    "workloads": [{ "name": "clients", "target": "lb", "arrival": { "type": "poisson", "rate_qps": 300 },
                    "timeout_ms": 40 }],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "web", "policy": "random" },
      { "type": "service", "name": "web", "replicas": 2, "workers": 4,
        "handlers": { "request": [{ "compute": { "type": "exponential", "mean_ms": 3 } },
                                  { "call": "db", "timeout_ms": 20 }] } },
      { "type": "service", "name": "db", "workers": 8, "service_time": { "type": "exponential", "mean_ms": 2 } }
    ]
  })";
  using archsim::models::CutMode;
  using archsim::models::LinkEnd;
  using archsim::models::Ways;
  auto run = [&] {
    return run_scenario(scenario, [](Simulation& s) {
      s.register_failure_cause("link_down");
      const auto east = LinkEnd::in(*s.network().place("east"));
      const auto west = LinkEnd::in(*s.network().place("west"));
      s.at(Time::from_ms(300), [=](Simulation& s) { s.network().make_lossy(east, west, Ways::BothWays, 0.2); });
      s.at(Time::from_ms(600), [=](Simulation& s) { s.network().cut(east, west, Ways::OneWay, CutMode::FailFast); });
      s.at(Time::from_ms(800), [=](Simulation& s) { s.network().cut(west, east, Ways::OneWay, CutMode::Lose); });
      apply(s, Time::from_ms(900), "web", crash(0));
      apply(s, Time::from_ms(1000), "db", slow_down(-1, 4));
      s.at(Time::from_ms(1200), [=](Simulation& s) { s.network().restore(east, west, Ways::BothWays); });
      apply(s, Time::from_ms(1400), "web", recover(0));
    });
  };
  const auto a = run();
  const auto b = run();
  CHECK(a.dump() == b.dump());
  CHECK(count(a["network"]["lost"]) > 0);
  CHECK(count(a["network"]["refused"]) > 0);
  CHECK(count(a["summary"]["failed"]["crashed"]) > 0);
  CHECK(count(a["summary"]["failed"]["link_down"]) > 0);
}
