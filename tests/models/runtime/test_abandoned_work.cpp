// tests/models/runtime/test_abandoned_work.cpp: work done for nobody, and
// drop_abandoned, exact on timelines with constant times.
#include <doctest/doctest.h>

#include <string>

#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// One worker, 10 ms a request, one every 5 ms (k at 5k ms), clients giving
// up after 27 ms, for 0.1 s.
std::string overloaded(bool drop) {
  return std::string(R"({
    "duration_s": 0.1,
    "workloads": [{ "name": "clients", "target": "web", "timeout_ms": 27,
                    "arrival": { "type": "constant", "rate_qps": 200 } }],
    "components": [
      { "type": "service", "name": "web", "workers": 1, "drop_abandoned": )") +
         (drop ? "true" : "false") + R"(,
        "service_time": { "type": "constant", "value_ms": 10 } }
    ]
  })";
}

}  // namespace

TEST_CASE("work for nobody: served to the end, counted as orphaned, its worker time as wasted_utilization") {
  // k starts at 10k - 5 and ends at 10k + 5, 5k + 5 ms after it was sent:
  // k = 1..4 in time (10 to 25 ms), k = 5..9 after their clients gave up
  // (k at 5k + 27), ended at 55..95 ms; k = 10 under way at the end.
  const auto r = run_scenario(overloaded(false));
  const auto& web = r["components"]["web"];
  CHECK(count(web["completed"]) == 9);
  CHECK(count(web["orphaned"]) == 5);
  CHECK(count(r["summary"]["completed"]) == 4);
  // k = 5..14 time out by 0.1 s (k = 14 at 97 ms).
  CHECK(count(r["summary"]["failed"]["timeout"]) == 10);
  // Five orphans held the worker 10 ms each: 50 ms of the run's 100.
  CHECK(number(web["wasted_utilization"]) == doctest::Approx(0.5));
  CHECK_FALSE(web.contains("abandoned_dropped"));
  CHECK_FALSE(r["summary"]["failed"].contains("abandoned"));
}

TEST_CASE("drop_abandoned: a queued request whose client has given up is dropped when the worker would take it") {
  // k = 1..4 as without dropping. At 45 k = 5 (sent at 25, given up at 52)
  // is still awaited: served 45-55, for nobody. At 55 k = 6 (gives up at
  // 57): 55-65. At 65 k = 7 (gave up at 62) is dropped, k = 8 (67) served
  // 65-75; at 75 k = 9 dropped, k = 10 served; at 85 k = 11 dropped, k = 12
  // served; at 95 k = 13 dropped, k = 14 under way at the end.
  const auto r = run_scenario(overloaded(true));
  const auto& web = r["components"]["web"];
  CHECK(count(web["abandoned_dropped"]) == 4);
  CHECK(count(web["completed"]) == 4 + 5 + 4);
  CHECK(count(web["orphaned"]) == 5 + 4);
  CHECK(count(web["failed"]) == 4);
  // The dropped held no worker: the wasted time is the five served, 50 ms.
  CHECK(number(web["wasted_utilization"]) == doctest::Approx(0.5));
  // The clients saw the same: four in time, ten timeouts; never the cause
  // abandoned, which only replies nobody waits for carry.
  CHECK(count(r["summary"]["completed"]) == 4);
  CHECK(count(r["summary"]["failed"]["timeout"]) == 10);
  CHECK(count(r["summary"]["failed"].value("abandoned", archsim::spec::Json(0))) == 0);
}

TEST_CASE("drop_abandoned: a request whose client gave up during a step is dropped before the next one") {
  // One request at 100 ms; its client gives up after 5 ms. web computes
  // 10 ms, then calls db (10 ms).
  const auto make = [](bool drop) {
    return std::string(R"({
      "duration_s": 0.15,
      "workloads": [{ "name": "clients", "target": "web", "timeout_ms": 5,
                      "arrival": { "type": "constant", "rate_qps": 10 } }],
      "components": [
        { "type": "service", "name": "web", "drop_abandoned": )") +
           (drop ? "true" : "false") + R"(,
          "handlers": { "request": [
            { "compute": { "type": "constant", "value_ms": 10 } },
            { "call": "db" } ] } },
        { "type": "service", "name": "db", "service_time": { "type": "constant", "value_ms": 10 } }
      ]
    })";
  };
  SUBCASE("without it the database is still called, for nobody") {
    const auto r = run_scenario(make(false));
    CHECK(count(r["components"]["db"]["arrivals"]) == 1);
    CHECK(count(r["components"]["db"]["orphaned"]) == 1);
    CHECK(count(r["components"]["web"]["orphaned"]) == 1);
    // web held its worker 20 ms of 150, db 10 ms.
    CHECK(number(r["components"]["web"]["wasted_utilization"]) == doctest::Approx(20.0 / 150));
    CHECK(number(r["components"]["db"]["wasted_utilization"]) == doctest::Approx(10.0 / 150));
  }
  SUBCASE("with it the call is never made") {
    const auto r = run_scenario(make(true));
    CHECK(count(r["components"]["db"]["arrivals"]) == 0);
    const auto& web = r["components"]["web"];
    CHECK(count(web["abandoned_dropped"]) == 1);
    CHECK(count(web["orphaned"]) == 1);
    CHECK(number(web["wasted_utilization"]) == doctest::Approx(10.0 / 150));
  }
}

TEST_CASE("drop_abandoned: a call whose caller still waits, for a client that has gone, fails that call") {
  // The client gives up after 5 ms; web's call to db has no timeout. db
  // (with drop_abandoned) finds at 10 ms, before its second step, that
  // nobody above web waits: web's call fails with abandoned, web leaves at
  // once (orphaned), its reply dropped by the client.
  const auto r = run_scenario(R"({
    "duration_s": 0.15,
    "workloads": [{ "name": "clients", "target": "web", "timeout_ms": 5,
                    "arrival": { "type": "constant", "rate_qps": 10 } }],
    "components": [
      { "type": "service", "name": "web", "handlers": { "request": [ { "call": "db" } ] } },
      { "type": "service", "name": "db", "drop_abandoned": true,
        "handlers": { "request": [
          { "compute": { "type": "constant", "value_ms": 10 } },
          { "compute": { "type": "constant", "value_ms": 10 } } ] } }
    ]
  })");
  const auto& db = r["components"]["db"];
  CHECK(count(db["abandoned_dropped"]) == 1);
  CHECK(number(db["latency_ms"]["mean"]) == doctest::Approx(10));
  const auto& web = r["components"]["web"];
  CHECK(count(web["orphaned"]) == 1);
  CHECK(count(web["failed"]) == 1);
  CHECK(number(web["latency_ms"]["mean"]) == doctest::Approx(10));
  CHECK(count(r["summary"]["failed"]["timeout"]) == 1);
}
