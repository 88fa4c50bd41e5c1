// tests/models/runtime/test_hash_ring.cpp: consistent hashing. The keys a
// new member takes, the keys hash mod N moves, and the spread of load with
// V virtual nodes against the ring's arcs measured independently.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "models/runtime/hash_ring.h"

using archsim::models::HashRing;

namespace {

std::string shard(std::size_t i) { return "shard-" + std::to_string(i); }

HashRing ring_of(std::size_t members, std::size_t virtual_nodes) {
  HashRing ring(virtual_nodes);
  for (std::size_t i = 0; i < members; ++i) ring.add(static_cast<std::uint32_t>(i), shard(i));
  return ring;
}

// Each member's share of the ring, from the arcs between its points and the
// points before them (a key hashing into (previous, point] goes to the
// point's member): computed from the placements alone, without the ring.
std::vector<double> arc_shares(std::size_t members, std::size_t virtual_nodes) {
  struct P {
    std::uint64_t at;
    std::size_t member;
  };
  std::vector<P> points;
  for (std::size_t m = 0; m < members; ++m)
    for (std::size_t v = 0; v < virtual_nodes; ++v) points.push_back({HashRing::point_hash(shard(m), v), m});
  std::sort(points.begin(), points.end(), [](const P& a, const P& b) { return a.at < b.at; });
  std::vector<double> share(members, 0);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::uint64_t previous = points[(i + points.size() - 1) % points.size()].at;
    const std::uint64_t arc = points[i].at - previous;  // unsigned: wraps round the ring
    share[points[i].member] += static_cast<double>(arc) / 18446744073709551616.0;
  }
  return share;
}

}  // namespace

TEST_CASE("a member added to the ring takes keys only for itself, as many as its arcs hold") {
  const std::uint64_t keys = 200000;
  const HashRing before = ring_of(4, 100);
  const HashRing after = ring_of(5, 100);
  std::uint64_t moved = 0, to_new = 0;
  for (std::uint64_t k = 0; k < keys; ++k) {
    const auto a = before.owner(k), b = after.owner(k);
    if (a != b) ++moved;
    if (a != b && b != 4) FAIL("key " << k << " moved between old members");
    if (b == 4) ++to_new;
  }
  // Exactly the new member's keys moved.
  CHECK(moved == to_new);
  // Their fraction is the new member's share of the ring, up to the keys'
  // sampling noise: sd = sqrt(p (1 - p) / keys) ~ 0.0009; 5 sd.
  const double p = arc_shares(5, 100)[4];
  CHECK(std::abs(static_cast<double>(moved) / keys - p) < 5 * std::sqrt(p * (1 - p) / keys));
  // And that share is about 1/(N+1): a member's share with V points among M
  // members has sd about 1 / (M sqrt(V)) = 0.02; 4 sd.
  CHECK(std::abs(p - 0.2) < 4 * 0.02);
}

TEST_CASE("hash mod N moves about N/(N+1) of the keys when a shard is added") {
  // h mod 4 == h mod 5 exactly when h mod 20 < 4: a fifth of the keys stay.
  const std::uint64_t keys = 200000;
  std::uint64_t moved = 0;
  for (std::uint64_t k = 0; k < keys; ++k)
    if (HashRing::key_hash(k) % 4 != HashRing::key_hash(k) % 5) ++moved;
  const double sd = std::sqrt(0.8 * 0.2 / keys);
  CHECK(std::abs(static_cast<double>(moved) / keys - 0.8) < 5 * sd);
}

TEST_CASE("the spread of load over 10 shards falls with virtual nodes, as the ring's arcs say") {
  // Keys per member over a million keys against the arcs' shares: a member
  // with share p gets p * keys, with relative sd sqrt((1 - p) / (p keys)),
  // 0.003 at p = 0.1; the max over members is compared within 6 of those.
  const std::uint64_t keys = 1000000;
  double previous_spread = 1e9;
  for (const std::size_t v : {1, 10, 100, 1000}) {
    const HashRing ring = ring_of(10, v);
    std::vector<std::uint64_t> count(10, 0);
    for (std::uint64_t k = 0; k < keys; ++k) ++count[ring.owner(k)];
    const auto shares = arc_shares(10, v);
    const double max_share = *std::max_element(shares.begin(), shares.end());
    const double spread = static_cast<double>(*std::max_element(count.begin(), count.end())) / (keys / 10.0);
    const double relative_sd = std::sqrt((1 - max_share) / (max_share * keys));
    INFO("virtual nodes " << v << ": max/mean " << spread << ", from the arcs " << max_share * 10);
    CHECK(std::abs(spread / (max_share * 10) - 1) < 6 * relative_sd);
    CHECK(spread < previous_spread);
    previous_spread = spread;
  }
  // With 1,000 points each the hottest of 10 holds within 10 % of the mean.
  CHECK(previous_spread < 1.1);
}

TEST_CASE("a key's owners are distinct members in ring order, the owner first") {
  const HashRing ring = ring_of(5, 3);
  std::vector<std::uint32_t> owners;
  for (std::uint64_t k = 0; k < 1000; ++k) {
    ring.owners(k, 3, owners);
    REQUIRE(owners.size() == 3);
    CHECK(owners[0] == ring.owner(k));
    CHECK(owners[0] != owners[1]);
    CHECK(owners[1] != owners[2]);
    CHECK(owners[0] != owners[2]);
  }
  ring.owners(7, 10, owners);
  CHECK(owners.size() == 5);
}

TEST_CASE("removing a member moves only its keys, to the others") {
  HashRing ring = ring_of(4, 50);
  std::vector<std::uint32_t> before;
  for (std::uint64_t k = 0; k < 10000; ++k) before.push_back(ring.owner(k));
  ring.remove(2);
  for (std::uint64_t k = 0; k < 10000; ++k) {
    if (before[k] != 2) CHECK(ring.owner(k) == before[k]);
    else CHECK(ring.owner(k) != 2);
  }
}
