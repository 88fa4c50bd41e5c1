// tests/models/types/compute/test_service.cpp: the service pool on short timelines with
// constant times, every expected figure derived by hand in the comments.
//
// Unless a test says otherwise: no network latency, a constant workload whose
// k-th request (k = 1, 2, ...) leaves the client at k / rate_qps, and a run of
// 1 s, so the request due at exactly 1 s is not sent (events at the end time
// do not run) and 99 requests are sent at 100 qps.
#include <doctest/doctest.h>

#include "models/simulation/series.h"

#include <cstdint>
#include <string>

#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// One client sending `rate_qps` at constant intervals to a one-replica service.
std::string single_server(double rate_qps, double service_ms, int workers, int queue_capacity) {
  return R"({
    "duration_s": 1,
    "report_interval_s": 0.1,
    "workloads": [{ "name": "clients", "target": "server",
                    "arrival": { "type": "constant", "rate_qps": )" +
         std::to_string(rate_qps) + R"( } }],
    "components": [{ "type": "service", "name": "server",
                     "workers": )" +
         std::to_string(workers) + R"(, "queue_capacity": )" + std::to_string(queue_capacity) + R"(,
                     "service_time": { "type": "constant", "value_ms": )" +
         std::to_string(service_ms) + R"( } }]
  })";
}

}  // namespace

TEST_CASE("a request arriving at an idle worker does not wait: latency is the service time") {
  // Requests at 10, 20, ..., 990 ms, each served for 4 ms: the worker is idle
  // again 6 ms before the next one. All 99 finish by 994 ms.
  const auto r = run_scenario(single_server(100, 4, 1, 100));
  const auto& s = r["summary"];
  CHECK(count(s["offered"]) == 99);
  CHECK(count(s["completed"]) == 99);
  CHECK(count(s["failed"]["total"]) == 0);
  CHECK(number(s["latency_ms"]["mean"]) == ms(4));
  CHECK(number(s["latency_ms"]["p50"]) == ms(4));
  CHECK(number(s["latency_ms"]["p99"]) == ms(4));
  CHECK(number(s["latency_ms"]["max"]) == ms(4));
  const auto& c = r["components"]["server"];
  CHECK(count(c["arrivals"]) == 99);
  CHECK(count(c["completed"]) == 99);
  CHECK(number(c["throughput_qps"]) == doctest::Approx(99));
  CHECK(number(c["waited_fraction"]) == 0);
  CHECK(number(c["wait_ms"]["max"]) == 0);
  CHECK(number(c["latency_ms"]["mean"]) == ms(4));
  CHECK(number(c["queue_length"]["max"]) == 0);
  CHECK(number(c["concurrency"]["max"]) == 1);
  // Busy 99 x 4 ms of 1000 ms.
  CHECK(number(c["utilization"]) == doctest::Approx(0.396));
  CHECK(number(c["compute_utilization"]) == doctest::Approx(0.396));
  REQUIRE(c["instances"].size() == 1);
  CHECK(number(c["instances"][0]["utilization"]) == doctest::Approx(0.396));
  CHECK(number(c["instances"][0]["throughput_qps"]) == doctest::Approx(99));
  CHECK(count(r["run"]["requests_in_flight_at_end"]) == 0);
}

TEST_CASE("a worker slower than the arrivals builds a queue that grows by one every 30 ms") {
  // Arrivals A_k = 10k ms, service 15 ms, one worker. Request k starts at
  // S_k = 10 + 15 (k - 1) and leaves at D_k = 10 + 15k, so it waits
  // S_k - A_k = 5 (k - 1) and stays 5k + 10 ms. D_k < 1000 for k <= 65:
  // 65 finish, with latencies 15, 20, ..., 335 (mean 175). At the last
  // arrival (990 ms) requests 1..66 have started, so 33 wait and 34 are
  // inside. The worker is busy from 10 ms to the end: 99 % of the second.
  const auto r = run_scenario(single_server(100, 15, 1, 1000));
  const auto& s = r["summary"];
  CHECK(count(s["offered"]) == 99);
  CHECK(count(s["completed"]) == 65);
  CHECK(count(s["failed"]["total"]) == 0);
  CHECK(number(s["latency_ms"]["mean"]) == ms(175));
  CHECK(number(s["latency_ms"]["max"]) == ms(335));
  const auto& c = r["components"]["server"];
  CHECK(count(c["arrivals"]) == 99);
  CHECK(count(c["completed"]) == 65);
  CHECK(number(c["latency_ms"]["mean"]) == ms(175));
  CHECK(number(c["latency_ms"]["max"]) == ms(335));
  CHECK(number(c["queue_length"]["max"]) == 33);
  CHECK(number(c["concurrency"]["max"]) == 34);
  CHECK(number(c["utilization"]) == doctest::Approx(0.99));
  CHECK(count(r["run"]["requests_in_flight_at_end"]) == 34);
  // Wait figures cover the requests that got a worker, 1..66 (the 66th
  // started at 985 ms): waits 0, 5, ..., 325 ms, mean 162.5; all but the
  // first had to queue.
  CHECK(count(c["wait_ms"]["count"]) == 66);
  CHECK(number(c["wait_ms"]["mean"]) == ms(162.5));
  CHECK(number(c["wait_ms"]["max"]) == ms(325));
  CHECK(number(c["waited_fraction"]) == doctest::Approx(65.0 / 66));
  // Per interval of 100 ms the queue's maximum grows: at the last arrival of
  // the interval ending at 100j ms (at 100j - 10), 10j - 1 requests have
  // arrived and those starting by then number 1 + floor((100j - 20) / 15).
  const auto& max_queue = archsim::models::series_column(r, "components.server.queue_length_max");
  REQUIRE(max_queue.size() == 10);
  for (int j = 1; j <= 10; ++j) {
    const int arrived = 10 * j - 1;
    const int started = 1 + (100 * j - 20) / 15;
    CHECK(max_queue[j - 1].get<int>() == arrived - started);
  }
}

TEST_CASE("departure at t frees a worker before an arrival at t asks for one") {
  // Service 10 ms, arrivals every 10 ms, one worker and no room to queue:
  // each request leaves at the very instant the next one arrives. The
  // departure runs first, so nobody is turned away and nobody waits.
  SUBCASE("no network latency") {
    // Request k arrives at 10k and leaves at 10k + 10 < 1000 for k <= 98;
    // the 99th is in service at the end.
    const auto r = run_scenario(single_server(100, 10, 1, 0));
    const auto& c = r["components"]["server"];
    CHECK(count(c["arrivals"]) == 99);
    CHECK(count(c["rejected"]) == 0);
    CHECK(count(c["completed"]) == 98);
    CHECK(number(c["waited_fraction"]) == 0);
    CHECK(number(c["wait_ms"]["max"]) == 0);
    CHECK(number(c["latency_ms"]["max"]) == ms(10));
    CHECK(count(r["summary"]["failed"]["queue_full"]) == 0);
    CHECK(count(r["summary"]["completed"]) == 98);
    // Busy without a break from 10 ms to the end.
    CHECK(number(c["utilization"]) == doctest::Approx(0.99));
  }
  SUBCASE("a link slower than the service") {
    // Every hop takes 15 ms, so request k + 1 is put on the link (at
    // 10k + 10) before request k starts its service (at 10k + 15): the
    // arrival was scheduled first, and only the phase puts the departure
    // ahead of it. Request k reaches the server at 10k + 15 (k <= 98 before
    // the end), leaves at 10k + 25 (k <= 97) and is back at the client at
    // 10k + 40 (k <= 95).
    std::string text = single_server(100, 10, 1, 0);
    text.insert(1, R"("network": { "hop_latency": { "type": "constant", "value_ms": 15 } },)");
    const auto r = run_scenario(text);
    const auto& c = r["components"]["server"];
    CHECK(count(c["arrivals"]) == 98);
    CHECK(count(c["rejected"]) == 0);
    CHECK(count(c["completed"]) == 97);
    CHECK(number(c["wait_ms"]["max"]) == 0);
    CHECK(count(r["summary"]["completed"]) == 95);
    CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(40));
    CHECK(number(c["utilization"]) == doctest::Approx(0.975));
  }
}

TEST_CASE("requests arriving at the same instant are admitted in the order they were sent") {
  // Two clients send at the same instants, 10k ms, to a server of one worker
  // and no queue that serves 5 ms. Client a starts first, so at every 10k
  // its timer fires, and its request is put on the way, before b's. Both
  // requests reach the server at the same instant; a's, sent first, takes
  // the worker and b's is rejected: a gets 99 replies (the last at 997 ms),
  // b 99 rejections.
  SUBCASE("same link latency") {
    const auto r = run_scenario(R"({
      "duration_s": 1,
      "network": { "hop_latency": { "type": "constant", "value_ms": 1 } },
      "workloads": [
        { "name": "a", "target": "server", "arrival": { "type": "constant", "rate_qps": 100 } },
        { "name": "b", "target": "server", "arrival": { "type": "constant", "rate_qps": 100 } }
      ],
      "components": [{ "type": "service", "name": "server", "workers": 1, "queue_capacity": 0,
                       "service_time": { "type": "constant", "value_ms": 5 } }]
    })");
    CHECK(count(r["workloads"]["a"]["completed"]) == 99);
    CHECK(count(r["workloads"]["a"]["failed"]["total"]) == 0);
    CHECK(count(r["workloads"]["b"]["completed"]) == 0);
    CHECK(count(r["workloads"]["b"]["failed"]["queue_full"]) == 99);
  }
  SUBCASE("different paths") {
    // a's link to the server takes 2 ms: its request arrives at 10k + 2 and
    // was put on the way at 10k. b's goes through a relay that computes
    // 1 ms and forwards it over a 1 ms link: it also arrives at 10k + 2, but
    // was put on the way at 10k + 1, after a's. The server replies to b over
    // b's own link (0 ms).
    const auto r = run_scenario(R"({
      "duration_s": 1,
      "links": [{ "from": "a", "to": "server", "latency": { "type": "constant", "value_ms": 2 } },
                { "from": "relay", "to": "server", "latency": { "type": "constant", "value_ms": 1 } }],
      "workloads": [
        { "name": "a", "target": "server", "arrival": { "type": "constant", "rate_qps": 100 } },
        { "name": "b", "target": "relay", "arrival": { "type": "constant", "rate_qps": 100 } }
      ],
      "components": [
        { "type": "service", "name": "relay", "handlers": { "request": [
            { "compute": { "type": "constant", "value_ms": 1 } }, { "forward": "server" } ] } },
        { "type": "service", "name": "server", "workers": 1, "queue_capacity": 0,
          "service_time": { "type": "constant", "value_ms": 5 } }
      ]
    })");
    CHECK(count(r["workloads"]["a"]["completed"]) == 99);
    CHECK(number(r["workloads"]["a"]["latency_ms"]["max"]) == ms(9));
    CHECK(count(r["workloads"]["b"]["failed"]["queue_full"]) == 99);
    CHECK(count(r["components"]["server"]["rejected"]) == 99);
  }
}

TEST_CASE("the workers of a replica serve requests in parallel") {
  // Service 25 ms, arrivals every 10 ms: requests k, k+1 and k+2 overlap but
  // k has left (10k + 25) before k+3 arrives (10k + 30). Three workers serve
  // everyone at once, nobody waits; D_k = 10k + 25 < 1000 for k <= 97.
  // Busy time: 99 x 25 ms, less what runs past the end (980 -> 1005 and
  // 990 -> 1015: 20 ms), over 3 workers x 1000 ms.
  const auto r = run_scenario(single_server(100, 25, 3, 0));
  const auto& c = r["components"]["server"];
  CHECK(count(c["rejected"]) == 0);
  CHECK(count(c["completed"]) == 97);
  CHECK(number(c["concurrency"]["max"]) == 3);
  CHECK(number(c["wait_ms"]["max"]) == 0);
  CHECK(number(c["latency_ms"]["max"]) == ms(25));
  CHECK(number(c["latency_ms"]["mean"]) == ms(25));
  CHECK(number(c["utilization"]) == doctest::Approx((99 * 25 - 20) / 3000.0));
  CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(25));
}

TEST_CASE("with the queue full a request is rejected as queue_full, and the client sees the failure") {
  SUBCASE("one worker, no queue: only requests arriving at an idle worker are served") {
    // Service 25 ms, arrivals every 10 ms. Request 1 holds the worker over
    // [10, 35): 2 and 3 are turned away, 4 is served over [40, 65), and so
    // on: k = 1, 4, ..., 97 are served (33; the last leaves at 995 ms) and
    // the other 66 rejected.
    const auto r = run_scenario(single_server(100, 25, 1, 0));
    const auto& s = r["summary"];
    CHECK(count(s["offered"]) == 99);
    CHECK(count(s["completed"]) == 33);
    CHECK(count(s["failed"]["queue_full"]) == 66);
    CHECK(count(s["failed"]["timeout"]) == 0);
    CHECK(count(s["failed"]["total"]) == 66);
    CHECK(number(s["success_ratio"]) == doctest::Approx(1.0 / 3));
    CHECK(number(s["latency_ms"]["max"]) == ms(25));
    const auto& c = r["components"]["server"];
    CHECK(count(c["arrivals"]) == 99);
    CHECK(count(c["rejected"]) == 66);
    CHECK(count(c["completed"]) == 33);
    CHECK(count(c["failed"]) == 0);  // rejected requests never started
    CHECK(number(c["queue_length"]["max"]) == 0);
    CHECK(count(r["run"]["requests_in_flight_at_end"]) == 0);
    // The time series, in intervals of 100 ms, adds up to the same rejections.
    const auto& rejected = archsim::models::series_column(r, "components.server.rejected");
    std::uint64_t total = 0;
    for (const auto& v : rejected) total += count(v);
    CHECK(total == 66);
  }
  SUBCASE("two workers, no queue: every third request finds both busy") {
    // Service 25 ms, arrivals every 10 ms. Request 3 (30 ms) finds 1 (until
    // 35) and 2 (until 45) in service; 4 (40) and 5 (50) find a worker that
    // 1 and 2 released; 6 (60) finds 4 and 5 busy, and so on: the requests
    // with k = 0 mod 3 are rejected, 33 of 99.
    const auto r = run_scenario(single_server(100, 25, 2, 0));
    CHECK(count(r["components"]["server"]["rejected"]) == 33);
    CHECK(count(r["summary"]["failed"]["queue_full"]) == 33);
  }
}

TEST_CASE("an operation with a handler runs it; the others run the default service_time") {
  // Reads compute 2 ms, anything else the default 7 ms; both are shorter than
  // the 10 ms between arrivals, so each latency is exactly its service time.
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "server",
                    "arrival": { "type": "constant", "rate_qps": 100 },
                    "operations": [{ "name": "read", "weight": 1 }, { "name": "write", "weight": 1 }] }],
    "components": [{ "type": "service", "name": "server",
                     "service_time": { "type": "constant", "value_ms": 7 },
                     "handlers": { "read": [{ "compute": { "type": "constant", "value_ms": 2 } }] } }]
  })");
  const auto& read = r["operations"]["read"];
  const auto& write = r["operations"]["write"];
  CHECK(count(read["completed"]) + count(write["completed"]) == 99);
  CHECK(count(read["completed"]) > 0);
  CHECK(count(write["completed"]) > 0);
  CHECK(number(read["latency_ms"]["mean"]) == ms(2));
  CHECK(number(read["latency_ms"]["max"]) == ms(2));
  CHECK(number(write["latency_ms"]["mean"]) == ms(7));
  CHECK(number(write["latency_ms"]["max"]) == ms(7));
}

TEST_CASE("a worker stays held while it waits on a call: utilization counts the wait, compute_utilization does not") {
  // Arrivals every 20 ms (k = 1..49). The web computes 2 ms, then calls the
  // database, which serves 5 ms: each request holds a web worker 7 ms, of
  // which 2 ms computing. Over 1000 ms: web busy 49 x 7 = 343 ms, computing
  // 49 x 2 = 98 ms; database busy 49 x 5 = 245 ms.
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "report_interval_s": 0.1,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 50 } }],
    "components": [
      { "type": "service", "name": "web",
        "handlers": { "request": [{ "compute": { "type": "constant", "value_ms": 2 } }, { "call": "db" }] } },
      { "type": "service", "name": "db", "service_time": { "type": "constant", "value_ms": 5 } }
    ]
  })");
  CHECK(count(r["summary"]["completed"]) == 49);
  CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(7));
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(7));
  const auto& web = r["components"]["web"];
  const auto& db = r["components"]["db"];
  CHECK(number(web["latency_ms"]["max"]) == ms(7));
  CHECK(number(db["latency_ms"]["max"]) == ms(5));
  CHECK(count(db["arrivals"]) == 49);
  CHECK(number(web["utilization"]) == doctest::Approx(0.343));
  CHECK(number(web["compute_utilization"]) == doctest::Approx(0.098));
  CHECK(number(db["utilization"]) == doctest::Approx(0.245));
  CHECK(number(db["compute_utilization"]) == doctest::Approx(0.245));
}

TEST_CASE("calls in sequence add up; a parallel fan-out waits for its slowest branch") {
  // Backends a, b and c serve 3, 8 and 5 ms; the aggregator then computes
  // 1 ms. In sequence: 3 + 8 + 5 + 1 = 17 ms. In parallel: max(3, 8, 5) + 1
  // = 9 ms. Arrivals every 20 ms (49 of them), so nothing queues.
  const std::string backends = R"(
      { "type": "service", "name": "a", "service_time": { "type": "constant", "value_ms": 3 } },
      { "type": "service", "name": "b", "service_time": { "type": "constant", "value_ms": 8 } },
      { "type": "service", "name": "c", "service_time": { "type": "constant", "value_ms": 5 } })";
  const std::string head = R"({
    "duration_s": 1,
    "report_interval_s": 0.1,
    "workloads": [{ "name": "clients", "target": "aggregator", "arrival": { "type": "constant", "rate_qps": 50 } }],
    "components": [)";
  SUBCASE("sequence") {
    const auto r = run_scenario(head + R"(
      { "type": "service", "name": "aggregator", "handlers": { "request": [
          { "call": "a" }, { "call": "b" }, { "call": "c" },
          { "compute": { "type": "constant", "value_ms": 1 } } ] } },)" +
                                backends + "]}");
    CHECK(count(r["summary"]["completed"]) == 49);
    CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(17));
    CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(17));
  }
  SUBCASE("parallel") {
    const auto r = run_scenario(head + R"(
      { "type": "service", "name": "aggregator", "handlers": { "request": [
          { "parallel": [{ "call": "a" }, { "call": "b" }, { "call": "c" }] },
          { "compute": { "type": "constant", "value_ms": 1 } } ] } },)" +
                                backends + "]}");
    CHECK(count(r["summary"]["completed"]) == 49);
    CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(9));
    CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(9));
    const auto& agg = r["components"]["aggregator"];
    for (const char* backend : {"a", "b", "c"}) CHECK(count(r["components"][backend]["completed"]) == 49);
    // Held 9 ms per request, computing 1 ms of it.
    CHECK(number(agg["utilization"]) == doctest::Approx(49 * 9 / 1000.0));
    CHECK(number(agg["compute_utilization"]) == doctest::Approx(49 * 1 / 1000.0));
  }
}

TEST_CASE("forward frees the worker and the next component replies to the original caller") {
  // Every hop takes 1 ms. The front computes 2 ms and forwards to the back,
  // which serves 5 ms and replies straight to the client over the client's
  // link: 1 + 2 + 1 + 5 + 1 = 10 ms. The front holds each request only from
  // its arrival to the forward: 2 ms. Arrivals every 20 ms (49).
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "report_interval_s": 0.1,
    "network": { "hop_latency": { "type": "constant", "value_ms": 1 } },
    "workloads": [{ "name": "clients", "target": "front", "arrival": { "type": "constant", "rate_qps": 50 } }],
    "components": [
      { "type": "service", "name": "front", "handlers": { "request": [
          { "compute": { "type": "constant", "value_ms": 2 } }, { "forward": "back" } ] } },
      { "type": "service", "name": "back", "service_time": { "type": "constant", "value_ms": 5 } }
    ]
  })");
  CHECK(count(r["summary"]["completed"]) == 49);
  CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(10));
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(10));
  const auto& front = r["components"]["front"];
  CHECK(count(front["completed"]) == 49);
  CHECK(number(front["latency_ms"]["max"]) == ms(2));
  CHECK(number(front["utilization"]) == doctest::Approx(49 * 2 / 1000.0));
  CHECK(count(r["components"]["back"]["completed"]) == 49);
  CHECK(number(r["components"]["back"]["latency_ms"]["max"]) == ms(5));
  CHECK(count(r["run"]["requests_in_flight_at_end"]) == 0);
}

TEST_CASE("a request forwarded under another operation is counted under the operation the client asked for") {
  // The front computes 2 ms and forwards "get" as "lookup"; the back serves
  // lookups in 5 ms. Arrivals every 20 ms (49): each "get" succeeds in 7 ms.
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "front", "arrival": { "type": "constant", "rate_qps": 50 },
                    "operations": [{ "name": "get" }] }],
    "components": [
      { "type": "service", "name": "front", "handlers": { "get": [
          { "compute": { "type": "constant", "value_ms": 2 } }, { "forward": "back", "operation": "lookup" } ] } },
      { "type": "service", "name": "back", "handlers": { "lookup": [{ "compute": { "type": "constant", "value_ms": 5 } }] } }
    ]
  })");
  const auto& get = r["operations"]["get"];
  CHECK(count(get["offered"]) == 49);
  CHECK(count(get["completed"]) == 49);
  CHECK(number(get["latency_ms"]["max"]) == ms(7));
  CHECK(count(r["summary"]["completed"]) == 49);
  CHECK(count(r["components"]["back"]["completed"]) == 49);
}

TEST_CASE("a failure downstream goes back to the client and skips the caller's remaining steps") {
  // Arrivals every 10 ms at the web (10 workers: never short of one). The web
  // computes 1 ms, calls the database, then computes 5 ms. The database has
  // one worker, no queue and a 25 ms service: of its arrivals at 10k + 1 it
  // serves k = 1, 4, ..., 97 (33) and rejects the other 66, as in the
  // bounded-queue test. A rejection returns at once: the web request fails
  // after 1 ms and skips its last 5 ms. A served one takes 1 + 25 + 5 = 31 ms
  // and finishes at 10k + 31 < 1000 for k <= 94: 32 of them (request 97 is
  // still computing at the end).
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "report_interval_s": 0.1,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "web", "workers": 10, "handlers": { "request": [
          { "compute": { "type": "constant", "value_ms": 1 } },
          { "call": "db" },
          { "compute": { "type": "constant", "value_ms": 5 } } ] } },
      { "type": "service", "name": "db", "workers": 1, "queue_capacity": 0,
        "service_time": { "type": "constant", "value_ms": 25 } }
    ]
  })");
  const auto& s = r["summary"];
  CHECK(count(s["offered"]) == 99);
  CHECK(count(s["completed"]) == 32);
  CHECK(count(s["failed"]["queue_full"]) == 66);
  CHECK(count(s["failed"]["total"]) == 66);
  CHECK(number(s["latency_ms"]["max"]) == ms(31));
  CHECK(number(s["latency_ms"]["mean"]) == ms(31));
  const auto& db = r["components"]["db"];
  CHECK(count(db["arrivals"]) == 99);
  CHECK(count(db["rejected"]) == 66);
  CHECK(count(db["completed"]) == 33);
  const auto& web = r["components"]["web"];
  CHECK(count(web["arrivals"]) == 99);
  CHECK(count(web["completed"]) == 98);
  CHECK(count(web["failed"]) == 66);
  // Residence: 66 failures of 1 ms and 32 successes of 31 ms.
  CHECK(number(web["latency_ms"]["mean"]) == doctest::Approx((66 * 1 + 32 * 31) / 98.0));
  // Computing: 1 ms for each of the 99, 5 ms for the 32 that finished and
  // 4 ms (996 to 1000) for request 97. Had the failures not skipped their
  // last step, they would add 66 x 5 ms.
  CHECK(number(web["compute_utilization"]) == doctest::Approx((99 + 32 * 5 + 4) / 10000.0));
}

TEST_CASE("a reply that ends a handler frees the worker before an arrival at the same instant asks for one") {
  // web has one worker and no queue; its handler is a single call to db (8 ms).
  // Request k reaches web at 10k + 2 (client link 2 ms) and its reply comes
  // back from db at 10k + 2 + 1 + 8 + 1 = 10k + 12, the very instant request
  // k + 1 arrives. The reply is work finishing, so it runs first: the worker
  // is free again and nothing is rejected, whatever order the two events
  // were scheduled in.
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "links": [{ "from": "clients", "to": "web", "latency": { "type": "constant", "value_ms": 2 } },
              { "from": "web", "to": "db", "latency": { "type": "constant", "value_ms": 1 } }],
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "web", "workers": 1, "queue_capacity": 0, "handlers": { "request": [{ "call": "db" }] } },
      { "type": "service", "name": "db", "service_time": { "type": "constant", "value_ms": 8 } } ] })");
  CHECK(count(r["components"]["web"]["rejected"]) == 0);
  CHECK(count(r["summary"]["failed"]["queue_full"]) == 0);
  // Request k is back at the client at 10k + 14 ms: k <= 98 within 1 s.
  CHECK(count(r["summary"]["completed"]) == 98);
}
