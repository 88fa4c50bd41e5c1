// tests/models/runtime/test_bandwidth.cpp: message sizes on links and network
// cards with a bandwidth, exact on timelines with constant times, and the
// M/M/1 queue of a card under Poisson arrivals of exponential sizes.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/models/model_helpers.h"

using archsim::spec::Json;
using archsim::test_models::count;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// One request every 10 ms (k at 10k ms) to web, whose workers are never
// short, for 0.2 s; `sizes` goes into the operation, `web` into the service.
std::string every_10_ms(const std::string& sizes, const std::string& web, const std::string& links = "[]") {
  return R"({
    "duration_s": 0.2,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 100 },
                    "operations": [{ "name": "get" )" +
         sizes + R"( }] }],
    "links": )" + links +
         R"(,
    "components": [
      { "type": "service", "name": "web", "workers": 100, "service_time": { "type": "constant", "value_ms": 1 } )" +
         web + R"( }
    ]
  })";
}

const Json& link_between(const Json& r, const std::string& from, const std::string& to) {
  for (const auto& l : r["network"]["links"])
    if (l["from"] == from && l["to"] == to) return l;
  FAIL("no link from " << from << " to " << to);
  static const Json none;
  return none;
}

}  // namespace

TEST_CASE("a link's bandwidth: each message waits for the one before it, takes size / bandwidth, then the latency") {
  // 30,000 bytes at 10^6 bytes/s: 30 ms on the wire, three times the gap.
  // Request k is on the wire from 10 + 30 (k - 1) to 10 + 30 k, arrives 2
  // ms later, is served in 1 ms, and its reply (0 bytes) is back 2 ms after:
  // at 15 + 30 k, a latency of 15 + 20 k. By 0.2 s, k = 1..6 are back
  // (35, 55, ..., 135 ms: mean 85).
  const auto r = run_scenario(every_10_ms(R"(, "request_bytes": { "type": "constant", "value_bytes": 30000 })", "",
                                          R"([{ "from": "clients", "to": "web", "bandwidth_bytes_per_s": 1e6,
                                                "latency": { "type": "constant", "value_ms": 2 } }])"));
  CHECK(count(r["summary"]["completed"]) == 6);
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(85));
  CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(135));
  const Json& link = link_between(r, "clients", "web");
  CHECK(number(link["bandwidth_bytes_per_s"]) == 1e6);
  // Requests k = 1..19 were offered (at 10..190 ms); the wire was busy from
  // 10 ms to the end: 190 of 200 ms. Request k waited 20 (k - 1) ms: 180 on
  // average.
  const Json& q = link["requests"];
  CHECK(count(q["messages"]) == 19);
  CHECK(count(q["bytes"]) == 19 * 30000);
  CHECK(number(q["bytes_per_s"]) == doctest::Approx(19 * 30000 / 0.2));
  CHECK(number(q["utilization"]) == doctest::Approx(0.95));
  CHECK(number(q["wait_ms_mean"]) == doctest::Approx(180));
  // The replies have no size: never waited, never busy.
  CHECK(count(link["replies"]["messages"]) == 6);
  CHECK(number(link["replies"]["utilization"]) == 0);
  CHECK(number(link["replies"]["wait_ms_mean"]) == 0);
}

TEST_CASE("a service's card sends its replies one after another: the card, not the workers, is the bottleneck") {
  // 20,000-byte replies at 10^6 bytes/s: 20 ms each, twice the gap.
  // Request k is served from 10 k to 10 k + 1; its reply is on the card from
  // max(10 k + 1, the one before's end): the first 11-31, then 31-51, ...,
  // reply k done at 11 + 20 k, a latency of 11 + 10 k. By 0.2 s, k = 1..9
  // are back (21..101 ms: mean 61).
  const auto r = run_scenario(every_10_ms(R"(, "reply_bytes": { "type": "constant", "value_bytes": 20000 })",
                                          R"(, "bandwidth_bytes_per_s": 1e6)"));
  CHECK(count(r["summary"]["completed"]) == 9);
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(61));
  const Json& web = r["components"]["web"];
  // k = 1..19 were served; their replies took the card from 11 ms to the
  // end: 189 of 200 ms. Reply k waited 10 (k - 1) ms for the card: 90 on
  // average.
  CHECK(number(web["network_out_bytes_per_s"]) == doctest::Approx(19 * 20000 / 0.2));
  CHECK(number(web["network_out_utilization"]) == doctest::Approx(0.945));
  CHECK(number(web["network_card"]["out"]["wait_ms_mean"]) == doctest::Approx(90));
  CHECK(number(web["network_in_utilization"]) == 0);
  CHECK(number(web["utilization"]) == doctest::Approx(19 * 1.0 / 100 / 200));
  CHECK(r["bottleneck"]["component"] == "web");
  CHECK(r["bottleneck"]["resource"] == "network_out");
  CHECK(number(r["bottleneck"]["utilization"]) == doctest::Approx(0.945));
}

TEST_CASE("a service's card takes its requests in one after another before they reach a worker") {
  // 20,000-byte requests: request k is taken in from max(10 k, the one
  // before's end): 10-30, 30-50, ..., done at 10 + 20 k; served 1 ms; back
  // at 11 + 20 k, a latency of 11 + 10 k, as when the replies were big.
  const auto r = run_scenario(every_10_ms(R"(, "request_bytes": { "type": "constant", "value_bytes": 20000 })",
                                          R"(, "bandwidth_bytes_per_s": 1e6)"));
  CHECK(count(r["summary"]["completed"]) == 9);
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(61));
  const Json& web = r["components"]["web"];
  CHECK(number(web["network_in_utilization"]) == doctest::Approx(0.95));
  CHECK(number(web["network_card"]["in"]["wait_ms_mean"]) == doctest::Approx(90));
  CHECK(count(web["arrivals"]) == 9);  // the rest were still coming through the card
  CHECK(r["bottleneck"]["resource"] == "network_in");
}

TEST_CASE("a call step's sizes are its own, and a load balancer passes a request's sizes on") {
  // clients → lb → web; web calls db with 10,000-byte replies. web's card
  // (10^6 bytes/s) takes in the client's 5,000-byte request (5 ms) and db's
  // reply (10 ms), and sends the client's 2,000-byte reply (2 ms) and its
  // call to db (no size). One request at 100 ms; every hop instant:
  // 100 in (5 ms), 105-106 web, call to db (0 bytes), 106-107 db, reply in
  // 107-117, 117-118 web, reply out 118-120: 20 ms.
  const auto r = run_scenario(R"({
    "duration_s": 0.15,
    "workloads": [{ "name": "clients", "target": "lb", "arrival": { "type": "constant", "rate_qps": 10 },
                    "operations": [{ "name": "get", "request_bytes": { "type": "constant", "value_bytes": 5000 },
                                     "reply_bytes": { "type": "constant", "value_bytes": 2000 } }] }],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "web" },
      { "type": "service", "name": "web", "replicas": 2, "bandwidth_bytes_per_s": 1e6,
        "handlers": { "get": [{ "compute": { "type": "constant", "value_ms": 1 } },
                              { "call": "db", "reply_bytes": { "type": "constant", "value_bytes": 10000 } },
                              { "compute": { "type": "constant", "value_ms": 1 } }] } },
      { "type": "service", "name": "db", "service_time": { "type": "constant", "value_ms": 1 } }
    ]
  })");
  CHECK(count(r["summary"]["completed"]) == 1);
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(20));
  const Json& web = r["components"]["web"];
  CHECK(number(web["network_in_bytes_per_s"]) == doctest::Approx(15000 / 0.15));
  CHECK(number(web["network_out_bytes_per_s"]) == doctest::Approx(2000 / 0.15));
  // The replica the load balancer chose took it all; the other none.
  CHECK(number(web["network_card"]["in"]["hottest_utilization"]) == doctest::Approx(0.015 / 0.15));
  CHECK(number(web["network_in_utilization"]) == doctest::Approx(0.015 / 0.15 / 2));
}

TEST_CASE("messages without sizes pass cards and links with a bandwidth as if there were none") {
  const auto plain = run_scenario(every_10_ms("", ""));
  const auto paced = run_scenario(every_10_ms("", R"(, "bandwidth_bytes_per_s": 1e3)",
                                              R"([{ "from": "clients", "to": "web", "bandwidth_bytes_per_s": 1e3 }])"));
  CHECK(paced["summary"]["latency_ms"] == plain["summary"]["latency_ms"]);
  CHECK(paced["summary"]["completed"] == plain["summary"]["completed"]);
  CHECK(number(paced["components"]["web"]["network_out_utilization"]) == 0);
}

TEST_CASE("a card under Poisson arrivals of exponential sizes is an M/M/1 queue") {
  // 1,000 requests/s of exponential sizes with mean 1,000 bytes into a card
  // of 1.25 * 10^6 bytes/s: service rate 1,250/s, rho = 0.8; the workers
  // take no time. A request's latency is its time through the card, the
  // M/M/1 sojourn 1 / (mu - lambda) = 4 ms. 400 s in 40 intervals of 10 s:
  // the queue forgets its state in 1 / (mu (1 - sqrt rho)^2) = 0.07 s, so
  // the 40 interval means are independent batch means; the estimate must
  // lie within 4 of their standard errors (39 degrees of freedom: missed
  // by chance with probability about 3e-4). Sizes are whole bytes (the
  // rounding moves the mean by far less than the noise).
  const Json r = run_scenario(R"({
    "duration_s": 400, "warmup_s": 0, "report_interval_s": 10, "seed": 5,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "poisson", "rate_qps": 1000 },
                    "operations": [{ "name": "put", "request_bytes": { "type": "exponential", "mean_bytes": 1000 } }] }],
    "components": [
      { "type": "service", "name": "web", "workers": 64, "bandwidth_bytes_per_s": 1.25e6,
        "service_time": { "type": "constant", "value_ms": 0 } }
    ]
  })");
  const auto& columns = r["timeseries"]["columns"];
  std::size_t latency = columns.size(), utilization = columns.size();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i]["name"] == "latency_mean_ms") latency = i;
    if (columns[i]["name"] == "components.web.network_in_utilization") utilization = i;
  }
  REQUIRE(latency < columns.size());
  REQUIRE(utilization < columns.size());
  const auto& rows = r["timeseries"]["rows"];
  REQUIRE(rows.size() == 40);
  const auto estimate = [&](std::size_t column) {
    double mean = 0;
    for (const auto& row : rows) mean += number(row[column]);
    mean /= static_cast<double>(rows.size());
    double squares = 0;
    for (const auto& row : rows) squares += (number(row[column]) - mean) * (number(row[column]) - mean);
    const double k = static_cast<double>(rows.size());
    return std::pair<double, double>{mean, std::sqrt(squares / (k - 1) / k)};
  };
  const auto [w, w_se] = estimate(latency);
  const auto [u, u_se] = estimate(utilization);
  INFO("W = " << w << " ms (SE " << w_se << "), utilization " << u << " (SE " << u_se << ")");
  CHECK(std::fabs(w - 4.0) < 4 * w_se);
  CHECK(std::fabs(u - 0.8) < 4 * u_se);
}

TEST_CASE("bandwidth: the same scenario and seed give the same results") {
  const std::string text = R"({
    "duration_s": 5, "seed": 9,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "poisson", "rate_qps": 500 },
                    "operations": [{ "name": "get", "reply_bytes": { "type": "lognormal", "mean_bytes": 50000, "cv": 2 } }] }],
    "network": { "bandwidth_bytes_per_s": 1e8 },
    "components": [
      { "type": "service", "name": "web", "replicas": 3, "workers": 4, "bandwidth_bytes_per_s": 1e7,
        "service_time": { "type": "exponential", "mean_ms": 2 } }
    ]
  })";
  CHECK(run_scenario(text).dump() == run_scenario(text).dump());
}

TEST_CASE("a card far too slow for its messages holds them past the end of the run, and counts without overflow") {
  // 1 GiB replies through a card of 1 byte/s: each takes 34 years, far past
  // the end; after a few, the time the card would be free saturates.
  const auto r = run_scenario(every_10_ms(R"(, "reply_bytes": { "type": "constant", "value_bytes": 1073741824 })",
                                          R"(, "bandwidth_bytes_per_s": 1)"));
  CHECK(count(r["summary"]["completed"]) == 0);
  const Json& web = r["components"]["web"];
  // Once its free time saturates, the card reads as busy all the run (the
  // 11 ms before its first reply included): the figure stays in [0, 1].
  CHECK(number(web["network_out_utilization"]) == doctest::Approx(1));
  CHECK(count(web["network_card"]["out"]["messages"]) == 19);
}
