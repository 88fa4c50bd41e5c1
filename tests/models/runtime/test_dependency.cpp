// tests/models/runtime/test_dependency.cpp: calls through a caller's dependency: a
// timeout ends the caller's wait, the callee's work goes on, and the late
// reply is recognised and dropped, even after the request it was made for
// has gone back to the pool and been reused. Constant times, checked by hand.
#include <doctest/doctest.h>

#include <string>

#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// Requests every 10 ms (k / 100 s, k = 1..99) to "front", which calls "slow"
// (`slow_ms` per request, 10 workers) with a timeout of `timeout_ms`.
std::string front_and_slow(double slow_ms, double timeout_ms) {
  return R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "front",
                    "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "front", "workers": 10,
        "handlers": { "request": [ { "call": "slow", "timeout_ms": )" +
         std::to_string(timeout_ms) + R"( } ] } },
      { "type": "service", "name": "slow", "workers": 10,
        "service_time": { "type": "constant", "value_ms": )" +
         std::to_string(slow_ms) + R"( } }
    ]
  })";
}

}  // namespace

TEST_CASE("a call that outlives its timeout fails the step with timeout, and its late reply is dropped") {
  // Each request reaches slow at k*10 ms and would take 25 ms; front stops
  // waiting at k*10 + 5 ms and fails it back to the client then. The client
  // frees the request at once, and the pool hands the same request to the
  // next arrival, 10 ms later, before the late reply (at k*10 + 25 ms) comes:
  // the reply must be recognised by its identity, not by the object.
  const auto r = run_scenario(front_and_slow(25, 5));
  const auto& s = r["summary"];
  CHECK(count(s["offered"]) == 99);
  CHECK(count(s["completed"]) == 0);
  CHECK(count(s["failed"]["timeout"]) == 99);
  const auto& front = r["components"]["front"];
  CHECK(count(front["completed"]) == 99);
  CHECK(count(front["failed"]) == 99);
  CHECK(number(front["latency_ms"]["mean"]) == ms(5));
  CHECK(number(front["latency_ms"]["max"]) == ms(5));
  // Replies to requests sent up to 970 ms came back before the end (995 ms):
  // 97 of them.
  CHECK(count(front["late_replies"]) == 97);
  // The callee did the work all the same (the last two are still running).
  CHECK(count(r["components"]["slow"]["completed"]) == 97);
  CHECK(number(r["components"]["slow"]["latency_ms"]["mean"]) == ms(25));
  // All of it wasted: nobody waited for any of those replies any more.
  CHECK(count(r["components"]["slow"]["orphaned"]) == 97);
  CHECK(number(r["components"]["slow"]["goodput_qps"]) == 0);
  CHECK(number(front["goodput_qps"]) == 0);
  // front's workers were held only while waiting on slow: 99 waits of 5 ms
  // in 1 s over 10 workers.
  CHECK(number(front["waiting_on"]["slow"]) == doctest::Approx(99 * 0.005 / 10));
  CHECK(number(front["utilization"]) == doctest::Approx(99 * 0.005 / 10));
}

TEST_CASE("a reply that beats the timeout cancels it: nothing fails, nothing is late") {
  const auto r = run_scenario(front_and_slow(3, 5));
  CHECK(count(r["summary"]["completed"]) == 99);
  CHECK(count(r["summary"]["failed"]["total"]) == 0);
  CHECK(count(r["components"]["front"]["late_replies"]) == 0);
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(3));
  // Every reply was awaited: goodput is the throughput.
  CHECK(number(r["components"]["slow"]["goodput_qps"]) == number(r["components"]["slow"]["throughput_qps"]));
  CHECK(count(r["components"]["slow"]["orphaned"]) == 0);
}

TEST_CASE("a reply at the very instant of the timeout is in time: deliveries run before timers") {
  // A reply arrives in the Departure phase and a timeout fires in the Timer
  // phase, so a reply at exactly the timeout is in time.
  const auto r = run_scenario(front_and_slow(5, 5));
  CHECK(count(r["summary"]["completed"]) == 99);
  CHECK(count(r["components"]["front"]["late_replies"]) == 0);
}
