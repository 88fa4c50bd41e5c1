// tests/models/runtime/test_circuit_breaker.cpp: a circuit breaker's states
// on hand-checked timelines: it opens at exactly the Nth failure in a row,
// stays open for its duration, lets its probes through, closes when they all
// succeed or opens again at the first that fails; its failure-rate window
// moves a bucket at a time; and in a service, the calls it refuses fail at
// once (circuit_open) and never reach the callee, and its opening is the
// detection of a fault on the callee.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "models/runtime/circuit_breaker.h"
#include "sim/engine.h"
#include "tests/models/model_helpers.h"

using archsim::models::CircuitBreakerConfig;
using archsim::models::CircuitBreakers;
using archsim::sim::Time;
using archsim::test_models::count;
using archsim::test_models::number;
using archsim::test_models::run_scenario;
using State = CircuitBreakers::State;

namespace {

// Runs steps at given times (in the Arrival phase, before the breaker's own
// timers of the same instant) on one engine.
struct Script final : archsim::sim::EventTarget {
  archsim::sim::Engine engine;
  std::vector<std::function<void()>> steps;
  void at_ms(double ms, std::function<void()> step) {
    steps.push_back(std::move(step));
    engine.post(Time::from_ms(ms), archsim::sim::Phase::Arrival, this, static_cast<std::uint32_t>(steps.size() - 1));
  }
  void on_event(std::uint32_t kind, std::uint64_t) override { steps[kind](); }
  void run_to_ms(double ms) { engine.run_until(Time::from_ms(ms), 1'000'000); }
};

CircuitBreakerConfig by_count(std::int64_t failures, double open_ms, std::int64_t probes) {
  CircuitBreakerConfig c;
  c.consecutive_failures = failures;
  c.open_ms = open_ms;
  c.half_open_probes = probes;
  return c;
}

}  // namespace

TEST_CASE("a breaker opens at exactly the Nth failure in a row, and a success in between starts the count again") {
  Script s;
  CircuitBreakers b(by_count(3, 100, 1), 1, s.engine);
  std::uint32_t t = 0;
  const auto outcome = [&](bool failed) {
    REQUIRE(b.allow(0, s.engine.now(), t));
    b.record(0, t, failed, s.engine.now());
  };
  s.at_ms(1, [&] { outcome(true); });
  s.at_ms(2, [&] { outcome(true); });
  s.at_ms(3, [&] { outcome(false); });  // the count starts again
  s.at_ms(4, [&] { outcome(true); });
  s.at_ms(5, [&] { outcome(true); });
  s.at_ms(5.5, [&] { CHECK(b.state(0) == State::Closed); });
  s.at_ms(6, [&] { outcome(true); });  // the third in a row
  s.at_ms(6.5, [&] {
    CHECK(b.state(0) == State::Open);
    CHECK(b.opens() == 1);
    CHECK_FALSE(b.allow(0, s.engine.now(), t));
  });
  // Open for 100 ms: still open just before 106 ms.
  s.at_ms(105.999, [&] { CHECK_FALSE(b.allow(0, s.engine.now(), t)); });
  s.run_to_ms(200);
  CHECK(b.rejected() == 2);
  // Nobody called at 106 ms: the breaker's own timer made it half-open then.
  CHECK(b.state(0) == State::HalfOpen);
}

TEST_CASE("half-open, a breaker lets its probes through and refuses the rest; a failed probe opens it again") {
  Script s;
  CircuitBreakers b(by_count(1, 100, 2), 1, s.engine);
  std::uint32_t t0 = 0, t1 = 0, t2 = 0, spare = 0;
  s.at_ms(0, [&] {
    REQUIRE(b.allow(0, s.engine.now(), t0));
    b.record(0, t0, true, s.engine.now());  // opens at 0, until 100 ms
  });
  // At 100 ms a call comes before the breaker's timer of the same instant:
  // it finds the breaker due and makes it half-open itself.
  s.at_ms(100, [&] {
    CHECK(b.allow(0, s.engine.now(), t1));
    CHECK(b.state(0) == State::HalfOpen);
    CHECK(b.allow(0, s.engine.now(), t2));
    CHECK_FALSE(b.allow(0, s.engine.now(), spare));  // the third: no probe left
  });
  s.at_ms(110, [&] {
    b.record(0, t1, false, s.engine.now());
    CHECK(b.state(0) == State::HalfOpen);  // one of two
  });
  s.at_ms(111, [&] {
    b.record(0, t2, true, s.engine.now());
    CHECK(b.state(0) == State::Open);  // until 211 ms
    CHECK(b.opens() == 2);
  });
  s.at_ms(210, [&] { CHECK_FALSE(b.allow(0, s.engine.now(), spare)); });
  s.at_ms(211, [&] {
    REQUIRE(b.allow(0, s.engine.now(), t1));
    REQUIRE(b.allow(0, s.engine.now(), t2));
  });
  s.at_ms(220, [&] { b.record(0, t1, false, s.engine.now()); });
  s.at_ms(230, [&] {
    b.record(0, t2, false, s.engine.now());
    CHECK(b.state(0) == State::Closed);  // both probes succeeded
  });
  b.on_window_begin(Time{});
  s.run_to_ms(300);
  CHECK(b.rejected() == 2);
  // Open 0-100 and 111-211 ms; half-open 100-111 and 211-230 ms.
  const auto summary = b.summary(Time{}, Time::from_ms(300));
  CHECK(count(summary["opens"]) == 2);
  CHECK(number(summary["open_fraction"]) == doctest::Approx(200.0 / 300));
  CHECK(number(summary["half_open_fraction"]) == doctest::Approx(30.0 / 300));
}

TEST_CASE("an outcome counts only in the state its call was let through in") {
  Script s;
  CircuitBreakers b(by_count(2, 100, 1), 1, s.engine);
  std::uint32_t slow = 0, a = 0, probe = 0;
  s.at_ms(0, [&] { REQUIRE(b.allow(0, s.engine.now(), slow)); });  // a slow call, let through closed
  s.at_ms(1, [&] {
    REQUIRE(b.allow(0, s.engine.now(), a));
    b.record(0, a, true, s.engine.now());
    REQUIRE(b.allow(0, s.engine.now(), a));
    b.record(0, a, true, s.engine.now());  // open at 1 ms, until 101
  });
  s.at_ms(101, [&] { REQUIRE(b.allow(0, s.engine.now(), probe)); });
  // The slow call's success, half-open, is not the probe's.
  s.at_ms(102, [&] {
    b.record(0, slow, false, s.engine.now());
    CHECK(b.state(0) == State::HalfOpen);
  });
  s.at_ms(103, [&] {
    b.record(0, probe, false, s.engine.now());
    CHECK(b.state(0) == State::Closed);
  });
  s.run_to_ms(200);
}

TEST_CASE("the failure-rate window holds the bucket filling and the buckets before it, and moves a bucket at a time") {
  Script s;
  CircuitBreakerConfig c;
  c.failure_rate = 0.5;
  c.window_s = 1;
  c.window_buckets = 4;  // 250 ms each: the window is the bucket filling and the 3 before it
  c.minimum_calls = 4;
  CircuitBreakers b(c, 1, s.engine);
  std::uint32_t t = 0;
  const auto outcome = [&](bool failed) {
    REQUIRE(b.allow(0, s.engine.now(), t));
    b.record(0, t, failed, s.engine.now());
  };
  // Three failures: under minimum_calls, so the rate is not judged.
  s.at_ms(0, [&] { outcome(true); });
  s.at_ms(10, [&] { outcome(true); });
  s.at_ms(20, [&] { outcome(true); });
  s.at_ms(999, [&] {
    CHECK(b.window_calls(0, s.engine.now()) == 3);  // bucket 3: buckets 0 to 3
    CHECK(b.window_failures(0, s.engine.now()) == 3);
  });
  s.at_ms(1000, [&] { CHECK(b.window_calls(0, s.engine.now()) == 0); });  // bucket 4: bucket 0 has left
  s.at_ms(1100, [&] { outcome(false); });
  s.at_ms(1200, [&] { outcome(true); });
  s.at_ms(1300, [&] { outcome(false); });  // 3 calls, 1 failed
  s.at_ms(1400, [&] {
    outcome(false);  // 4 calls, 1 failed: 25 % < 50 %
    CHECK(b.state(0) == State::Closed);
    CHECK(b.window_calls(0, s.engine.now()) == 4);
  });
  s.at_ms(1500, [&] {
    outcome(true);  // 5 calls, 2 failed: 40 %
    CHECK(b.state(0) == State::Closed);
    outcome(true);  // 6 calls, 3 failed: 50 %, the rate: it opens
    CHECK(b.state(0) == State::Open);
  });
  s.run_to_ms(2000);
  CHECK(b.opens() == 1);
}

TEST_CASE("in a service, an open breaker fails calls at once with circuit_open and the callee never sees them") {
  // A request every 10 ms (k / 100 s, k = 1..99) to front, which calls back;
  // back fails every request at once (fail, fraction 1) until 0.5 s, then
  // takes 1 ms. The breaker opens at the third failure in a row (the reply
  // at 30 ms) for 100 ms; the probe at 130 ms fails (open again until 230),
  // and so on at 230, 330, 430; the probe at 530 ms succeeds (its reply at
  // 531 ms closes the breaker), and every call after it goes.
  const auto r = run_scenario(R"({
    "duration_s": 1, "report_interval_s": 0.1,
    "workloads": [{ "name": "clients", "target": "front", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "front", "workers": 10,
        "handlers": { "request": [ { "call": "back",
          "circuit_breaker": { "consecutive_failures": 3, "open_ms": 100, "half_open_probes": 1 } } ] } },
      { "type": "service", "name": "back", "workers": 10, "service_time": { "type": "constant", "value_ms": 1 } }
    ],
    "faults": { "timeline": [ { "at_s": 0, "until_s": 0.5, "action": "fail", "target": "back", "fraction": 1 } ] }
  })");
  const auto& s = r["summary"];
  CHECK(count(s["offered"]) == 99);
  CHECK(count(s["failed"]["error"]) == 7);          // 10, 20, 30, 130, 230, 330, 430 ms
  CHECK(count(s["failed"]["circuit_open"]) == 45);  // 9 in each of the 5 open spells
  CHECK(count(s["completed"]) == 47);               // 530 to 990 ms
  CHECK(count(r["components"]["back"]["arrivals"]) == 7 + 47);
  const auto& breaker = r["components"]["front"]["circuit_breakers"]["back"];
  CHECK(count(breaker["opens"]) == 5);
  CHECK(count(breaker["rejected"]) == 45);
  CHECK(number(breaker["open_fraction"]) == doctest::Approx(0.5));          // 30 to 530 ms
  CHECK(number(breaker["half_open_fraction"]) == doctest::Approx(0.001));   // 530 to 531 ms
  CHECK(count(breaker["open_at_end"]) == 0);

  // The series: the breaker's state interval by interval.
  const auto& columns = r["timeseries"]["columns"];
  std::size_t open = 0, opens = 0;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i]["name"] == "components.front.circuit_breakers.back.open") open = i;
    if (columns[i]["name"] == "components.front.circuit_breakers.back.opens") opens = i;
  }
  REQUIRE(open > 0);
  REQUIRE(opens > 0);
  const auto& rows = r["timeseries"]["rows"];
  REQUIRE(rows.size() == 10);
  CHECK(number(rows[0][open]) == doctest::Approx(0.7));  // open from 30 ms
  CHECK(number(rows[1][open]) == doctest::Approx(1));
  CHECK(number(rows[5][open]) == doctest::Approx(0.3));  // closed... half-open at 530 ms
  CHECK(number(rows[6][open]) == doctest::Approx(0));
  CHECK(count(rows[0][opens]) == 1);
  CHECK(count(rows[1][opens]) == 1);
  CHECK(count(rows[5][opens]) == 0);
}

TEST_CASE("a breaker counts its caller's timeouts as failures, and the callee's queue drains while it is open") {
  // back takes 50 ms with one worker; front gives up after 20 ms. Every
  // call times out: the breaker opens at the second timeout (at 40 ms, of
  // the call made at 20 ms) for 1 s, to the end of the run. The call made at
  // 40 ms went just before (a timer comes after the arrivals of its
  // instant), so back got four calls, and nothing after.
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "front", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "front", "workers": 10,
        "handlers": { "request": [ { "call": "back", "timeout_ms": 20,
          "circuit_breaker": { "consecutive_failures": 2, "open_ms": 1000 } } ] } },
      { "type": "service", "name": "back", "workers": 1, "service_time": { "type": "constant", "value_ms": 50 } }
    ]
  })");
  const auto& s = r["summary"];
  CHECK(count(s["failed"]["timeout"]) == 4);
  CHECK(count(s["failed"]["circuit_open"]) == 95);
  CHECK(count(r["components"]["back"]["arrivals"]) == 4);
  CHECK(count(r["components"]["front"]["circuit_breakers"]["back"]["opens"]) == 1);
}

TEST_CASE("each replica of the caller has its own breaker") {
  // front's two replicas take the requests in turn (k odd: replica 0, even:
  // replica 1); back fails every one. Each breaker opens at its own second
  // failure: replica 0's at 30 ms, replica 1's at 40 ms; a breaker shared by
  // both would have opened at 20 ms.
  const auto r = run_scenario(R"({
    "duration_s": 0.5,
    "workloads": [{ "name": "clients", "target": "front", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "front", "replicas": 2, "workers": 10,
        "handlers": { "request": [ { "call": "back",
          "circuit_breaker": { "consecutive_failures": 2, "open_ms": 10000 } } ] } },
      { "type": "service", "name": "back", "workers": 10, "service_time": { "type": "constant", "value_ms": 1 } }
    ],
    "faults": { "timeline": [ { "at_s": 0, "action": "fail", "target": "back", "fraction": 1 } ] }
  })");
  CHECK(count(r["summary"]["failed"]["error"]) == 4);
  CHECK(count(r["summary"]["failed"]["circuit_open"]) == 45);
  const auto& breaker = r["components"]["front"]["circuit_breakers"]["back"];
  CHECK(count(breaker["opens"]) == 2);
  CHECK(count(breaker["open_at_end"]) == 2);
  CHECK(number(breaker["open_fraction"]) == doctest::Approx((470.0 + 460.0) / 2 / 500));
}

namespace {

// front calls db (one request every 10 ms, at k / 100 s) through a breaker
// that opens at the third failure in a row; db reads in 1 ms.
std::string front_and_db(const std::string& call, const std::string& faults) {
  return R"({
    "duration_s": 0.5,
    "workloads": [{ "name": "clients", "target": "front", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "front", "workers": 10,
        "handlers": { "request": [ { "call": "db", )" +
         call + R"( } ] } },
      { "type": "database", "name": "db", "workers": 10, "read_time": { "type": "constant", "value_ms": 1 },
        "write_time": { "type": "constant", "value_ms": 1 } }
    ],
    "faults": { "timeline": [ )" +
         faults + R"( ] }
  })";
}

}  // namespace

TEST_CASE("a breaker opening is a detection of the component it guards: a crash found at the Nth refused call") {
  // db crashes at 255 ms: the calls at 260, 270 and 280 ms are refused at
  // once; the third opens the breaker at 280 ms, 25 ms after the
  // crash, and that is the fault's time to detect.
  const auto r = run_scenario(front_and_db(
      R"("circuit_breaker": { "consecutive_failures": 3, "open_ms": 10000 })",
      R"({ "at_s": 0.255, "until_s": 0.4, "action": "crash", "target": "db" })"));
  const auto& fault = r["faults"]["timeline"][0];
  CHECK(number(fault["detection_s"]) == doctest::Approx(0.025).epsilon(1e-12));
  CHECK(fault["detected_by"] == "front");
  // A crashed database has no primary to read from: the calls fail with
  // no_primary; from 290 ms to the end (490 ms) they fail with circuit_open.
  CHECK(count(r["summary"]["failed"]["no_primary"]) == 3);
  CHECK(count(r["summary"]["failed"]["circuit_open"]) == 21);
  CHECK(count(r["components"]["front"]["circuit_breakers"]["db"]["opens"]) == 1);
}

TEST_CASE("a breaker detects a slowed database at the Nth timeout, the first of its openings during the fault") {
  // db slowed by 200 ms from 255 ms; front gives up after 50 ms. The calls
  // at 260, 270 and 280 ms time out at 310, 320 and 330 ms: the breaker
  // opens at 330 ms, 75 ms after the start of the slow-down.
  const auto r = run_scenario(front_and_db(
      R"("timeout_ms": 50, "circuit_breaker": { "consecutive_failures": 3, "open_ms": 10000 })",
      R"({ "at_s": 0.255, "until_s": 0.4, "action": "slow_down", "target": "db", "added_ms": 200 })"));
  const auto& fault = r["faults"]["timeline"][0];
  CHECK(number(fault["detection_s"]) == doctest::Approx(0.075).epsilon(1e-12));
  CHECK(fault["detected_by"] == "front");
  // The calls at 260 to 330 ms: the one at 330 ms went just before the
  // timeout that opened the breaker (arrivals come before timers).
  CHECK(count(r["summary"]["failed"]["timeout"]) == 8);
}

TEST_CASE("a failed probe opening the breaker again detects a fault begun while it was open") {
  // A slow-down from 5 to 100 ms: the calls at 10, 20 and 30 ms time out
  // at 60, 70 and 80 ms, and the breaker opens at 80 ms (detection 75 ms)
  // until 180 ms. db crashes at 175 ms: the probe at 180 ms is refused, and
  // the breaker opens again at 180 ms, 5 ms after the crash.
  const auto r = run_scenario(front_and_db(
      R"("timeout_ms": 50, "circuit_breaker": { "consecutive_failures": 3, "open_ms": 100 })",
      R"({ "at_s": 0.005, "until_s": 0.1, "action": "slow_down", "target": "db", "added_ms": 200 },
         { "at_s": 0.175, "until_s": 0.4, "action": "crash", "target": "db" })"));
  const auto& faults = r["faults"]["timeline"];
  CHECK(number(faults[0]["detection_s"]) == doctest::Approx(0.075).epsilon(1e-12));
  CHECK(number(faults[1]["detection_s"]) == doctest::Approx(0.005).epsilon(1e-12));
  CHECK(faults[1]["detected_by"] == "front");
}
