// tests/models/types/data/test_shard_router.cpp: routing keys to shards and
// resharding while running, from Simulation::at and from the fault timeline.
#include <doctest/doctest.h>

#include <string>

#include "models/runtime/hash_ring.h"
#include "models/simulation/series.h"
#include "models/simulation/simulation.h"
#include "models/types/data/shard_router.h"
#include "tests/models/model_helpers.h"

using archsim::models::HashRing;
using archsim::models::ShardRouter;
using archsim::models::Simulation;
using archsim::sim::Time;
using archsim::test_models::count;
using archsim::test_models::Json;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

const char* const kShards[] = {"s0", "s1", "s2", "s3"};

// Requests every 10 ms over `keys` keys through a router to shards s0..s3,
// services of one worker taking 1 ms.
std::string sharded(const std::string& router, int keys) {
  std::string text = R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "router", "arrival": { "type": "constant", "rate_qps": 100 },
                    "keys": { "count": KEYS } }],
    "components": [ { "type": "shard_router", "name": "router", "shards": ["s0", "s1", "s2", "s3"], ROUTER })";
  text.replace(text.find("KEYS"), 4, std::to_string(keys));
  text.replace(text.find("ROUTER"), 6, router);
  for (const char* name : {"s0", "s1", "s2", "s3"}) {
    text.append(R"(, { "type": "service", "service_time": { "type": "constant", "value_ms": 1 }, "name": ")");
    text.append(name);
    text.append("\" }");
  }
  text.append("]}");
  return text;
}

}  // namespace

TEST_CASE("with ranges each key goes to the shard whose range holds it") {
  // Keys 0..3 and split points 1, 2, 3: shard i holds exactly key i, so
  // with 4 keys the shards see what the keys drew, and nothing is lost.
  const auto r = run_scenario(sharded(R"("strategy": "range", "split_points": [1, 2, 3])", 4));
  const auto& shards = r["components"]["router"]["shards"];
  std::uint64_t total = 0;
  for (int i = 0; i < 4; ++i) {
    const auto n = count(shards[i]["requests"]);
    CHECK(n == count(r["components"][kShards[i]]["arrivals"]));
    CHECK(n > 10);  // each of 4 equally likely keys, 99 draws: at least 10 with probability > 1 - 1e-6
    total += n;
  }
  CHECK(total == 99);
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == archsim::test_models::ms(1));
}

TEST_CASE("adding a shard moves the keys the new shard's arcs take with consistent hashing, most of them with mod N") {
  const auto reshard_at_half = [](Simulation& s) {
    s.at(Time::from_ms(500), [](Simulation& s) { dynamic_cast<ShardRouter&>(*s.component("router")).reshard(4); });
  };
  // Counted over the whole key space, 10,000 keys, against the ring and the
  // modulo computed here.
  const auto ch = run_scenario(sharded(R"("active_shards": 3, "virtual_nodes": 100)", 10000), reshard_at_half);
  HashRing three(100), four(100);
  for (std::uint32_t i = 0; i < 4; ++i) {
    if (i < 3) three.add(i, kShards[i]);
    four.add(i, kShards[i]);
  }
  std::uint64_t moved = 0, mod_moved = 0;
  for (std::uint64_t k = 0; k < 10000; ++k) {
    if (three.owner(k) != four.owner(k)) ++moved;
    if (HashRing::key_hash(k) % 3 != HashRing::key_hash(k) % 4) ++mod_moved;
  }
  const auto& r = ch["components"]["router"]["reshards"][0];
  CHECK(count(r["from_shards"]) == 3);
  CHECK(count(r["to_shards"]) == 4);
  CHECK(count(r["keys_counted"]) == 10000);
  CHECK(count(r["keys_moved"]) == moved);
  CHECK(count(ch["components"]["router"]["active_shards"]) == 4);
  // Only the second half's requests can reach s3.
  CHECK(count(ch["components"]["s3"]["arrivals"]) > 0);
  CHECK(count(ch["components"]["s3"]["arrivals"]) <= 50);

  const auto mod = run_scenario(sharded(R"("strategy": "hash_mod", "active_shards": 3)", 10000), reshard_at_half);
  CHECK(count(mod["components"]["router"]["reshards"][0]["keys_moved"]) == mod_moved);
  // About 3/4 against about 1/4.
  CHECK(mod_moved > 2 * moved);
}

TEST_CASE("add_shard and remove_shard on the timeline change the shard of a key from their instant on") {
  // Key 0 only, a request every 10 ms (10 to 990 ms), hash mod N over s0..s3
  // with 3 in use. At 500 ms a shard joins (4 in use), at 800 ms two leave (2
  // in use). An action at t comes before the arrival at t, so key 0 goes to
  // hash % 3 for the 49 requests sent before 500 ms, to hash % 4 for the 30
  // from 500 to 790 ms, and to hash % 2 for the 20 from 800 ms on.
  std::string text = sharded(R"("strategy": "hash_mod", "active_shards": 3)", 1);
  text.insert(text.rfind('}'), R"(, "report_interval_s": 0.1, "faults": { "timeline": [
      { "at_s": 0.5, "action": "add_shard", "target": "router" },
      { "at_s": 0.8, "action": "remove_shard", "target": "router", "shards": 2 } ] })");
  const auto r = run_scenario(text);
  const std::uint64_t hash = HashRing::key_hash(0);
  const std::size_t before = hash % 3, between = hash % 4, after = hash % 2;
  CAPTURE(before);
  CAPTURE(between);
  CAPTURE(after);
  std::uint64_t expected[4] = {0, 0, 0, 0};
  expected[before] += 49;
  expected[between] += 30;
  expected[after] += 20;
  const auto& router = r["components"]["router"];
  for (std::size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK(count(router["shards"][i]["requests"]) == expected[i]);
    CHECK(count(r["components"][kShards[i]]["arrivals"]) == expected[i]);
  }
  CHECK(count(router["active_shards"]) == 2);
  // Each reshard, at its time, with the one key of the key space counted.
  const auto& reshards = router["reshards"];
  REQUIRE(reshards.size() == 2);
  CHECK(number(reshards[0]["at_s"]) == 0.5);
  CHECK(count(reshards[0]["from_shards"]) == 3);
  CHECK(count(reshards[0]["to_shards"]) == 4);
  CHECK(count(reshards[0]["keys_counted"]) == 1);
  CHECK(count(reshards[0]["keys_moved"]) == (before != between ? 1U : 0U));
  CHECK(number(reshards[1]["at_s"]) == 0.8);
  CHECK(count(reshards[1]["from_shards"]) == 4);
  CHECK(count(reshards[1]["to_shards"]) == 2);
  CHECK(count(reshards[1]["keys_moved"]) == (between != after ? 1U : 0U));
  // Interval by interval (0.1 s each; the first holds 9 requests, the others
  // 10), the key's requests are in the column of the shard that owns it then.
  for (std::size_t i = 0; i < 4; ++i) {
    std::string name = "components.router.shards[";
    name.append(std::to_string(i)).append("].rate_qps");
    const Json column = archsim::models::series_column(r, name);
    REQUIRE(column.size() == 10);
    for (std::size_t k = 0; k < 10; ++k) {
      CAPTURE(name);
      CAPTURE(k);
      const std::size_t owner = k < 5 ? before : k < 8 ? between : after;
      const double rate = owner == i ? (k == 0 ? 90.0 : 100.0) : 0.0;
      CHECK(number(column[k]) == doctest::Approx(rate).epsilon(1e-9));
    }
  }
  // An action at an instant is in force for no time. Nothing fails after
  // it, but the run ends before the 5 s that would count as recovered, so
  // its counts run from its instant to the end: the 50 requests sent from
  // 500 ms, the 20 from 800 ms.
  const auto& actions = r["faults"]["timeline"];
  for (const auto& action : actions) {
    CHECK(action["end_s"] == action["start_s"]);
    CHECK(number(action["in_force_s"]) == 0.0);
    CHECK(count(action["failed"]["total"]) == 0);
    CHECK(action["recovery_s"].is_null());
  }
  CHECK(count(actions[0]["offered"]) == 50);
  CHECK(count(actions[0]["completed"]) == 50);
  CHECK(count(actions[1]["offered"]) == 20);
  CHECK(count(actions[1]["completed"]) == 20);
}
