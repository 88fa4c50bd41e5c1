// models/runtime/hash_ring.h: consistent hashing. Each member (a shard, a
// storage node) owns `virtual_nodes` points on a ring of 64-bit hashes,
// placed by hashing its name and the point's number, so a member's points do
// not depend on who else is on the ring. A key belongs to the member of the
// first point at or after the key's hash, going round; adding a member moves
// only the keys its new points take (about 1/(N+1) of them), and removing
// one moves only its own.
//
// The hashes are archsim's own (sim/rng.h: FNV-1a over the name, the
// splitmix64 finaliser), the same on every machine.
//
// Not modelled here: weights (members with more points than others),
// bounded loads.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace archsim::models {

class HashRing {
 public:
  explicit HashRing(std::size_t virtual_nodes) : virtual_nodes_(virtual_nodes) {}

  // Puts member `id` on the ring, its points placed by `name`.
  void add(std::uint32_t id, std::string_view name);
  void remove(std::uint32_t id);
  bool empty() const { return points_.empty(); }
  std::size_t virtual_nodes() const { return virtual_nodes_; }

  // The member that owns `key`; the ring must not be empty.
  std::uint32_t owner(std::uint64_t key) const;
  // The first `n` distinct members going round from `key` (all of them, if
  // fewer): the owner first, then the next ones (a key's replicas).
  void owners(std::uint64_t key, std::size_t n, std::vector<std::uint32_t>& out) const;

  // Where a key and a member's point sit on the ring.
  static std::uint64_t key_hash(std::uint64_t key);
  static std::uint64_t point_hash(std::string_view name, std::size_t point);

 private:
  struct Point {
    std::uint64_t at;
    std::uint32_t member;
  };
  std::size_t first_at_or_after(std::uint64_t hash) const;

  std::size_t virtual_nodes_;
  std::vector<Point> points_;  // by (at, member)
};

}  // namespace archsim::models
