// tests/models/test_network.cpp: link latencies on short timelines with
// constant times, checked by hand.
//
// Every scenario: a client sends 50 requests/s at constant intervals (49 in
// the 1 s run) to a web service that computes 2 ms and calls a database that
// serves 5 ms. Without network latency a request takes 7 ms, far less than
// the 20 ms between requests, so nothing queues.
#include <doctest/doctest.h>

#include <string>

#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

std::string web_and_database(const std::string& network_and_links) {
  return R"({
    "duration_s": 1,
    )" + network_and_links +
         R"(
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 50 } }],
    "components": [
      { "type": "service", "name": "web",
        "handlers": { "request": [{ "compute": { "type": "constant", "value_ms": 2 } }, { "call": "db" }] } },
      { "type": "service", "name": "db", "service_time": { "type": "constant", "value_ms": 5 } }
    ]
  })";
}

}  // namespace

TEST_CASE("hop_latency adds twice the latency per call: there and back") {
  SUBCASE("no latency") {
    const auto r = run_scenario(web_and_database(R"("network": { "hop_latency": { "type": "constant", "value_ms": 0 } },)"));
    CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(7));
  }
  SUBCASE("1 ms a hop") {
    // Two calls (client -> web, web -> db), each 1 ms there and 1 ms back:
    // 7 + 2 x 2 x 1 = 11 ms end to end. The web holds the request from its
    // arrival to its reply: 2 + 1 + 5 + 1 = 9 ms; the database only 5 ms.
    const auto r = run_scenario(web_and_database(R"("network": { "hop_latency": { "type": "constant", "value_ms": 1 } },)"));
    CHECK(count(r["summary"]["completed"]) == 49);
    CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(11));
    CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(11));
    CHECK(number(r["components"]["web"]["latency_ms"]["max"]) == ms(9));
    CHECK(number(r["components"]["db"]["latency_ms"]["max"]) == ms(5));
  }
}

TEST_CASE("a link entry overrides hop_latency for its pair only, in both directions") {
  // hop_latency 1 ms, the web <-> database link 3 ms: 1 + 2 + 3 + 5 + 3 + 1
  // = 15 ms end to end; the web holds each request 2 + 3 + 5 + 3 = 13 ms.
  // The order of `from` and `to` does not matter: a link is one pair.
  const std::string network = R"("network": { "hop_latency": { "type": "constant", "value_ms": 1 } },)";
  for (const std::string link : {R"({ "from": "web", "to": "db", "latency": { "type": "constant", "value_ms": 3 } })",
                           R"({ "from": "db", "to": "web", "latency": { "type": "constant", "value_ms": 3 } })"}) {
    CAPTURE(link);
    const auto r = run_scenario(web_and_database(network + R"("links": [)" + link + "],"));
    CHECK(count(r["summary"]["completed"]) == 49);
    CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(15));
    CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(15));
    CHECK(number(r["components"]["web"]["latency_ms"]["max"]) == ms(13));
  }
  SUBCASE("an entry for the client's link leaves the database's alone") {
    // Client <-> web 4 ms, web <-> db the default 1 ms: 4 + 2 + 1 + 5 + 1 + 4 = 17.
    const auto r = run_scenario(web_and_database(
        network + R"("links": [{ "from": "clients", "to": "web", "latency": { "type": "constant", "value_ms": 4 } }],)"));
    CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(17));
    CHECK(number(r["components"]["web"]["latency_ms"]["max"]) == ms(9));
  }
}
