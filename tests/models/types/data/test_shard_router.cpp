// tests/models/types/data/test_shard_router.cpp: routing keys to shards and
// resharding while running.
#include <doctest/doctest.h>

#include <string>

#include "models/runtime/hash_ring.h"
#include "models/simulation/simulation.h"
#include "models/types/data/shard_router.h"
#include "tests/models/model_helpers.h"

using archsim::models::HashRing;
using archsim::models::ShardRouter;
using archsim::models::Simulation;
using archsim::sim::Time;
using archsim::test_models::count;
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
