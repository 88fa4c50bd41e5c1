#include "models/runtime/hash_ring.h"

#include <algorithm>
#include <cassert>

#include "sim/rng.h"

namespace archsim::models {

std::uint64_t HashRing::key_hash(std::uint64_t key) { return sim::mix64(key); }

std::uint64_t HashRing::point_hash(std::string_view name, std::size_t point) {
  return sim::mix64(sim::hash_name(name) ^ sim::mix64(static_cast<std::uint64_t>(point) + 1));
}

void HashRing::add(std::uint32_t id, std::string_view name) {
  for (std::size_t p = 0; p < virtual_nodes_; ++p) points_.push_back(Point{point_hash(name, p), id});
  std::sort(points_.begin(), points_.end(),
            [](const Point& a, const Point& b) { return a.at != b.at ? a.at < b.at : a.member < b.member; });
}

void HashRing::remove(std::uint32_t id) {
  points_.erase(std::remove_if(points_.begin(), points_.end(), [id](const Point& p) { return p.member == id; }),
                points_.end());
}

std::size_t HashRing::first_at_or_after(std::uint64_t hash) const {
  const auto it = std::lower_bound(points_.begin(), points_.end(), hash,
                                   [](const Point& p, std::uint64_t h) { return p.at < h; });
  return it == points_.end() ? 0 : static_cast<std::size_t>(it - points_.begin());
}

std::uint32_t HashRing::owner(std::uint64_t key) const {
  assert(!points_.empty());
  return points_[first_at_or_after(key_hash(key))].member;
}

void HashRing::owners(std::uint64_t key, std::size_t n, std::vector<std::uint32_t>& out) const {
  out.clear();
  if (points_.empty()) return;
  const std::size_t start = first_at_or_after(key_hash(key));
  for (std::size_t k = 0; k < points_.size() && out.size() < n; ++k) {
    const std::uint32_t m = points_[(start + k) % points_.size()].member;
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  }
}

}  // namespace archsim::models
