// tests/models/runtime/test_shedding.cpp: load shedding at a server's queue
// (shed_wait_ms), exact on a timeline with constant times: a request that
// has waited longer than the target when a worker frees is dropped then,
// failed with shed, and the next one is judged.
#include <doctest/doctest.h>

#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

TEST_CASE("a request that waited longer than shed_wait_ms is dropped when a worker frees, one that waited exactly that is served") {
  // One worker, 25 ms a request, one every 10 ms (k at 10k ms), shedding
  // past 30 ms of wait, for 0.2 s:
  //   k=1 10-35; k=2 35-60 (waited 15); k=3 60-85 (waited 30: kept);
  //   at 85 k=4 (45) and k=5 (35) are shed, k=6 85-110 (25);
  //   at 110 k=7 (40) shed, k=8 110-135 (30); at 135 k=9, k=10 shed,
  //   k=11 135-160; at 160 k=12 shed, k=13 160-185; at 185 k=14, k=15
  //   shed, k=16 185-210 (under way at the end); k=17..19 still wait.
  const auto r = run_scenario(R"({
    "duration_s": 0.2,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "web", "workers": 1, "shed_wait_ms": 30,
        "service_time": { "type": "constant", "value_ms": 25 } }
    ]
  })");
  const auto& s = r["summary"];
  CHECK(count(s["offered"]) == 19);
  CHECK(count(s["completed"]) == 7);
  CHECK(count(s["failed"]["shed"]) == 8);
  const auto& web = r["components"]["web"];
  CHECK(count(web["shed"]) == 8);
  CHECK(count(web["rejected"]) == 0);
  // The shed requests left (failed) after their wait: 45, 35, 40, 45, 35,
  // 40, 45, 35 ms; the served ones after 25, 40, 55, 50, 55, 50, 55 ms.
  CHECK(count(web["completed"]) == 15);
  CHECK(count(web["failed"]) == 8);
  CHECK(number(web["latency_ms"]["mean"]) ==
        doctest::Approx((45 + 35 + 40 + 45 + 35 + 40 + 45 + 35 + 25 + 40 + 55 + 50 + 55 + 50 + 55) / 15.0));
}

TEST_CASE("without shed_wait_ms nothing is shed and the cause is not in the results") {
  const auto r = run_scenario(R"({
    "duration_s": 0.2,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "web", "workers": 1, "service_time": { "type": "constant", "value_ms": 25 } }
    ]
  })");
  CHECK_FALSE(r["summary"]["failed"].contains("shed"));
  CHECK_FALSE(r["components"]["web"].contains("shed"));
}
