// tests/models/runtime/test_network.cpp: link latencies on short timelines with
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

// Link faults applied during the run (Simulation::at), on the same web and
// database with every hop 1 ms. Request k (k = 1..49) leaves the client at
// 20k ms, reaches the web at 20k + 1, which calls the database at 20k + 3;
// the database replies at 20k + 9, the web at 20k + 10, and the client has
// it at 20k + 11. A call made at or after 500 ms is made by requests
// k = 25..49: 25 of them; every earlier one is over by 491 ms.

namespace {

using archsim::models::CutMode;
using archsim::models::LinkEnd;
using archsim::models::Simulation;
using archsim::models::Ways;
using archsim::sim::Time;

const std::string kOneMsHops = R"("network": { "hop_latency": { "type": "constant", "value_ms": 1 } },)";

LinkEnd end(Simulation& s, const std::string& name) { return LinkEnd::of(*s.find_node(name)); }

const archsim::spec::Json& link_counts(const archsim::spec::Json& results, const std::string& from, const std::string& to) {
  for (const auto& l : results["network"]["links"])
    if (l["from"] == from && l["to"] == to) return l;
  FAIL("no link from " << from << " to " << to);
  return results;
}

}  // namespace

TEST_CASE("a link cut with fail-fast refuses every call made on it, and the caller's request fails at once with link_down") {
  const auto r = run_scenario(web_and_database(kOneMsHops), [](Simulation& s) {
    s.register_failure_cause("link_down");  // as the fault timeline does, before the run
    s.at(Time::from_ms(500), [](Simulation& s) { s.network().cut(end(s, "web"), end(s, "db"), Ways::BothWays, CutMode::FailFast); });
  });
  const auto& summary = r["summary"];
  CHECK(count(summary["offered"]) == 49);
  CHECK(count(summary["completed"]) == 24);
  CHECK(count(summary["failed"]["link_down"]) == 25);
  CHECK(number(summary["latency_ms"]["max"]) == ms(11));  // of the successes
  // The web learns at once: it holds a refused request 2 ms (its compute).
  CHECK(count(r["components"]["web"]["failed"]) == 25);
  CHECK(count(r["components"]["db"]["arrivals"]) == 24);
  const auto& link = link_counts(r, "web", "db");
  CHECK(count(link["requests_refused"]) == 25);
  CHECK(count(link["replies_refused"]) == 0);
  CHECK(count(r["network"]["refused"]) == 25);
  CHECK(count(r["network"]["lost"]) == 0);
  CHECK(count(r["run"]["requests_in_flight_at_end"]) == 0);
}

TEST_CASE("restoring a cut link lets calls through again") {
  // Cut from 500 ms to 700 ms: calls at 20k + 3 in [500, 700) fail: k = 25..34.
  const auto r = run_scenario(web_and_database(kOneMsHops), [](Simulation& s) {
    s.register_failure_cause("link_down");  // as the fault timeline does, before the run
    s.at(Time::from_ms(500), [](Simulation& s) { s.network().cut(end(s, "web"), end(s, "db"), Ways::BothWays, CutMode::FailFast); });
    s.at(Time::from_ms(700), [](Simulation& s) { s.network().restore(end(s, "web"), end(s, "db"), Ways::BothWays); });
  });
  CHECK(count(r["summary"]["completed"]) == 39);
  CHECK(count(r["summary"]["failed"]["link_down"]) == 10);
  CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(11));
}

TEST_CASE("a cut one way reaches only the messages going that way") {
  // Replies from the database to the web are refused: the database does the
  // work of the 25 late calls all the same, and the web hears at once.
  const auto r = run_scenario(web_and_database(kOneMsHops), [](Simulation& s) {
    s.register_failure_cause("link_down");  // as the fault timeline does, before the run
    s.at(Time::from_ms(500), [](Simulation& s) { s.network().cut(end(s, "db"), end(s, "web"), Ways::OneWay, CutMode::FailFast); });
  });
  CHECK(count(r["summary"]["failed"]["link_down"]) == 25);
  CHECK(count(r["components"]["db"]["completed"]) == 49);
  const auto& link = link_counts(r, "web", "db");
  CHECK(count(link["requests_refused"]) == 0);
  CHECK(count(link["replies_refused"]) == 25);
  // Failed replies reach the web at once: 2 + 1 + 5 ms there, 1 ms back to the client.
  CHECK(number(r["components"]["web"]["latency_ms"]["max"]) == ms(9));
}

TEST_CASE("a slowed link stretches its latency: times a factor, plus what is added") {
  SUBCASE("twice as slow") {
    // web <-> db 2 ms a way instead of 1: 11 + 2 = 13 ms end to end.
    const auto r = run_scenario(web_and_database(kOneMsHops), [](Simulation& s) {
      s.network().slow(end(s, "web"), end(s, "db"), Ways::BothWays, 2, Time{});
    });
    CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms(13));
    CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(13));
  }
  SUBCASE("every link twice as slow doubles every hop") {
    const auto r = run_scenario(web_and_database(kOneMsHops), [](Simulation& s) {
      s.network().slow(end(s, "web"), end(s, "db"), Ways::BothWays, 2, Time{});
      s.network().slow(end(s, "clients"), end(s, "web"), Ways::BothWays, 2, Time{});
    });
    CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(15));  // 7 + 4 hops x 2 ms
  }
  SUBCASE("one way, with 3 ms added, from 500 ms") {
    // Calls from k = 25 on: 2 + 3 = 5 ms to the database, 1 ms back: 15 ms.
    const auto r = run_scenario(web_and_database(kOneMsHops), [](Simulation& s) {
      s.at(Time::from_ms(500), [](Simulation& s) {
        s.network().slow(end(s, "web"), end(s, "db"), Ways::OneWay, 2, Time::from_ms(3));
      });
    });
    CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(15));
    CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms((24 * 11 + 25 * 15) / 49.0));
  }
}

namespace {

// Requests every 20 ms to a web of 100 workers calling a database; the
// client and the web's call may have timeouts.
std::string web_and_database_with_timeouts(const std::string& client_timeout, const std::string& call_timeout) {
  return R"({
    "duration_s": 1,
    "network": { "hop_latency": { "type": "constant", "value_ms": 1 } },
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 50 } )" +
         client_timeout + R"( }],
    "components": [
      { "type": "service", "name": "web", "workers": 100,
        "handlers": { "request": [{ "compute": { "type": "constant", "value_ms": 2 } }, { "call": "db" )" +
         call_timeout + R"( }] } },
      { "type": "service", "name": "db", "service_time": { "type": "constant", "value_ms": 5 } }
    ]
  })";
}

}  // namespace

TEST_CASE("a lost call is released when its caller's timeout gives up on it, and only then") {
  // Calls from 500 ms on are lost; the web waits 10 ms for each, then fails
  // its request (timeout) and releases the call. Nothing is left over.
  const auto r = run_scenario(web_and_database_with_timeouts("", R"(, "timeout_ms": 10)"), [](Simulation& s) {
    s.at(Time::from_ms(500), [](Simulation& s) { s.network().cut(end(s, "web"), end(s, "db"), Ways::OneWay, CutMode::Lose); });
  });
  CHECK(count(r["summary"]["completed"]) == 24);
  CHECK(count(r["summary"]["failed"]["timeout"]) == 25);
  CHECK(r["summary"]["failed"].contains("link_down") == false);  // a lost message fails nothing by itself
  CHECK(number(r["components"]["web"]["latency_ms"]["max"]) == ms(12));  // 2 ms compute + 10 ms waiting
  CHECK(count(link_counts(r, "web", "db")["requests_lost"]) == 25);
  CHECK(count(r["network"]["lost"]) == 25);
  CHECK(count(r["run"]["requests_in_flight_at_end"]) == 0);
}

TEST_CASE("a lost call nobody times out stays in flight: its caller waits for ever") {
  // No timeouts: each of the 25 lost calls holds its own request object and
  // the client's request it was made for, to the end of the run.
  const auto r = run_scenario(web_and_database_with_timeouts("", ""), [](Simulation& s) {
    s.at(Time::from_ms(500), [](Simulation& s) { s.network().cut(end(s, "web"), end(s, "db"), Ways::OneWay, CutMode::Lose); });
  });
  CHECK(count(r["summary"]["completed"]) == 24);
  CHECK(count(r["summary"]["failed"]["total"]) == 0);
  CHECK(count(r["run"]["requests_in_flight_at_end"]) == 50);
  CHECK(count(r["components"]["web"]["concurrency"]["max"]) == 25);
}

TEST_CASE("a lost reply under a client timeout: the client gives up and the pool gets every request back") {
  // The web's replies to the client are lost from 500 ms on; the client
  // waits 15 ms, gives up, and its timeout releases each lost request.
  const auto r = run_scenario(web_and_database_with_timeouts(R"(, "timeout_ms": 15)", ""), [](Simulation& s) {
    s.at(Time::from_ms(500), [](Simulation& s) { s.network().cut(end(s, "web"), end(s, "clients"), Ways::OneWay, CutMode::Lose); });
  });
  // Replies to the client sent at 20k + 10 >= 500: k = 25..49 lost.
  CHECK(count(r["summary"]["completed"]) == 24);
  CHECK(count(r["summary"]["failed"]["timeout"]) == 25);
  CHECK(count(link_counts(r, "clients", "web")["replies_lost"]) == 25);
  CHECK(count(r["run"]["requests_in_flight_at_end"]) == 0);
}

TEST_CASE("a lossy link loses each message with its probability, from its own random stream") {
  const std::string scenario = web_and_database_with_timeouts("", R"(, "timeout_ms": 10)");
  auto lossy = [&](double loss) {
    return run_scenario(scenario, [loss](Simulation& s) {
      s.network().make_lossy(end(s, "web"), end(s, "db"), Ways::BothWays, loss);
    });
  };
  const auto half = lossy(0.5);
  const auto lost = count(half["network"]["lost"]);
  // 49 calls, each lost going or coming back: with probability 3/4 in all.
  // The web's timeout fails the request of each lost one.
  CHECK(lost > 20);
  CHECK(lost < 49);
  CHECK(count(half["summary"]["failed"]["timeout"]) == lost);
  CHECK(count(half["summary"]["completed"]) + lost == 49);
  CHECK(count(half["run"]["requests_in_flight_at_end"]) == 0);
  // No loss at all, and certain loss.
  CHECK(count(lossy(0)["summary"]["completed"]) == 49);
  CHECK(count(lossy(1)["summary"]["failed"]["timeout"]) == 49);
  CHECK(count(lossy(1)["run"]["requests_in_flight_at_end"]) == 0);
  // The same seed loses the same messages.
  CHECK(lossy(0.5).dump() == half.dump());
}

namespace {

// Requests every 20 ms (k = 1..49) through a round-robin load balancer to
// three replicas of a web that calls a database; every hop 1 ms. Request k
// goes to replica (k - 1) mod 3 and the load balancer calls it at 20k + 1.
// Replica 2 is in the west, everything else in the east.
const std::string kPlacedApart = R"({
  "duration_s": 1,
  "network": { "hop_latency": { "type": "constant", "value_ms": 1 },
               "places": { "east": ["clients", "lb", "web[0]", "web[1]", "db"], "west": ["web[2]"] } },
  "workloads": [{ "name": "clients", "target": "lb", "arrival": { "type": "constant", "rate_qps": 50 } }],
  "components": [
    { "type": "load_balancer", "name": "lb", "backend": "web" },
    { "type": "service", "name": "web", "replicas": 3,
      "handlers": { "request": [{ "compute": { "type": "constant", "value_ms": 2 } }, { "call": "db" }] } },
    { "type": "service", "name": "db", "service_time": { "type": "constant", "value_ms": 5 } }
  ]
})";

}  // namespace

TEST_CASE("places are reported per component, per replica when its replicas are apart, and in the network section") {
  const auto r = run_scenario(kPlacedApart);
  CHECK(r["components"]["lb"]["place"] == "east");
  CHECK(r["components"]["lb"].contains("place_by_replica") == false);
  CHECK(r["components"]["web"]["place"].is_null());
  CHECK(r["components"]["web"]["place_by_replica"] == archsim::spec::Json::array({"east", "east", "west"}));
  CHECK(r["components"]["db"]["place"] == "east");
  CHECK(r["network"]["places"]["west"] == archsim::spec::Json::array({"web[2]"}));
  // Places change no latency (yet): 1 + 1 + 2 + 1 + 5 + 1 + 1 + 1 ms.
  CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(13));
  // A node in no place has a null place.
  CHECK(run_scenario(web_and_database(kOneMsHops))["components"]["web"]["place"].is_null());
}

TEST_CASE("a partition between places cuts the replica placed apart, and only it") {
  // From 500 ms: calls to replica 2 (k = 27, 30, ..., 48: 8 of the requests
  // k = 25..49) are refused at the load balancer; the others go through.
  const auto r = run_scenario(kPlacedApart, [](Simulation& s) {
    s.register_failure_cause("link_down");  // as the fault timeline does, before the run
    s.at(Time::from_ms(500), [](Simulation& s) {
      const auto east = LinkEnd::in(*s.network().place("east"));
      const auto west = LinkEnd::in(*s.network().place("west"));
      s.network().cut(east, west, Ways::BothWays, CutMode::FailFast);
    });
  });
  CHECK(count(r["summary"]["failed"]["link_down"]) == 8);
  CHECK(count(r["summary"]["completed"]) == 41);
  CHECK(count(link_counts(r, "lb", "web")["requests_refused"]) == 8);
  CHECK(count(link_counts(r, "web", "db")["requests_refused"]) == 0);
  CHECK(count(r["components"]["web"]["arrivals"]) == 41);
}

TEST_CASE("a fault on one replica's link reaches only the calls the load balancer makes to it") {
  const auto r = run_scenario(kPlacedApart, [](Simulation& s) {
    s.network().slow(end(s, "lb"), LinkEnd::of(*s.find_node("web"), 1), Ways::BothWays, 1, Time::from_ms(4));
  });
  // Replica 1 (k = 2, 5, ..., 47: 16 requests) 8 ms slower: 21 ms; the rest 13.
  CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(21));
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms((16 * 21 + 33 * 13) / 49.0));
}
