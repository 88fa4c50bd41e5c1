// tests/models/types/data/test_cdn.cpp: the CDN on short timelines with
// constant times, checked by hand: a miss goes to the origin and fills the
// edge, other requests pass through, users and edges, bytes, a crash of one
// edge, a purge, coalescing, a failed fetch, and edges placed one by one.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "models/types/data/cdn.h"
#include "sim/rng.h"
#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::Json;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// One key, no network latency: a reader asks for an image every 10 ms (10,
// 20, ..., 990 ms: 99 requests) through the CDN; `pages`, if set, adds a
// workload asking for a page (not static) every 100 ms (100, ..., 900: 9
// requests). Edges take 1 ms a hit; the origin, a service, 5 ms a request,
// with workers to spare. Values are 1000 bytes. `cdn` is added to the CDN's
// declaration, `rest` to the document.
std::string timeline(const std::string& cdn, bool pages = false, const std::string& rest = "") {
  std::string text = R"({
    "duration_s": 1,
    "workloads": [
      { "name": "reader", "target": "cdn", "arrival": { "type": "constant", "rate_qps": 100 },
        "operations": [{ "name": "image" }], "users": { "count": 1 }, "keys": { "count": 1 } })";
  if (pages)
    text += R"(,
      { "name": "pages", "target": "cdn", "arrival": { "type": "constant", "rate_qps": 10 },
        "operations": [{ "name": "page" }], "users": { "count": 1 }, "keys": { "count": 1 } })";
  text += R"(
    ],
    "components": [
      { "type": "cdn", "name": "cdn", "origin": "web", "static_operations": ["image"],
        "hit_time": { "type": "constant", "value_ms": 1 },
        "value_size": { "type": "constant", "value_bytes": 1000 })";
  text += cdn;
  text += R"( },
      { "type": "service", "name": "web", "workers": 100, "service_time": { "type": "constant", "value_ms": 5 } }
    ])";
  text += rest;
  text += "\n  }";
  return text;
}

// Replaces the first `from` in `text`, which must be there.
void replace_first(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
}

std::string faults(const std::string& entries) {
  std::string text = R"(, "faults": { "timeline": [ )";
  text += entries;
  text += " ] }";
  return text;
}

}  // namespace

TEST_CASE("a CDN's first request for a key misses and goes to the origin; the next ones hit at the edge") {
  // The request sent at 10 ms misses, the origin answers at 15 and fills the
  // edge; every later one is a hit, answered in 1 ms.
  const auto r = run_scenario(timeline(""));
  const auto& cdn = r["components"]["cdn"];
  CHECK(count(cdn["lookups"]) == 99);
  CHECK(count(cdn["hits"]) == 98);
  CHECK(count(cdn["misses"]) == 1);
  CHECK(number(cdn["hit_rate"]) == doctest::Approx(98.0 / 99));
  CHECK(count(cdn["origin_fetches"]) == 1);
  CHECK(count(cdn["origin_requests"]) == 1);
  CHECK(count(cdn["passed_through"]) == 0);
  CHECK(number(cdn["offload"]) == doctest::Approx(98.0 / 99));
  CHECK(count(r["components"]["web"]["arrivals"]) == 1);
  CHECK(number(r["workloads"]["reader"]["latency_ms"]["mean"]) == ms((5.0 + 98.0) / 99));
  CHECK(number(r["workloads"]["reader"]["latency_ms"]["max"]) == ms(5));
  CHECK(number(cdn["keys_held"]["max"]) == 1);
  CHECK(number(cdn["bytes_held"]["max"]) == 1000);
  // Bytes, exactly: 99 answers of 1000 bytes, 98 from the edge, one fetched.
  CHECK(count(cdn["bytes_served"]) == 99000);
  CHECK(count(cdn["bytes_from_edge"]) == 98000);
  CHECK(count(cdn["bytes_from_origin"]) == 1000);
  CHECK(number(cdn["byte_offload"]) == doctest::Approx(98.0 / 99));
  CHECK(count(cdn["edges"]) == 1);
  REQUIRE(cdn["by_edge"].size() == 1);
  CHECK(count(cdn["by_edge"][0]["hits"]) == 98);
  CHECK(count(cdn["by_edge"][0]["bytes_from_origin"]) == 1000);
}

TEST_CASE("a CDN sends every request of another operation, and every write, to the origin uncached") {
  SUBCASE("a dynamic operation always goes to the origin, and takes the origin's time") {
    const auto r = run_scenario(timeline("", true));
    const auto& cdn = r["components"]["cdn"];
    CHECK(count(cdn["passed_through"]) == 9);
    CHECK(count(cdn["lookups"]) == 99);
    CHECK(count(cdn["misses"]) == 1);
    CHECK(count(cdn["origin_requests"]) == 10);
    CHECK(number(cdn["offload"]) == doctest::Approx(98.0 / 99));  // of the static requests only
    CHECK(count(r["components"]["web"]["arrivals"]) == 10);
    CHECK(number(r["workloads"]["pages"]["latency_ms"]["mean"]) == ms(5));
    CHECK(number(cdn["bytes_served"]) == 99000);
  }
  SUBCASE("a write of a static operation passes through and leaves the edge's copy alone") {
    auto text = timeline("", true);
    replace_first(text, R"("operations": [{ "name": "page" }])", R"("operations": [{ "name": "image", "access": "write" }])");
    const auto r = run_scenario(text);
    const auto& cdn = r["components"]["cdn"];
    CHECK(count(cdn["passed_through"]) == 9);
    CHECK(count(cdn["misses"]) == 1);
    CHECK(count(cdn["hits"]) == 98);
  }
}

TEST_CASE("each edge has its own store: a request's user picks its edge, or the edges take turns") {
  SUBCASE("by user: users 0 and 1 hash to edge 1 and user 2 to edge 0; each edge misses once") {
    // Requests are 10 ms apart and a fill takes 5, so an edge's second
    // request always finds the key its first one fetched.
    auto text = timeline(R"(, "edges": 2)");
    replace_first(text, R"("users": { "count": 1 })", R"("users": { "count": 3 })");
    const auto r = run_scenario(text);
    const auto& cdn = r["components"]["cdn"];
    CHECK(count(cdn["misses"]) == 2);
    CHECK(count(cdn["origin_fetches"]) == 2);
    CHECK(count(cdn["hits"]) == 97);
    const auto& edges = cdn["by_edge"];
    REQUIRE(edges.size() == 2);
    CHECK(count(edges[0]["misses"]) == 1);
    CHECK(count(edges[1]["misses"]) == 1);
    CHECK(count(edges[0]["requests"]) + count(edges[1]["requests"]) == 99);
    // About a third of the requests are user 2's.
    CHECK(count(edges[0]["requests"]) > 20);
    CHECK(count(edges[0]["requests"]) < 45);
    CHECK(count(edges[0]["bytes_from_origin"]) == 1000);
    CHECK(count(edges[1]["bytes_from_origin"]) == 1000);
    CHECK(number(cdn["keys_held"]["max"]) == 2);  // one copy at each edge
  }
  SUBCASE("round robin: one user's requests alternate, 50 to edge 0 and 49 to edge 1") {
    const auto r = run_scenario(timeline(R"(, "edges": 2, "edge_choice": "round_robin")"));
    const auto& edges = r["components"]["cdn"]["by_edge"];
    CHECK(count(edges[0]["requests"]) == 50);
    CHECK(count(edges[1]["requests"]) == 49);
    CHECK(count(edges[0]["misses"]) == 1);
    CHECK(count(edges[1]["misses"]) == 1);
    CHECK(count(edges[0]["bytes_from_edge"]) == 49000);
    CHECK(count(edges[1]["bytes_from_edge"]) == 48000);
    // With two edges, each has series columns of its own.
    bool column = false;
    for (const auto& c : r["timeseries"]["columns"]) column = column || c["name"] == "components.cdn.edges[1].hit_rate";
    CHECK(column);
  }
}

TEST_CASE("a CDN's edges are its replicas: each can be placed on its own") {
  const auto r = run_scenario(
      timeline(R"(, "edges": 2)", false, R"(, "network": { "places": { "east": ["cdn[0]"], "west": ["cdn[1]", "web"] } })"));
  const auto& cdn = r["components"]["cdn"];
  REQUIRE(cdn.contains("place_by_replica"));
  CHECK(cdn["place_by_replica"].dump() == R"(["east","west"])");
}

TEST_CASE("a crash of one edge fails what it holds and refuses what comes; it restarts cold") {
  // Round robin over two edges: edge 0 takes the requests sent at 10, 30,
  // 50, ... and edge 1 those at 20, 40, ...
  const std::string turns = R"(, "edges": 2, "edge_choice": "round_robin")";
  SUBCASE("a hit under way fails; the edge is empty when it comes back") {
    // Edge 0 misses at 10 (filled at 15); the hit at 30 ends at 31, but the
    // crash at 30.5 fails it. Back at 45, edge 0 misses again at 50. Edge 1
    // is untouched: one miss.
    const auto r = run_scenario(
        timeline(turns, false,
                 faults(R"({ "at_s": 0.0305, "until_s": 0.045, "action": "crash", "target": "cdn[0]" })")));
    const auto& cdn = r["components"]["cdn"];
    CHECK(count(r["workloads"]["reader"]["failed"]["crashed"]) == 1);
    CHECK(count(r["workloads"]["reader"]["failed"]["total"]) == 1);
    CHECK(count(cdn["by_edge"][0]["misses"]) == 2);
    CHECK(count(cdn["by_edge"][1]["misses"]) == 1);
    CHECK(count(cdn["hits"]) == 96);
    CHECK(count(cdn["bytes_served"]) == 98000);
  }
  SUBCASE("requests waiting on the origin fail, and the origin's late answer fills nothing") {
    // The origin takes 50 ms. Edge 0's miss at 10 waits on it until 60; the
    // crash at 25 fails it, and the request at 30 is refused. Back at 35,
    // edge 0 misses at 50 (filled at 100), 70 and 90: the late answer at 60
    // was dropped. Edge 1 misses at 20, 40 and 60 (filled at 70, 90, 110).
    auto text = timeline(turns, false,
                         faults(R"({ "at_s": 0.025, "until_s": 0.035, "action": "crash", "target": "cdn[0]" })"));
    replace_first(text, R"("service_time": { "type": "constant", "value_ms": 5 })",
            R"("service_time": { "type": "constant", "value_ms": 50 })");
    const auto r = run_scenario(text);
    const auto& cdn = r["components"]["cdn"];
    CHECK(count(r["workloads"]["reader"]["failed"]["crashed"]) == 2);
    CHECK(count(cdn["late_replies"]) == 1);
    CHECK(count(cdn["rejected"]) == 1);
    CHECK(count(cdn["by_edge"][0]["misses"]) == 4);
    CHECK(count(cdn["by_edge"][1]["misses"]) == 3);
  }
}

TEST_CASE("with failover_after_s, a crashed edge's requests go to another edge once the crash is known") {
  SUBCASE("by user: refused until the crash is known, then served by the other edge; back home on recovery") {
    // One user, who hashes to edge 1. Edge 1 misses at 10 and hits at 20;
    // the crash at 30.5 fails the hit under way (30 to 31) and the request
    // at 40 is refused. Known 19.5 ms after the crash, at 50: the requests
    // at 50 to 490 go to edge 0, which misses at 50 (filled at 55) and hits
    // after. Edge 1 is back at 500, empty: it misses at 500 and hits after.
    const auto r = run_scenario(
        timeline(R"(, "edges": 2, "failover_after_s": 0.0195)", false,
                 faults(R"({ "at_s": 0.0305, "until_s": 0.5, "action": "crash", "target": "cdn[1]" })")));
    const auto& cdn = r["components"]["cdn"];
    const auto& edges = cdn["by_edge"];
    CHECK(count(r["workloads"]["reader"]["failed"]["crashed"]) == 2);
    CHECK(count(cdn["rejected"]) == 1);
    CHECK(count(cdn["failed_over"]) == 45);
    CHECK(count(edges[0]["requests"]) == 45);
    CHECK(count(edges[0]["failed_over"]) == 45);
    CHECK(count(edges[0]["misses"]) == 1);
    CHECK(count(edges[0]["hits"]) == 44);
    CHECK(count(edges[1]["requests"]) == 4 + 50);
    CHECK(count(edges[1]["failed_over"]) == 0);
    CHECK(count(edges[1]["misses"]) == 2);
    CHECK(count(cdn["hits"]) == 97 - 2);
    CHECK(count(cdn["origin_fetches"]) == 3);
    // The fault timeline takes the instant the crash is known as its detection.
    const auto& fault = r["faults"]["timeline"][0];
    CHECK(number(fault["detection_s"]) == doctest::Approx(0.0195));
    CHECK(fault["detected_by"] == "cdn");
  }
  SUBCASE("without it the same crash refuses every request until the edge recovers") {
    const auto r = run_scenario(
        timeline(R"(, "edges": 2)", false,
                 faults(R"({ "at_s": 0.0305, "until_s": 0.5, "action": "crash", "target": "cdn[1]" })")));
    const auto& cdn = r["components"]["cdn"];
    CHECK(count(r["workloads"]["reader"]["failed"]["crashed"]) == 1 + 46);  // the hit at 30; 40 to 490 refused
    CHECK(count(cdn["by_edge"][0]["requests"]) == 0);
    CHECK(!cdn.contains("failed_over"));
    CHECK(r["faults"]["timeline"][0]["detection_s"].is_null());
  }
  SUBCASE("round robin: the down edge's turns pass to the next edge, and the turns go on from there") {
    // Three edges, edge 1 down (and known) from 0.5 ms for the whole run:
    // 10 to edge 0, 20 to edge 2 (edge 1's turn), 30 to edge 0, 40 to edge
    // 2, ...: 50 and 49 requests, each edge missing once; nothing fails.
    const auto r = run_scenario(
        timeline(R"(, "edges": 3, "edge_choice": "round_robin", "failover_after_s": 0)", false,
                 faults(R"({ "at_s": 0.0005, "action": "crash", "target": "cdn[1]" })")));
    const auto& cdn = r["components"]["cdn"];
    const auto& edges = cdn["by_edge"];
    CHECK(count(r["workloads"]["reader"]["failed"]["total"]) == 0);
    CHECK(count(edges[0]["requests"]) == 50);
    CHECK(count(edges[1]["requests"]) == 0);
    CHECK(count(edges[2]["requests"]) == 49);
    CHECK(count(edges[2]["failed_over"]) == 49);
    CHECK(count(edges[0]["misses"]) == 1);
    CHECK(count(edges[2]["misses"]) == 1);
  }
  SUBCASE("every edge down: the requests are refused as without failover") {
    const auto r = run_scenario(timeline(R"(, "edges": 2, "failover_after_s": 0)", false,
                                         faults(R"({ "at_s": 0.5005, "action": "crash", "target": "cdn" })")));
    const auto& cdn = r["components"]["cdn"];
    CHECK(count(r["workloads"]["reader"]["failed"]["crashed"]) == 50);  // the hit at 500 under way; 510 to 990
    CHECK(count(cdn["failed_over"]) == 0);
  }
}

TEST_CASE("by user, a crashed edge's users spread over the other edges, and nobody else moves") {
  // 1,000 users over 4 edges; edge 2 down from time zero, known at once.
  // Its users (about a quarter) go to the other three, about a third each
  // (rendezvous hashing); the others keep their own edge. A user's own edge
  // is mix64(user) mod 4: computed here, independently of the CDN.
  auto text = timeline(R"(, "edges": 4, "failover_after_s": 0)", false,
                       faults(R"({ "at_s": 0, "action": "crash", "target": "cdn[2]" })"));
  replace_first(text, R"("rate_qps": 100)", R"("rate_qps": 20000)");
  replace_first(text, R"("users": { "count": 1 })", R"("users": { "count": 1000 })");
  const auto r = run_scenario(text);
  const auto& cdn = r["components"]["cdn"];
  const auto& edges = cdn["by_edge"];
  const double requests = count(cdn["arrivals"]);
  const double moved = count(cdn["failed_over"]);
  CHECK(count(r["workloads"]["reader"]["failed"]["total"]) == 0);
  CHECK(count(edges[2]["requests"]) == 0);
  std::uint64_t own_users = 0;
  for (std::uint64_t user = 0; user < 1000; ++user) own_users += archsim::sim::mix64(user) % 4 == 2;
  // Requests are drawn over the users uniformly: the moved share is edge 2's
  // users' share, within 4 standard errors of a binomial proportion.
  const double p = static_cast<double>(own_users) / 1000;
  CHECK(std::abs(moved / requests - p) < 4 * std::sqrt(p * (1 - p) / requests));
  // Each stand-in takes a third of edge 2's users, give or take a binomial
  // share over those users, and a third of their requests, give or take the
  // same over the requests: within four standard errors of both (about
  // 0.12 with some 250 users and 5,000 moved requests).
  const double users_se = std::sqrt((1.0 / 3) * (2.0 / 3) / static_cast<double>(own_users));
  const double requests_se = std::sqrt((1.0 / 3) * (2.0 / 3) / moved);
  const double tolerance = 4 * std::sqrt(users_se * users_se + requests_se * requests_se);
  CHECK(tolerance < 0.135);  // no looser than the bounds this replaced (a fifth to 47 %)
  for (int e : {0, 1, 3}) {
    const double took = count(edges[e]["failed_over"]);
    CHECK(took > 0.2 * moved);
    CHECK(took < 0.47 * moved);
    CHECK(std::abs(took / moved - 1.0 / 3) < tolerance);
  }
}

TEST_CASE("a purge empties an edge's store: the next request misses") {
  SUBCASE("the whole CDN") {
    const auto r =
        run_scenario(timeline("", false, faults(R"({ "at_s": 0.5005, "action": "flush", "target": "cdn" })")));
    const auto& cdn = r["components"]["cdn"];
    CHECK(count(cdn["misses"]) == 2);  // at 10 and 510
    CHECK(count(cdn["origin_fetches"]) == 2);
    CHECK(count(cdn["purges"]) == 1);
    CHECK(count(cdn["bytes_from_origin"]) == 2000);
  }
  SUBCASE("one edge of two: the other keeps its copy") {
    const auto r = run_scenario(timeline(R"(, "edges": 2, "edge_choice": "round_robin")", false,
                                         faults(R"({ "at_s": 0.5005, "action": "flush", "target": "cdn[1]" })")));
    const auto& edges = r["components"]["cdn"]["by_edge"];
    CHECK(count(edges[0]["misses"]) == 1);
    CHECK(count(edges[1]["misses"]) == 2);  // at 20 and 520
  }
  SUBCASE("a fetch sent before the purge fills nothing when it comes back") {
    // The origin takes 50 ms: the fetches of the misses at 10 to 40 come
    // back after the purge at 45 and are not stored; the miss at 50 fetches
    // after it and fills at 100, so the requests at 60 to 90 miss as well.
    // (Without the purge, the answer at 60 would have filled the edge.)
    auto text = timeline("", false, faults(R"({ "at_s": 0.045, "action": "flush", "target": "cdn" })"));
    replace_first(text, R"("service_time": { "type": "constant", "value_ms": 5 })",
            R"("service_time": { "type": "constant", "value_ms": 50 })");
    const auto r = run_scenario(text);
    const auto& cdn = r["components"]["cdn"];
    CHECK(count(cdn["misses"]) == 9);  // 10 to 90
    CHECK(count(cdn["hits"]) == 90);
  }
}

TEST_CASE("coalescing: concurrent misses on one key at an edge make one origin fetch") {
  // A request every millisecond (1 to 999 ms); hits take 0.1 ms, the origin
  // 5 ms. The miss at 1 fills at 6, before the request at 6 arrives: the
  // requests at 1 to 5 miss. Without coalescing each fetches; with it, the
  // four later ones wait for the first's fetch and take its answer.
  auto text = timeline("");
  replace_first(text, R"("rate_qps": 100)", R"("rate_qps": 1000)");
  replace_first(text, R"("hit_time": { "type": "constant", "value_ms": 1 })",
          R"("hit_time": { "type": "constant", "value_ms": 0.1 })");
  const auto plain = run_scenario(text);
  CHECK(count(plain["components"]["cdn"]["misses"]) == 5);
  CHECK(count(plain["components"]["cdn"]["origin_fetches"]) == 5);
  CHECK(count(plain["components"]["web"]["arrivals"]) == 5);

  replace_first(text, R"("static_operations": ["image"])", R"("static_operations": ["image"], "coalesce": true)");
  const auto r = run_scenario(text);
  const auto& cdn = r["components"]["cdn"];
  CHECK(count(cdn["misses"]) == 5);
  CHECK(count(cdn["coalesced"]) == 4);
  CHECK(count(cdn["origin_fetches"]) == 1);
  CHECK(count(r["components"]["web"]["arrivals"]) == 1);
  CHECK(number(cdn["offload"]) == doctest::Approx(998.0 / 999));
  CHECK(number(cdn["hit_rate"]) == doctest::Approx(994.0 / 999));
  // One fetch of 1000 bytes served five requests.
  CHECK(count(cdn["bytes_from_origin"]) == 1000);
  CHECK(count(cdn["bytes_served"]) == 999000);
  CHECK(count(cdn["bytes_from_edge"]) == 994000);
  // The first miss waits longest: the whole 5 ms fetch.
  CHECK(number(r["workloads"]["reader"]["latency_ms"]["max"]) == ms(5));
}

TEST_CASE("a failed origin fetch fills nothing and fails its request; the next request misses again") {
  // The origin is down from 5 to 15 ms: the miss at 10 is refused there.
  // The request at 20 misses and fetches; every later one hits.
  const auto r = run_scenario(
      timeline("", false, faults(R"({ "at_s": 0.005, "until_s": 0.015, "action": "crash", "target": "web" })")));
  const auto& cdn = r["components"]["cdn"];
  CHECK(count(cdn["misses"]) == 2);
  CHECK(count(cdn["fetch_failures"]) == 1);
  CHECK(count(cdn["hits"]) == 97);
  CHECK(count(r["workloads"]["reader"]["failed"]["crashed"]) == 1);
  CHECK(count(cdn["bytes_from_origin"]) == 1000);
  CHECK(count(cdn["bytes_served"]) == 98000);
}

TEST_CASE("an edge's capacity in bytes holds what fits: the hit rate follows from the keys and their sizes") {
  // Two keys of 600 bytes at an edge of 1000: one copy at a time, so each
  // miss evicts the other key (after the first), and every lookup of the
  // key held hits.
  auto text = timeline(R"(, "capacity_bytes": 1000)");
  replace_first(text, R"("value_bytes": 1000)", R"("value_bytes": 600)");
  replace_first(text, R"("keys": { "count": 1 })", R"("keys": { "count": 2 })");
  const auto r = run_scenario(text);
  const auto& cdn = r["components"]["cdn"];
  CHECK(number(cdn["bytes_held"]["max"]) == 600);
  CHECK(number(cdn["keys_held"]["max"]) == 1);
  CHECK(count(cdn["evictions"]) + 1 == count(cdn["misses"]));
  CHECK(count(cdn["bytes_from_origin"]) == 600 * count(cdn["misses"]));
  CHECK(count(cdn["bytes_from_edge"]) == 600 * count(cdn["hits"]));
}

TEST_CASE("an edge stores objects: an image and a script of one key are two entries") {
  // The reader asks for the image of key 0 every 10 ms, a second workload
  // for the script of key 0 every 100 ms: each misses once.
  auto text = timeline("", true);
  replace_first(text, R"("static_operations": ["image"])", R"("static_operations": ["image", "page"])");
  const auto r = run_scenario(text);
  const auto& cdn = r["components"]["cdn"];
  CHECK(count(cdn["lookups"]) == 108);
  CHECK(count(cdn["misses"]) == 2);
  CHECK(count(cdn["passed_through"]) == 0);
  CHECK(number(cdn["keys_held"]["max"]) == 2);
  CHECK(number(cdn["bytes_held"]["max"]) == 2000);
}

TEST_CASE("a crash fails the misses waiting for a coalesced fetch too; the edge fetches afresh when it is back") {
  // The origin takes 50 ms. The miss at 10 fetches (until 60); those at 20,
  // 30 and 40 wait for it. The crash at 45 fails all four, and refuses the
  // request at 50; the answer at 60 is a late reply. Back at 55, the miss
  // at 60 fetches again (until 110) and those at 70 to 100 wait for it.
  auto text = timeline(R"(, "coalesce": true)", false,
                       faults(R"({ "at_s": 0.045, "until_s": 0.055, "action": "crash", "target": "cdn" })"));
  replace_first(text, R"("service_time": { "type": "constant", "value_ms": 5 })",
                R"("service_time": { "type": "constant", "value_ms": 50 })");
  const auto r = run_scenario(text);
  const auto& cdn = r["components"]["cdn"];
  CHECK(count(r["workloads"]["reader"]["failed"]["crashed"]) == 5);
  CHECK(count(cdn["late_replies"]) == 1);
  CHECK(count(cdn["misses"]) == 9);
  CHECK(count(cdn["coalesced"]) == 7);
  CHECK(count(cdn["origin_fetches"]) == 2);
  CHECK(count(cdn["hits"]) == 89);
}

TEST_CASE("a closed-loop user keeps to its edge: the CDN leaves the request's scratch to its sender") {
  // Three users who think 10 ms: users 0 and 1 hash to edge 1, user 2 to
  // edge 0, and all three live the same timeline (a miss at 10, answered at
  // 15, then a hit every 11 ms), so edge 1 takes exactly twice edge 0's
  // requests. Both users of edge 1 miss at 10 (no coalescing).
  auto text = timeline(R"(, "edges": 2)");
  replace_first(text, R"("arrival": { "type": "constant", "rate_qps": 100 })",
                R"("arrival": { "type": "closed", "users": 3, "think_time": { "type": "constant", "value_ms": 10 } })");
  replace_first(text, R"("users": { "count": 1 }, )", "");
  const auto r = run_scenario(text);
  const auto& edges = r["components"]["cdn"]["by_edge"];
  CHECK(count(edges[1]["requests"]) == 2 * count(edges[0]["requests"]));
  CHECK(count(edges[0]["misses"]) == 1);
  CHECK(count(edges[1]["misses"]) == 2);
  CHECK(count(edges[0]["requests"]) > 80);
}

TEST_CASE("a CDN reports each static operation's hit rate") {
  // The image of key 0 every 10 ms and the page of key 0 (static too here)
  // every 100 ms: one miss each.
  auto text = timeline("", true);
  replace_first(text, R"("static_operations": ["image"])", R"("static_operations": ["image", "page"])");
  const auto r = run_scenario(text);
  const auto& ops = r["components"]["cdn"]["operations"];
  CHECK(count(ops["image"]["lookups"]) == 99);
  CHECK(count(ops["image"]["hits"]) == 98);
  CHECK(count(ops["page"]["lookups"]) == 9);
  CHECK(number(ops["page"]["hit_rate"]) == doctest::Approx(8.0 / 9));
}

TEST_CASE("an edge's store is reserved at the start: once full, it does not grow while the run goes on") {
  // 10,000 objects under Zipf, of 1,000 bytes, at edges of 100,000 bytes:
  // each edge holds a hundred objects, evicting all the time. (With sizes
  // that vary, the store's list of what one insert removed also grows, to
  // the most entries one insert has evicted so far.) From 100 ms, when
  // both edges are full and evicting, to the end, nothing grows.
  auto text = timeline(R"(, "edges": 2, "capacity_bytes": 100000)");
  replace_first(text, R"("rate_qps": 100)", R"("rate_qps": 20000)");
  replace_first(text, R"("keys": { "count": 1 })", R"("keys": { "count": 10000, "popularity": { "type": "zipf", "exponent": 0.8 } })");
  replace_first(text, R"("users": { "count": 1 })", R"("users": { "count": 100 })");
  std::vector<std::uint64_t> at_start;
  const auto r = run_scenario(text, [&at_start](archsim::models::Simulation& s) {
    s.at(archsim::sim::Time::from_ms(100), [&at_start](archsim::models::Simulation& s) {
      const auto& cdn = dynamic_cast<const archsim::models::Cdn&>(*s.component("cdn"));
      for (std::size_t e = 0; e < 2; ++e) at_start.push_back(cdn.store(e).growths());
    });
    s.at(archsim::sim::Time::from_ms(999), [&at_start](archsim::models::Simulation& s) {
      const auto& cdn = dynamic_cast<const archsim::models::Cdn&>(*s.component("cdn"));
      REQUIRE(at_start.size() == 2);
      for (std::size_t e = 0; e < 2; ++e) CHECK(cdn.store(e).growths() == at_start[e]);
    });
  });
  CHECK(count(r["components"]["cdn"]["evictions"]) > 10000);
  CHECK(count(r["components"]["cdn"]["hits"]) > 1000);
}

TEST_CASE("an edge's calls to the origin go from that edge: a link cut from one edge fails its fetches only") {
  // Round robin over two edges; the link from cdn[1] to the origin is cut
  // for the whole run. Every request at edge 1 misses (nothing ever fills
  // it) and fails with link_down; edge 0 misses once and hits after.
  const auto r = run_scenario(timeline(R"(, "edges": 2, "edge_choice": "round_robin")", false,
                                       faults(R"({ "at_s": 0.001, "action": "cut_link", "from": "cdn[1]", "to": "web" })")));
  const auto& edges = r["components"]["cdn"]["by_edge"];
  CHECK(count(r["workloads"]["reader"]["failed"]["link_down"]) == 49);
  CHECK(count(edges[1]["misses"]) == 49);
  CHECK(count(edges[0]["misses"]) == 1);
  CHECK(count(edges[0]["hits"]) == 49);
  CHECK(count(r["components"]["cdn"]["fetch_failures"]) == 49);
}

TEST_CASE("a slowed edge takes factor times as long for each hit it serves; the other edge is untouched") {
  // Round robin over two edges: edge 0 serves the requests sent at 10, 30,
  // 50, ...; slowed five times from 505 ms to 705 ms, its 10 hits at 510,
  // 530, ..., 690 take 5 ms instead of 1.
  const std::string turns = R"(, "edges": 2, "edge_choice": "round_robin")";
  const auto plain = run_scenario(timeline(turns));
  const auto slowed = run_scenario(timeline(
      turns, false, faults(R"({ "at_s": 0.505, "until_s": 0.705, "action": "slow_down", "target": "cdn[0]", "factor": 5 })")));
  const auto& p = plain["workloads"]["reader"]["latency_ms"];
  const auto& s = slowed["workloads"]["reader"]["latency_ms"];
  CHECK(count(s["count"]) == count(p["count"]));
  CHECK(number(s["mean"]) * number(s["count"]) ==
        doctest::Approx(number(p["mean"]) * number(p["count"]) + 10 * 4));
  CHECK(slowed["components"]["cdn"]["by_edge"][1] == plain["components"]["cdn"]["by_edge"][1]);
}
