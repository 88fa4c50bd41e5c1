// sim/rng.h: random numbers that are the same on every machine.
//
// The generator is xoshiro256** (Blackman and Vigna, 2018), seeded through
// splitmix64. Each component gets its own stream derived from
// (seed, component name) with our own hash, so adding a component leaves every
// other component's draws alone (common random numbers across designs).
#pragma once

#include <cstdint>
#include <string_view>

namespace archsim::sim {

// splitmix64 step: a bijective mixer, also used to derive seeds.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Mixes one 64-bit value into a well-spread one (the splitmix64 finaliser).
inline std::uint64_t mix64(std::uint64_t x) {
  std::uint64_t state = x;
  return splitmix64(state);
}

// 64-bit FNV-1a over the bytes of a string: stable across platforms.
std::uint64_t hash_name(std::string_view name);

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0);

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform on [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform on (0, 1]: safe to take the logarithm of.
  double uniform_open0() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }
  // Uniform integer on [0, n), n > 0, without modulo bias (Lemire, "Fast
  // Random Integer Generation in an Interval", 2019).
  std::uint64_t below(std::uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// Hands out one independent stream per named component of a run.
class RandomStreams {
 public:
  explicit RandomStreams(std::uint64_t seed) : seed_(seed) {}
  std::uint64_t seed() const { return seed_; }
  Rng for_component(std::string_view name) const;

 private:
  std::uint64_t seed_;
};

}  // namespace archsim::sim
