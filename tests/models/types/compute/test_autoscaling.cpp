// tests/models/types/compute/test_autoscaling.cpp: a service's autoscaling on
// short timelines with constant times, every expected figure derived by hand
// in the comments.
//
// No network latency; a constant workload's k-th request (k = 1, 2, ...)
// leaves the client at k / rate_qps. At one instant a request's arrival
// comes before a decision (the Arrival phase before the Timer phase), so a
// decision at t counts the arrival at t in the window ending at t, whose
// busy time (which begins at t) falls into the next window.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "models/simulation/series.h"
#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::count_from_rate;
using archsim::test_models::number;
using archsim::test_models::run_scenario;
using archsim::test_models::Json;

namespace {

Json column(const Json& results, const std::string& name) {
  const Json c = archsim::models::series_column(results, name);
  REQUIRE(c.is_array());
  return c;
}

// One client at `rate_qps`, constant, to service `web` with one worker per
// instance serving in `service_ms`, and the given autoscaling.
std::string scaled(double duration_s, double interval_s, double rate_qps, double service_ms, int replicas,
                   const std::string& autoscaling) {
  return R"({
    "duration_s": )" + std::to_string(duration_s) + R"(,
    "report_interval_s": )" + std::to_string(interval_s) + R"(,
    "workloads": [{ "name": "clients", "target": "web",
                    "arrival": { "type": "constant", "rate_qps": )" + std::to_string(rate_qps) + R"( } }],
    "components": [{ "type": "service", "name": "web", "replicas": )" +
         std::to_string(replicas) + R"(, "workers": 1, "queue_capacity": 100000,
                     "service_time": { "type": "constant", "value_ms": )" + std::to_string(service_ms) + R"( },
                     "autoscaling": )" + autoscaling + R"( }]
  })";
}

}  // namespace

TEST_CASE("autoscaling: the first decision sizes the pool from the measured load; instances serve startup_s later") {
  // 40 qps of 10 ms requests on instances of one worker, one serving at the
  // start, slowed down twofold (20 ms) until 1.99 s. Decisions every second
  // over the last second, target 20% busy, start-up 0.5 s, cooldown 5 s.
  // t = 1: the window [0, 1] saw 39 requests (at 25, 50, ..., 975 ms) of
  //   20 ms: 0.78 workers held on average; desired ceil(0.78 / 0.2) =
  //   ceil(3.9) = 4: three instances launched, serving from 1.5 s.
  // t = 2: [1, 2] saw 40 requests of 20 ms (the one at 1.975 s ends at
  //   1.995 s): 0.8 / 0.2 = 4, as many as serve: nothing.
  // t = 3 .. 5: 40 requests of 10 ms: 0.4 / 0.2 = 2 exactly, but no
  //   scale-in within cooldown_s = 5 of the last action (1 s).
  // t = 6: drained to 2, the two highest-numbered instances.
  const std::string s = R"({
    "duration_s": 8, "report_interval_s": 0.5,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 40 } }],
    "components": [{ "type": "service", "name": "web", "workers": 1,
                     "service_time": { "type": "constant", "value_ms": 10 },
                     "autoscaling": { "target": 0.2, "max_instances": 10, "interval_s": 1, "startup_s": 0.5,
                                      "cooldown_s": 5 } }],
    "faults": { "timeline": [{ "at_s": 0, "until_s": 1.99, "action": "slow_down", "target": "web", "factor": 2 }] }
  })";
  const auto r = run_scenario(s);
  const Json serving = column(r, "components.web.instances_serving_mean");
  const Json starting = column(r, "components.web.instances_starting_mean");
  const Json desired = column(r, "components.web.instances_desired_mean");
  REQUIRE(serving.size() == 16);
  // Half-second intervals: i covers [i / 2, (i + 1) / 2].
  for (std::size_t i = 0; i < serving.size(); ++i) {
    INFO("interval " << i);
    const double want = i < 3 ? 1 : i < 12 ? 4 : 2;
    CHECK(number(serving[i]) == doctest::Approx(want));
    CHECK(number(starting[i]) == doctest::Approx(i == 2 ? 3 : 0));
    const double want_desired = i < 2 ? 1 : i < 6 ? 4 : 2;
    CHECK(number(desired[i]) == doctest::Approx(want_desired));
  }
  const auto& c = r["components"]["web"];
  CHECK(count(c["scale_outs"]) == 1);
  CHECK(count(c["instances_launched"]) == 3);
  CHECK(count(c["scale_ins"]) == 1);
  CHECK(count(c["instances_drained"]) == 2);
  const auto& a = c["autoscaling"];
  CHECK(count(a["decisions"]) == 7);
  CHECK(count(a["instances_serving"]["min"]) == 1);
  CHECK(count(a["instances_serving"]["max"]) == 4);
  // Serving: 1 × 1.5 + 4 × 4.5 + 2 × 2 = 23.5 instance-seconds over 8 s.
  CHECK(number(a["instances_serving"]["mean"]) == doctest::Approx(23.5 / 8));
  // Running (starting too): 1 × 1 + 4 × 5 + 2 × 2 = 25, plus a drained
  // instance's last request if it held one at 6 s (at most 10 ms).
  CHECK(number(a["instance_seconds"]) >= 25 - 1e-9);
  CHECK(number(a["instance_seconds"]) <= 25.01 + 1e-9);
  // The last decision (7 s) read 0.4 workers held over 2 instances' one each.
  CHECK(number(a["last_metric"]) == doctest::Approx(0.2).epsilon(0.01));
  CHECK(count(r["summary"]["failed"]["total"]) == 0);
  CHECK(count(c["completed"]) == 8 * 40 - 1);
}

TEST_CASE("autoscaling: a drained instance finishes what it holds and its queue, takes nothing new, then is off") {
  // 30 qps of 100 ms requests, round robin over two instances of one worker:
  // instance 1 gets requests 2, 4, 6, ... (every 66.7 ms from 66.7 ms) and
  // serves them back to back from 66.7 ms. The first decision, at 1 s, sees
  // 30 arrivals over 2 instance-seconds, 15 per second per instance, far
  // below the target of 1000: desired ceil(30 / 1000) = 1, and the
  // highest-numbered instance drains. It has received 15 requests (the one
  // at 1 s too), started 10 (the 10th at 966.7 ms) and finished 9: it holds
  // one and 5 wait. It finishes the 15th at 66.7 ms + 15 × 100 ms =
  // 1566.7 ms and is off. Everything after 1 s goes to instance 0.
  const auto r = run_scenario(scaled(3, 0.1, 30, 100, 2,
                                     R"({ "metric": "request_rate", "target": 1000, "min_instances": 1,
                                          "max_instances": 2, "interval_s": 1, "startup_s": 0, "cooldown_s": 0 })"));
  const auto& c = r["components"]["web"];
  REQUIRE(c["instances"].size() == 2);
  CHECK(count_from_rate(r, c["instances"][1]["throughput_qps"]) == 15);
  // Instance 0: requests 1, 3, ..., 29, then all from 31; back to back from
  // 33.3 ms, its 30th started at 2933.3 ms and is not done at 3 s: 29 done.
  CHECK(count_from_rate(r, c["instances"][0]["throughput_qps"]) == 29);
  // It held work (serving, then draining) from 0 to 1566.7 ms, its worker
  // busy from 66.7 ms on: 1.5 s of the 1.5667 s it was in service.
  CHECK(number(c["instances"][1]["in_service_s"]) == doctest::Approx(1.5 + 0.2 / 3));
  CHECK(number(c["instances"][1]["utilization"]) == doctest::Approx(1.5 / (1.5 + 0.2 / 3)));
  const Json draining = column(r, "components.web.instances_draining_mean");
  const Json replica1 = column(r, "components.web.replicas[1].throughput_qps");
  REQUIRE(draining.size() == 30);
  for (std::size_t i = 0; i < draining.size(); ++i) {
    INFO("interval " << i);
    const double want = i < 10 ? 0 : i < 15 ? 1 : i == 15 ? 0.6667 : 0;
    CHECK(number(draining[i]) == doctest::Approx(want).epsilon(1e-3));
    if (i >= 16) CHECK(number(replica1[i]) == 0);
  }
  // Running: 2 until 1566.7 ms, then 1: 4.5667 instance-seconds. The
  // workers held (instance 0 from 33.3 ms, instance 1 for 1.5 s: 4.4667 s)
  // over those of the instances holding work (the same 4.5667 s).
  CHECK(number(c["autoscaling"]["instance_seconds"]) == doctest::Approx(4.5667).epsilon(1e-4));
  CHECK(number(c["utilization"]) == doctest::Approx(4.4667 / 4.5667).epsilon(1e-4));
  CHECK(count(r["summary"]["failed"]["total"]) == 0);
}

TEST_CASE("autoscaling: the desired count is clamped to max_instances and min_instances") {
  // 150 qps of 10 ms on one worker: busy nearly all the time, so desired is
  // ceil(0.99 / 0.2) = 5, but at most 3.
  auto r = run_scenario(scaled(3, 0.5, 150, 10, 1,
                               R"({ "target": 0.2, "max_instances": 3, "interval_s": 1, "startup_s": 0 })"));
  CHECK(count(r["components"]["web"]["autoscaling"]["instances_serving"]["max"]) == 3);
  CHECK(count(r["components"]["web"]["instances_launched"]) == 2);
  // A rate far below the target asks for 1, but never fewer than 2.
  r = run_scenario(scaled(3, 0.5, 10, 10, 4,
                          R"({ "metric": "request_rate", "target": 1000, "min_instances": 2, "max_instances": 4,
                               "interval_s": 1, "startup_s": 0, "cooldown_s": 0 })"));
  const auto& a = r["components"]["web"]["autoscaling"];
  CHECK(count(a["instances_serving"]["min"]) == 2);
  CHECK(count(r["components"]["web"]["instances_drained"]) == 2);
  CHECK(count(r["components"]["web"]["scale_ins"]) == 1);
}

TEST_CASE("autoscaling: queue_length scales out on a queue; scale_in false never removes an instance") {
  // 150 qps of 10 ms on one worker: a queue that grows by 50 a second. The
  // first decision sees a mean queue of about 25, target 6: desired
  // ceil(25 / 6) = 5.
  auto r = run_scenario(scaled(2.5, 0.5, 150, 10, 1,
                               R"({ "metric": "queue_length", "target": 6, "max_instances": 8, "interval_s": 1,
                                    "startup_s": 0 })"));
  CHECK(count(r["components"]["web"]["instances_launched"]) == 4);
  // Load far below target from the start, but scale-in is off.
  r = run_scenario(scaled(3, 0.5, 10, 10, 3,
                          R"({ "metric": "request_rate", "target": 1000, "max_instances": 3, "interval_s": 1,
                               "startup_s": 0, "cooldown_s": 0, "scale_in": false })"));
  CHECK(count(r["components"]["web"]["scale_ins"]) == 0);
  CHECK(count(r["components"]["web"]["autoscaling"]["instances_serving"]["min"]) == 3);
}

TEST_CASE("autoscaling behind a load balancer: instances out of the rotation get no requests and no probes") {
  // Three instance slots, one serving at the start; 40 qps of 10 ms through
  // a round-robin load balancer that probes every 100 ms (a probe costs no
  // time). At 1 s, 0.39 workers held over target 0.3: ceil(1.3) = 2, a
  // second instance, serving at 1.5 s; then 0.4 / 0.3: 2 again. The third
  // slot stays off: sent nothing, never probed.
  const auto r = run_scenario(R"({
    "duration_s": 3, "report_interval_s": 0.5,
    "workloads": [{ "name": "clients", "target": "lb", "arrival": { "type": "constant", "rate_qps": 40 } }],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "web", "policy": "round_robin",
        "health_check": { "interval_ms": 100, "timeout_ms": 50 } },
      { "type": "service", "name": "web", "workers": 1,
        "service_time": { "type": "constant", "value_ms": 10 },
        "handlers": { "health": [{ "compute": { "type": "constant", "value_ms": 0 } }] },
        "autoscaling": { "target": 0.3, "max_instances": 3, "interval_s": 1, "startup_s": 0.5, "cooldown_s": 100 } }]
  })");
  const auto& l = r["components"]["lb"];
  REQUIRE(l["sent_qps_by_replica"].size() == 3);
  CHECK(number(l["sent_qps_by_replica"][2]) == 0);
  CHECK(number(l["sent_qps_by_replica"][1]) > 0);
  CHECK(count(r["components"]["web"]["instances_launched"]) == 1);
  // Probe rounds at 0.1, 0.2, ..., 2.9 s: 29; instance 1 is probed from
  // the round at 1.5 s (it joined just before it): 15 rounds.
  CHECK(count(l["probes_sent"]) == 29 + 15);
  CHECK(count(l["probes_failed"]) == 0);
  CHECK(count(r["summary"]["failed"]["total"]) == 0);
  // Its healthy backends follow the rotation: 1, then 2 from 1.5 s.
  const Json healthy = column(r, "components.lb.healthy_backends_mean");
  CHECK(number(healthy[2]) == doctest::Approx(1));
  CHECK(number(healthy[3]) == doctest::Approx(2));
}

TEST_CASE("autoscaling: the same scenario gives the same results") {
  const std::string s = R"({
    "duration_s": 60, "seed": 3, "report_interval_s": 5,
    "workloads": [{ "name": "clients", "target": "web",
                    "arrival": { "type": "schedule", "points": [{ "at_s": 0, "rate_qps": 100 }, { "at_s": 20, "rate_qps": 600 },
                                                               { "at_s": 40, "rate_qps": 100 }] } }],
    "components": [{ "type": "service", "name": "web", "replicas": 2, "workers": 2,
                     "service_time": { "type": "exponential", "mean_ms": 10 }, "sessions": "local",
                     "autoscaling": { "target": 0.5, "max_instances": 10, "interval_s": 2, "window_s": 4,
                                      "startup_s": 3, "cooldown_s": 5 } }]
  })";
  const auto a = run_scenario(s);
  const auto b = run_scenario(s);
  CHECK(a.dump() == b.dump());
  CHECK(count(a["components"]["web"]["scale_outs"]) > 0);
  CHECK(count(a["components"]["web"]["scale_ins"]) > 0);
}
