// tests/models/runtime/test_bulkhead.cpp: a bulkhead's limit on the calls in
// flight, exact on a timeline with constant times: a call over the limit
// fails at once (bulkhead_full) and is never made; a place comes back when
// the call's reply comes or its caller gives up on it.
#include <doctest/doctest.h>

#include <string>

#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// A request every 10 ms (k / 100 s, k = 1..99) to front, whose calls to
// back (25 ms each) may be in flight `limit` at a time; `timeout` for the call.
std::string limited(int limit, const std::string& timeout = "") {
  std::string text = R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "front", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "front", "workers": 10,
        "handlers": { "request": [ { "call": "back", )";
  text += timeout;
  text += R"("bulkhead": { "max_concurrent_calls": )";
  text += std::to_string(limit);
  text += R"( } } ] } },
      { "type": "service", "name": "back", "workers": 10, "service_time": { "type": "constant", "value_ms": 25 } }
    ]
  })";
  return text;
}

}  // namespace

TEST_CASE("a bulkhead of 2 refuses every third call when calls of 25 ms come every 10 ms") {
  // The call made at 30 ms finds those of 10 ms (until 35) and 20 ms (until
  // 45) in flight: refused. At 40 ms only the call of 20 ms is: it goes; at
  // 50 ms only that of 40 ms; at 60 ms both of 40 and 50: refused. So the
  // calls of k = 3, 6, ..., 99 fail at once: 33 of them.
  const auto r = run_scenario(limited(2));
  const auto& s = r["summary"];
  CHECK(count(s["offered"]) == 99);
  CHECK(count(s["failed"]["bulkhead_full"]) == 33);
  // 66 went; that of 980 ms is still under way at the end (until 1005 ms).
  CHECK(count(s["completed"]) == 65);
  CHECK(count(r["components"]["back"]["arrivals"]) == 66);
  const auto& b = r["components"]["front"]["bulkheads"]["back"];
  CHECK(count(b["limit"]) == 2);
  CHECK(count(b["rejected"]) == 33);
  CHECK(count(b["in_flight"]["max"]) == 2);
  // 65 calls of 25 ms and one of 20 ms to the end, over 1 s.
  CHECK(number(b["in_flight"]["mean"]) == doctest::Approx((65 * 25 + 20) / 1000.0));
}

TEST_CASE("a bulkhead of 3 never refuses a call when only 3 are ever in flight") {
  const auto r = run_scenario(limited(3));
  CHECK(count(r["summary"]["failed"]["bulkhead_full"]) == 0);
  CHECK(count(r["components"]["front"]["bulkheads"]["back"]["in_flight"]["max"]) == 3);
}

TEST_CASE("a call its caller gave up on gives its place back at the timeout, though the callee works on") {
  // With a timeout of 5 ms, a call holds its place 5 ms: never more than one
  // in flight, and none is refused by a bulkhead of 1.
  const auto r = run_scenario(limited(1, R"("timeout_ms": 5, )"));
  CHECK(count(r["summary"]["failed"]["bulkhead_full"]) == 0);
  CHECK(count(r["summary"]["failed"]["timeout"]) == 99);
  CHECK(count(r["components"]["front"]["bulkheads"]["back"]["in_flight"]["max"]) == 1);
  CHECK(count(r["components"]["back"]["arrivals"]) == 99);
}

TEST_CASE("a replica that crashes with a call in flight comes back with its bulkhead empty") {
  // The call made at 100 ms (to 105 ms) is in flight when front crashes at
  // 102 ms: it is disowned, and its reply dropped. Back at 200 ms, front's
  // bulkhead of one has its place again: every call from then goes.
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "front", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "front", "workers": 10,
        "handlers": { "request": [ { "call": "back", "bulkhead": { "max_concurrent_calls": 1 } } ] } },
      { "type": "service", "name": "back", "workers": 10, "service_time": { "type": "constant", "value_ms": 5 } }
    ],
    "faults": { "timeline": [ { "at_s": 0.102, "until_s": 0.2, "action": "crash", "target": "front" } ] }
  })");
  const auto& s = r["summary"];
  CHECK(count(s["failed"]["bulkhead_full"]) == 0);
  CHECK(count(s["failed"]["crashed"]) == 1 + 9);  // the one held at 102 ms, those of 110 to 190 ms
  CHECK(count(s["completed"]) == 99 - 10);
  CHECK(count(r["components"]["front"]["bulkheads"]["back"]["in_flight"]["max"]) == 1);
}
