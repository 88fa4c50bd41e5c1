#include "sim/rng.h"

namespace archsim::sim {

std::uint64_t hash_name(std::string_view name) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  return h;
}

Rng::Rng(std::uint64_t seed) {
  std::uint64_t state = seed;
  for (auto& word : s_) word = splitmix64(state);
  // xoshiro must not start from the all-zero state; splitmix64 never yields
  // four zeros in a row, but keep the guarantee explicit.
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
}

Rng RandomStreams::for_component(std::string_view name) const {
  // Two rounds of mixing separate streams whose seeds or names differ by a bit.
  return Rng(mix64(mix64(seed_) ^ hash_name(name)));
}

}  // namespace archsim::sim
