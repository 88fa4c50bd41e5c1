// tests/models/simulation/test_fault_timeline.cpp: the fault timeline of a
// scenario (`faults`), applied during the run: which requests fail while
// each action is in force, the time to recover after it, the order of
// actions and boundaries at one instant, and the causes' series columns.
// Short timelines with constant times, checked by hand.
#include <doctest/doctest.h>

#include <string>

#include "tests/models/model_helpers.h"

using archsim::spec::Json;
using archsim::test_models::count;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// Requests every 10 ms (k = 1..99, at 10k ms), no network latency, through a
// round-robin load balancer to 2 replicas of 2 workers computing 30 ms: odd
// k go to replica 0, even k to replica 1, each replica taking one request
// every 20 ms and so holding at most two at once (k and k - 2), never
// queueing. `faults` is the scenario's faults section.
std::string two_replicas(const std::string& faults, double duration_s = 1, double interval_s = 1) {
  return R"({
    "duration_s": )" + std::to_string(duration_s) + R"(,
    "report_interval_s": )" + std::to_string(interval_s) + R"(,
    "workloads": [{ "name": "clients", "target": "lb", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "web" },
      { "type": "service", "name": "web", "replicas": 2, "workers": 2,
        "service_time": { "type": "constant", "value_ms": 30 } }
    ],
    "faults": )" + faults + R"(
  })";
}

// Requests every 20 ms (k = 1..49, at 20k ms) to a web that computes 2 ms and
// calls a database serving 5 ms, every hop 1 ms: request k reaches the web
// at 20k + 1, calls the database at 20k + 3, has its reply at 20k + 10 and
// the client has it at 20k + 11. `timeout` is the client's, if any.
std::string web_and_database(const std::string& faults, const std::string& timeout = "") {
  return R"({
    "duration_s": 1,
    "report_interval_s": 0.05,
    "network": { "hop_latency": { "type": "constant", "value_ms": 1 } },
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 50 } )" +
         timeout + R"( }],
    "components": [
      { "type": "service", "name": "web",
        "handlers": { "request": [{ "compute": { "type": "constant", "value_ms": 2 } }, { "call": "db" }] } },
      { "type": "service", "name": "db", "service_time": { "type": "constant", "value_ms": 5 } }
    ],
    "faults": )" + faults + R"(
  })";
}

// The column of the time series called `name`.
Json column(const Json& results, const std::string& name) { return archsim::models::series_column(results, name); }

}  // namespace

TEST_CASE("a crash on the timeline fails what the replica holds and what reaches it until it recovers") {
  // Replica 1 down from 505 ms to 705 ms: it holds k = 48 (since 480 ms) and
  // k = 50 (since 500 ms), which fail then, and refuses k = 52..70 (even):
  // 12 crashed in all. From 705 ms it serves again.
  const auto r = run_scenario(two_replicas(R"({ "timeline": [
      { "at_s": 0.505, "until_s": 0.705, "action": "crash", "target": "web[1]" } ] })"));
  CHECK(count(r["summary"]["failed"]["crashed"]) == 12);
  CHECK(count(r["summary"]["failed"]["total"]) == 12);
  CHECK(count(r["components"]["web"]["rejected"]) == 10);
  CHECK(count(r["components"]["web"]["failed"]) == 2);
  const Json& f = r["faults"]["timeline"][0];
  CHECK(f["action"] == "crash");
  CHECK(f["target"] == "web[1]");
  CHECK(f["parameters"] == Json::object());
  CHECK(number(f["start_s"]) == 0.505);
  CHECK(number(f["end_s"]) == 0.705);
  CHECK(number(f["in_force_s"]) == doctest::Approx(0.2).epsilon(1e-12));
  // In [505, 705): sent, k = 51..70; failed, the 12; succeeded, the odd k
  // whose 30 ms end in it, k = 49..67.
  CHECK(count(f["offered"]) == 20);
  CHECK(count(f["failed"]["total"]) == 12);
  CHECK(count(f["failed"]["crashed"]) == 12);
  CHECK(count(f["completed"]) == 10);
}

TEST_CASE("a crash of the whole component lasting to the end fails everything from its start") {
  // From 505 ms: k = 49 and 50 fail at once (k = 48 too, on replica 1 until
  // 510), and every later request is refused, k = 51..99.
  const auto r = run_scenario(two_replicas(R"({ "timeline": [ { "at_s": 0.505, "action": "crash", "target": "web" } ] })"));
  CHECK(count(r["summary"]["failed"]["crashed"]) == 3 + 49);
  CHECK(count(r["summary"]["completed"]) == 47);
  const Json& f = r["faults"]["timeline"][0];
  CHECK(f["end_s"].is_null());
  CHECK(number(f["in_force_s"]) == doctest::Approx(0.495).epsilon(1e-12));
  CHECK(count(f["failed"]["crashed"]) == 52);
  CHECK(f["recovery_s"].is_null());  // it never ends
}

TEST_CASE("at one instant an action's end comes before another's start: back-to-back crashes leave the replica down") {
  // Replica 1 down 200-400 ms, then again 400-600 ms. At 400 ms the recovery
  // runs first and the second crash takes the replica down again, so it is
  // down from 200 to 600 ms: k = 18 (held since 180 ms) fails at 200, and
  // k = 20..58 (even) are refused. Were the crash run first, it would change
  // nothing and the recovery would bring the replica back at 400 ms.
  const auto r = run_scenario(two_replicas(R"({ "timeline": [
      { "at_s": 0.2, "until_s": 0.4, "action": "crash", "target": "web[1]" },
      { "at_s": 0.4, "until_s": 0.6, "action": "crash", "target": "web[1]" } ] })"));
  CHECK(count(r["summary"]["failed"]["crashed"]) == 1 + 20);
  CHECK(count(r["faults"]["timeline"][0]["failed"]["crashed"]) == 1 + 10);
  CHECK(count(r["faults"]["timeline"][1]["failed"]["crashed"]) == 10);
}

TEST_CASE("a crash's cause has its series columns from the first row, and counts in the interval after its instant") {
  // Crash at 10 s, recovery at 12 s, intervals of 1 s. At 10 s the interval
  // (9, 10] closes before the crash. Replica 1 holds k = 998 (since 9.98 s),
  // which fails at 10 s, and refuses the even k from 1000 to 1198: 51 failures
  // in the interval ending at 11 s, 50 in the one ending at 12 s, none
  // elsewhere.
  const auto r = run_scenario(
      two_replicas(R"({ "timeline": [ { "at_s": 10, "until_s": 12, "action": "crash", "target": "web[1]" } ] })", 15));
  const Json t = column(r, "t_s");
  const Json crashed = column(r, "failed.crashed");
  REQUIRE(crashed.is_array());
  REQUIRE(crashed.size() == 15);
  for (std::size_t i = 0; i < crashed.size(); ++i) {
    CAPTURE(t[i]);
    const std::uint64_t expected = t[i] == 11.0 ? 51 : t[i] == 12.0 ? 50 : 0;
    CHECK(count(crashed[i]) == expected);
  }
  // The web's own figures split the same way: the one it held fails in the
  // interval after 10 s, not the one ending at 10 s.
  const Json web_failed = column(r, "components.web.failed");
  CHECK(count(web_failed[9]) == 0);
  CHECK(count(web_failed[10]) == 1);
  CHECK(count(column(r, "components.web.rejected")[10]) == 50);
}

TEST_CASE("an action at the end of the warm-up is inside the measured window") {
  // Warm-up 0.5 s, crash of replica 1 at 0.5 s: k = 48 (held since 480 ms) and
  // k = 50..98 (even, refused) fail inside the window: 1 + 25.
  Json s = Json::parse(two_replicas(R"({ "timeline": [ { "at_s": 0.5, "action": "crash", "target": "web[1]" } ] })"));
  s["warmup_s"] = 0.5;
  const auto r = run_scenario(s.dump());
  CHECK(count(r["summary"]["failed"]["crashed"]) == 26);
  CHECK(count(r["components"]["web"]["failed"]) == 1);  // the one held, failed as the window began
  CHECK(count(r["components"]["web"]["rejected"]) == 25);
}

TEST_CASE("a slow-down on the timeline stretches the steps begun while it is in force, and only those") {
  // One worker per request (1000), constant 10 ms steps, a request every
  // 10 ms. From 300 to 600 ms steps take 3 x 10 + 2 = 32 ms: k = 30..59 (k = 30
  // arrives at 300 ms, after the slow-down begins; k = 60 at 600 ms, after it
  // ends). k = 99 would end at the run's end, 1 s, and is not counted.
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [{ "type": "service", "name": "web", "workers": 1000,
                     "service_time": { "type": "constant", "value_ms": 10 } }],
    "faults": { "timeline": [
      { "at_s": 0.3, "until_s": 0.6, "action": "slow_down", "target": "web", "factor": 3, "added_ms": 2 } ] }
  })");
  CHECK(count(r["summary"]["completed"]) == 98);
  CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(32));
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms((68 * 10 + 30 * 32) / 98.0));
  CHECK(r["faults"]["timeline"][0]["parameters"] == Json::parse(R"({ "factor": 3, "added_ms": 2 })"));
}

TEST_CASE("a cut link on the timeline refuses the calls made while it is cut; link_down has its column from the start") {
  // Calls at 20k + 3 in [500, 700): k = 25..34 fail at once with link_down.
  const auto r = run_scenario(web_and_database(
      R"({ "timeline": [ { "at_s": 0.5, "until_s": 0.7, "action": "cut_link", "from": "web", "to": "db" } ] })"));
  CHECK(count(r["summary"]["completed"]) == 39);
  CHECK(count(r["summary"]["failed"]["link_down"]) == 10);
  const Json link_down = column(r, "failed.link_down");
  REQUIRE(link_down.is_array());
  CHECK(count(link_down[0]) == 0);  // the column is there from the first interval
  const Json& f = r["faults"]["timeline"][0];
  CHECK(f["from"] == "web");
  CHECK(f["to"] == "db");
  CHECK(f["both_ways"] == true);
  CHECK(f["parameters"] == Json::parse(R"({ "mode": "fail" })"));
  CHECK(count(f["failed"]["link_down"]) == 10);
}

TEST_CASE("a cut that loses messages ends in timeouts after it; the recovery is timed from its end") {
  // The clients' requests to the web are lost from 300 to 500 ms: k = 15..24
  // (sent at 20k ms). The client gives up on each 100 ms later, at 400..580
  // ms. In force: offered k = 15..24, timed out k = 15..19 (at 400..480),
  // succeeded none (k = 14 succeeds at 291 ms). After 500 ms, intervals of
  // 50 ms: [500, 550) has the timeouts of k = 20..22 against the successes of
  // k = 25, 26; [550, 600) those of k = 23, 24 against k = 27..29; from 600
  // ms no failure. With stable_s 0.1, the clients have recovered at 600 ms,
  // 0.1 s after the end, known at 700 ms.
  const auto r = run_scenario(web_and_database(R"({
      "timeline": [ { "at_s": 0.3, "until_s": 0.5, "action": "cut_link", "from": "clients", "to": "web",
                      "both_ways": false, "mode": "lose" } ],
      "recovery": { "stable_s": 0.1 } })",
                                               R"(, "timeout_ms": 100)"));
  CHECK(count(r["summary"]["failed"]["timeout"]) == 10);
  CHECK(r["summary"]["failed"].contains("link_down") == false);  // a lost message fails nothing by itself
  const Json& f = r["faults"]["timeline"][0];
  CHECK(f["both_ways"] == false);
  CHECK(count(f["offered"]) == 10);
  CHECK(count(f["completed"]) == 0);
  CHECK(count(f["failed"]["timeout"]) == 5);
  CHECK(number(f["recovery_s"]) == doctest::Approx(0.1).epsilon(1e-12));
  CHECK(r["faults"]["recovery"] == Json::parse(R"({ "failed_ratio_max": 0.01, "stable_s": 0.1 })"));

  SUBCASE("a threshold that tolerates what follows the end counts the recovery from the end itself") {
    // At most 60 % failed: [500, 550) has 3 of 5 and [550, 600) 2 of 4.
    Json s = Json::parse(web_and_database(R"({
        "timeline": [ { "at_s": 0.3, "until_s": 0.5, "action": "cut_link", "from": "clients", "to": "web",
                        "both_ways": false, "mode": "lose" } ],
        "recovery": { "stable_s": 0.1, "failed_ratio_max": 0.6 } })",
                                              R"(, "timeout_ms": 100)"));
    CHECK(number(run_scenario(s.dump())["faults"]["timeline"][0]["recovery_s"]) == 0);
  }
  SUBCASE("a recovery that the run is too short to confirm is null") {
    Json s = Json::parse(web_and_database(R"({
        "timeline": [ { "at_s": 0.3, "until_s": 0.5, "action": "cut_link", "from": "clients", "to": "web",
                        "both_ways": false, "mode": "lose" } ],
        "recovery": { "stable_s": 0.45 } })",
                                              R"(, "timeout_ms": 100)"));
    CHECK(run_scenario(s.dump())["faults"]["timeline"][0]["recovery_s"].is_null());
  }
}

TEST_CASE("a lossy link that loses everything is a cut that loses") {
  const std::string cut = R"({ "timeline": [ { "at_s": 0.3, "until_s": 0.5, "action": "cut_link",
                                "from": "clients", "to": "web", "both_ways": false, "mode": "lose" } ] })";
  const std::string lossy = R"({ "timeline": [ { "at_s": 0.3, "until_s": 0.5, "action": "lossy_link",
                                  "from": "clients", "to": "web", "both_ways": false, "loss_fraction": 1 } ] })";
  const auto a = run_scenario(web_and_database(cut, R"(, "timeout_ms": 100)"));
  const auto b = run_scenario(web_and_database(lossy, R"(, "timeout_ms": 100)"));
  CHECK(a["summary"].dump() == b["summary"].dump());
  CHECK(a["network"].dump() == b["network"].dump());
  CHECK(count(b["network"]["lost"]) == 10);
}

TEST_CASE("actions of different kinds on one link end apart: the end of a cut leaves a slow-down in force") {
  // The web <-> database link twice as slow from 400 to 800 ms, and cut from
  // 500 to 700 ms. Calls made at 20k + 3 in [400, 800): k = 20..39; of those,
  // k = 25..34 are refused (link_down). The other ten take 2 ms more each way:
  // 13 ms end to end against 11. If the cut's end lifted every fault of the
  // link, k = 35..39 would be back at 11 ms.
  const auto r = run_scenario(web_and_database(R"({ "timeline": [
      { "at_s": 0.4, "until_s": 0.8, "action": "slow_link", "from": "web", "to": "db", "factor": 2 },
      { "at_s": 0.5, "until_s": 0.7, "action": "cut_link", "from": "web", "to": "db" } ] })"));
  CHECK(count(r["summary"]["failed"]["link_down"]) == 10);
  CHECK(count(r["summary"]["completed"]) == 39);
  CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(13));
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms((10 * 13 + 29 * 11) / 39.0));
}

TEST_CASE("a run cut short before an action begins, or before it ends, says so in its figures") {
  const std::string text = web_and_database(R"({ "timeline": [
      { "at_s": 0.3, "until_s": 0.6, "action": "cut_link", "from": "web", "to": "db" },
      { "at_s": 0.5, "until_s": 0.7, "action": "slow_link", "from": "clients", "to": "web", "added_ms": 1 } ] })");
  archsim::spec::Errors errors;
  const auto scenario = archsim::models::load_scenario(text, {}, errors);
  REQUIRE(scenario);
  archsim::models::RunOptions options;
  options.duration_s = 0.4;
  archsim::models::Simulation simulation(*scenario, options);
  simulation.run();
  const Json r = simulation.results();
  const Json& began = r["faults"]["timeline"][0];
  const Json& never = r["faults"]["timeline"][1];
  // Calls at 20k + 3 in [300, 400): k = 15..19 (k = 20 calls at 403).
  CHECK(number(began["in_force_s"]) == doctest::Approx(0.1).epsilon(1e-12));
  CHECK(count(began["failed"]["link_down"]) == 5);
  CHECK(began["recovery_s"].is_null());
  CHECK(number(never["in_force_s"]) == 0);
  CHECK(count(never["offered"]) == 0);
  CHECK(never["recovery_s"].is_null());
}

TEST_CASE("a scenario without faults has an empty timeline in its results, with the default recovery criteria") {
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "web", "arrival": { "type": "constant", "rate_qps": 10 } }],
    "components": [{ "type": "service", "name": "web", "service_time": { "type": "constant", "value_ms": 1 } }]
  })");
  CHECK(r["faults"] == Json::parse(R"({ "recovery": { "failed_ratio_max": 0.01, "stable_s": 5 }, "timeline": [] })"));
  CHECK(r["summary"]["failed"].contains("crashed") == false);
}

TEST_CASE("the same timeline with the same seed gives the same bytes, random times and every kind of action included") {
  const std::string scenario = R"({
    "duration_s": 3,
    "network": { "hop_latency": { "type": "exponential", "mean_ms": 1 },
                 "places": { "east": ["clients", "lb", "web[0]"], "west": ["web[1]", "db"] } },
    "workloads": [{ "name": "clients", "target": "lb", "arrival": { "type": "poisson", "rate_qps": 300 },
                    "timeout_ms": 40 }],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "web", "policy": "random" },
      { "type": "service", "name": "web", "replicas": 2, "workers": 4,
        "handlers": { "request": [{ "compute": { "type": "exponential", "mean_ms": 3 } },
                                  { "call": "db", "timeout_ms": 20 }] } },
      { "type": "service", "name": "db", "workers": 8, "service_time": { "type": "exponential", "mean_ms": 2 } }
    ],
    "faults": { "timeline": [
      { "at_s": 0.3, "until_s": 1.2, "action": "lossy_link", "from": "east", "to": "west", "loss_fraction": 0.2 },
      { "at_s": 0.6, "until_s": 1.2, "action": "cut_link", "from": "east", "to": "west", "both_ways": false },
      { "at_s": 0.8, "until_s": 1.2, "action": "cut_link", "from": "west", "to": "east", "both_ways": false,
        "mode": "lose" },
      { "at_s": 0.9, "until_s": 1.4, "action": "crash", "target": "web[0]" },
      { "at_s": 1.0, "action": "slow_down", "target": "db", "factor": 4 },
      { "at_s": 1.5, "until_s": 2, "action": "slow_link", "from": "lb", "to": "web[1]", "factor": 3, "added_ms": 1 }
    ] }
  })";
  const auto a = run_scenario(scenario);
  const auto b = run_scenario(scenario);
  CHECK(a.dump() == b.dump());
  CHECK(count(a["network"]["lost"]) > 0);
  CHECK(count(a["summary"]["failed"]["crashed"]) > 0);
  CHECK(count(a["summary"]["failed"]["link_down"]) > 0);
  Json other = Json::parse(scenario);
  other["seed"] = 2;
  CHECK(run_scenario(other.dump())["summary"].dump() != a["summary"].dump());
}

namespace {

// The database of tests/models/types/data/test_database.cpp: a writer every
// 100 ms and a reader every 10 ms on one key; one read replica; a write takes
// 5 ms on the primary, a read 2 ms, a replicated write arrives 10 ms after
// its commit and takes 1 ms to apply. Servers: db[0] the primary, db[1] the
// replica. `extra` goes into the database's declaration.
std::string database(const std::string& extra, const std::string& faults) {
  return R"({
    "duration_s": 1,
    "workloads": [
      { "name": "writer", "target": "db", "arrival": { "type": "constant", "rate_qps": 10 },
        "operations": [{ "name": "save", "access": "write" }], "users": { "count": 1 }, "keys": { "count": 1 } },
      { "name": "reader", "target": "db", "arrival": { "type": "constant", "rate_qps": 100 },
        "operations": [{ "name": "load" }], "users": { "count": 1 }, "keys": { "count": 1 } }
    ],
    "components": [
      { "type": "database", "name": "db", "read_replicas": 1,
        "write_time": { "type": "constant", "value_ms": 5 },
        "read_time": { "type": "constant", "value_ms": 2 },
        "replication_delay": { "type": "constant", "value_ms": 10 },
        "apply_time": { "type": "constant", "value_ms": 1 })" +
         extra + R"( }
    ],
    "faults": )" + faults + R"(
  })";
}

}  // namespace

TEST_CASE("the timeline crashes one server of a database, named by its number; the causes it may give have columns") {
  SUBCASE("the primary, with a failover after 3 ms: the write it had not shipped is lost") {
    // As in the database's own test: the primary crashes at 210 ms, the
    // replica is promoted at 213 without the write committed at 205.
    const auto r = run_scenario(database(R"(, "failover_after_s": 0.003)",
                                         R"({ "timeline": [ { "at_s": 0.21, "action": "crash", "target": "db[0]" } ] })"));
    CHECK(count(r["components"]["db"]["lost_writes"]) == 1);
    CHECK(count(r["components"]["db"]["primary_at_end"]) == 1);
    // Registered before the run: both of the database's crash causes.
    CHECK(column(r, "failed.crashed").is_array());
    CHECK(column(r, "failed.no_primary").is_array());
  }
  SUBCASE("the primary, with a failover after 10 ms: the write in the gap fails with no_primary") {
    const auto r = run_scenario(database(R"(, "failover_after_s": 0.01)",
                                         R"({ "timeline": [ { "at_s": 0.295, "action": "crash", "target": "db[0]" } ] })"));
    CHECK(count(r["summary"]["failed"]["no_primary"]) == 1);
    CHECK(count(r["faults"]["timeline"][0]["failed"]["no_primary"]) == 1);
  }
  SUBCASE("the replica, from 150 to 450 ms: its reads go to the primary, and it catches up when it recovers") {
    const auto r = run_scenario(database("", R"({ "timeline": [
        { "at_s": 0.15, "until_s": 0.45, "action": "crash", "target": "db[1]" } ] })"));
    CHECK(count(r["summary"]["failed"]["total"]) == 0);
    CHECK(count(r["components"]["db"]["stale_reads"]) == 6);
    CHECK(count(r["components"]["db"]["servers"][1]["reads"]) == 99 - 30);
  }
}

TEST_CASE("an action is judged by its own clients: the workloads whose requests reach its target") {
  // Two stacks side by side, each 100 requests/s (k at 10k ms) to a service
  // of its own computing 5 ms. a is down from 305 ms to 505 ms: it refuses
  // k = 31..50 of its clients. b is slowed five times from 305 ms to 505 ms
  // and fails nothing. Each action counts its own stack's requests only.
  const auto r = run_scenario(R"({
    "duration_s": 1, "report_interval_s": 0.1,
    "workloads": [
      { "name": "clients-a", "target": "a", "arrival": { "type": "constant", "rate_qps": 100 } },
      { "name": "clients-b", "target": "b", "arrival": { "type": "constant", "rate_qps": 100 } }],
    "components": [
      { "type": "service", "name": "a", "workers": 4, "service_time": { "type": "constant", "value_ms": 5 } },
      { "type": "service", "name": "b", "workers": 4, "service_time": { "type": "constant", "value_ms": 5 } }],
    "faults": { "timeline": [
      { "at_s": 0.305, "until_s": 0.505, "action": "crash", "target": "a" },
      { "at_s": 0.305, "until_s": 0.505, "action": "slow_down", "target": "b", "factor": 5 } ],
      "recovery": { "failed_ratio_max": 0.01, "stable_s": 0.2 } }
  })");
  const Json& crash = r["faults"]["timeline"][0];
  const Json& slow = r["faults"]["timeline"][1];
  CHECK(crash["clients"] == Json::array({"clients-a"}));
  CHECK(slow["clients"] == Json::array({"clients-b"}));
  // In [305, 505): a's clients sent k = 31..50, all refused at once, and
  // k = 30 (on a's worker since 300 ms) failed with the crash.
  CHECK(count(crash["offered"]) == 20);
  CHECK(count(crash["failed"]["total"]) == 21);
  CHECK(count(crash["completed"]) == 0);
  // b's sent the same 20 and failed none: k = 30 (its 5 ms ending at 305)
  // to k = 47 (25 ms from 470 ms) came back while it was in force.
  CHECK(count(slow["offered"]) == 20);
  CHECK(count(slow["failed"]["total"]) == 0);
  CHECK(count(slow["completed"]) == 18);
  // Nothing fails after either ends: both recover at once.
  CHECK(number(crash["recovery_s"]) == 0);
  CHECK(number(slow["recovery_s"]) == 0);
}
