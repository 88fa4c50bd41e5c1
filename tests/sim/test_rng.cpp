// tests/sim/test_rng.cpp: the generator, its derived draws and the per-
// component streams. Pinned values guard determinism across machines and
// compilers: if one changes, every stored result of every scenario changes.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/rng.h"

using archsim::sim::hash_name;
using archsim::sim::RandomStreams;
using archsim::sim::Rng;
using archsim::sim::splitmix64;

namespace {

std::array<std::uint64_t, 4> first_four(Rng rng) {
  return {rng.next(), rng.next(), rng.next(), rng.next()};
}

}  // namespace

TEST_CASE("splitmix64 from state 0 gives the reference sequence") {
  // The first outputs of Vigna's splitmix64.c seeded with 0.
  std::uint64_t state = 0;
  CHECK(splitmix64(state) == 0xE220A8397B1DCDAFULL);
  CHECK(splitmix64(state) == 0x6E789E6AA1B965F4ULL);
  CHECK(splitmix64(state) == 0x06C45D188009454FULL);
}

TEST_CASE("the first outputs of Rng for a fixed seed are pinned") {
  // xoshiro256** seeded with four splitmix64 outputs; the values were checked
  // against an independent transcription of the reference algorithm.
  CHECK(first_four(Rng(0)) == std::array<std::uint64_t, 4>{0x99EC5F36CB75F2B4ULL, 0xBF6E1F784956452AULL,
                                                           0x1A5F849D4933E6E0ULL, 0x6AA594F1262D2D2CULL});
  CHECK(first_four(Rng(42)) == std::array<std::uint64_t, 4>{0x15780B2E0C2EC716ULL, 0x6104D9866D113A7EULL,
                                                            0xAE17533239E499A1ULL, 0xECB8AD4703B360A1ULL});
}

TEST_CASE("hash_name is 64-bit FNV-1a") {
  // Published FNV-1a 64 test vectors.
  CHECK(hash_name("") == 0xCBF29CE484222325ULL);
  CHECK(hash_name("a") == 0xAF63DC4C8601EC8CULL);
  CHECK(hash_name("foobar") == 0x85944171F73967E8ULL);
  // Bytes above 0x7f are hashed as unsigned values, the same on every platform.
  CHECK(hash_name("\xff") == ((0xCBF29CE484222325ULL ^ 0xFFULL) * 0x100000001B3ULL));
}

TEST_CASE("uniform() takes the top 53 bits of next(), so it lies in [0, 1)") {
  Rng a(7), b(7);
  double low = 1, high = 0;
  for (int i = 0; i < 100000; ++i) {
    const double u = a.uniform();
    const std::uint64_t x = b.next();
    REQUIRE(u == static_cast<double>(x >> 11) * 0x1.0p-53);
    low = std::min(low, u);
    high = std::max(high, u);
  }
  CHECK(low >= 0.0);
  CHECK(high < 1.0);
  // The extremes of the mapping: an all-ones draw stays below 1.
  CHECK(static_cast<double>(UINT64_MAX >> 11) * 0x1.0p-53 < 1.0);
}

TEST_CASE("uniform_open0() lies in (0, 1], so its logarithm is finite") {
  Rng a(8), b(8);
  for (int i = 0; i < 100000; ++i) {
    const double u = a.uniform_open0();
    const std::uint64_t x = b.next();
    REQUIRE(u == static_cast<double>((x >> 11) + 1) * 0x1.0p-53);
    REQUIRE(u > 0.0);
    REQUIRE(u <= 1.0);
  }
  // The extremes of the mapping: zero bits give 2^-53, all ones give exactly 1.
  CHECK(static_cast<double>((std::uint64_t{0} >> 11) + 1) * 0x1.0p-53 > 0.0);
  CHECK(static_cast<double>((UINT64_MAX >> 11) + 1) * 0x1.0p-53 == 1.0);
}

TEST_CASE("uniform() has mean 1/2 and variance 1/12") {
  Rng rng(99);
  const int n = 1000000;
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double d = rng.uniform() - 0.5;
    sum += d;
    sum_sq += d * d;
  }
  const double mean = 0.5 + sum / n;
  const double variance = sum_sq / n - (sum / n) * (sum / n);
  // Standard error of the mean: sqrt(1/12 / n). Of the variance: the fourth
  // central moment of U(0,1) is 1/80, so sd(s^2) = sqrt((1/80 - 1/144) / n).
  CHECK(std::fabs(mean - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
  CHECK(std::fabs(variance - 1.0 / 12) < 5 * std::sqrt((1.0 / 80 - 1.0 / 144) / n));
}

TEST_CASE("below(n) stays in [0, n)") {
  Rng rng(3);
  const std::uint64_t bounds[] = {1, 2, 3, 7, 1000, (std::uint64_t{1} << 32) + 1,
                                  std::uint64_t{1} << 63, (std::uint64_t{1} << 63) + 12345, UINT64_MAX};
  for (std::uint64_t n : bounds) {
    CAPTURE(n);
    for (int i = 0; i < 20000; ++i) REQUIRE(rng.below(n) < n);
  }
  for (int i = 0; i < 1000; ++i) REQUIRE(rng.below(1) == 0);
}

TEST_CASE("below(10) is uniform by a chi-square test") {
  Rng rng(12345);
  const int n = 1000000;
  std::array<std::int64_t, 10> counts{};
  for (int i = 0; i < n; ++i) ++counts[rng.below(10)];
  const double expected = n / 10.0;
  double chi_square = 0;
  for (std::int64_t c : counts) chi_square += (c - expected) * (c - expected) / expected;
  // 9 degrees of freedom; P(chi2_9 > 27.877) = 0.001.
  CHECK(chi_square < 27.877);
}

TEST_CASE("below(n) has no bias for n near 2^64") {
  // n = 3 * 2^62, where 2^64 / n = 4/3 exactly and both shortcuts are badly
  // biased:
  // - next() % n maps two inputs to each value below 2^62 = n/3 and one to
  //   the rest, so P(value < n/3) would be 1/2 instead of 1/3;
  // - Lemire's multiply-shift without its rejection step maps inputs 4j/3 ..
  //   to outputs in the repeating pattern 2, 1, 1, so P(value % 3 == 0)
  //   would be 1/2 instead of 1/3.
  const std::uint64_t n = std::uint64_t{3} << 62;
  Rng rng(4);
  const int draws = 200000;
  int low_third = 0, multiple_of_three = 0;
  for (int i = 0; i < draws; ++i) {
    const std::uint64_t x = rng.below(n);
    low_third += x < n / 3 ? 1 : 0;
    multiple_of_three += x % 3 == 0 ? 1 : 0;
  }
  // Both are 1/3 for a uniform draw (n is a multiple of 3). Binomial standard
  // error sqrt(p (1 - p) / draws) with p = 1/3; allow 5.
  const double p = 1.0 / 3;
  const double tolerance = 5 * std::sqrt(p * (1 - p) / draws);
  CHECK(std::fabs(static_cast<double>(low_third) / draws - p) < tolerance);
  CHECK(std::fabs(static_cast<double>(multiple_of_three) / draws - p) < tolerance);
}

TEST_CASE("the same seed and name give the same stream") {
  const RandomStreams streams(7);
  CHECK(first_four(streams.for_component("server")) == first_four(streams.for_component("server")));
  CHECK(first_four(RandomStreams(7).for_component("server")) == first_four(streams.for_component("server")));
  // Creating other streams in between changes nothing.
  const auto before = first_four(streams.for_component("db"));
  for (int i = 0; i < 10; ++i) streams.for_component("other-" + std::to_string(i));
  CHECK(first_four(streams.for_component("db")) == before);
  CHECK(streams.seed() == 7);
}

TEST_CASE("a component's stream for a fixed seed and name is pinned") {
  Rng rng = RandomStreams(7).for_component("server");
  CHECK(rng.next() == 0x493C8EF8ECD6B102ULL);
  CHECK(rng.next() == 0x0900CBB6A75FE304ULL);
  CHECK(rng.next() == 0xD069799419CE7127ULL);
}

TEST_CASE("different names or seeds give different streams") {
  const std::vector<std::string> names = {"", "a", "b", "c", "server", "server2", "db-primary",
                                          "db-primarz"};
  std::vector<std::array<std::uint64_t, 4>> outputs;
  for (std::uint64_t seed : {0ULL, 1ULL, 2ULL, 1ULL << 63})
    for (const auto& name : names) outputs.push_back(first_four(RandomStreams(seed).for_component(name)));
  // Every pair of (seed, name) differs in every one of its first four outputs.
  for (std::size_t i = 0; i < outputs.size(); ++i)
    for (std::size_t j = i + 1; j < outputs.size(); ++j)
      for (int k = 0; k < 4; ++k) REQUIRE(outputs[i][k] != outputs[j][k]);
}

TEST_CASE("streams whose names differ by one bit are not correlated") {
  // "b" and "c" differ in one bit. Their uniform draws should agree in sign
  // around 1/2 half of the time, as for independent streams.
  Rng b = RandomStreams(1).for_component("b");
  Rng c = RandomStreams(1).for_component("c");
  const int n = 100000;
  int agree = 0;
  for (int i = 0; i < n; ++i) agree += (b.uniform() < 0.5) == (c.uniform() < 0.5) ? 1 : 0;
  const double fraction = static_cast<double>(agree) / n;
  // Binomial standard error with p = 1/2; allow 5.
  CHECK(std::fabs(fraction - 0.5) < 5 * std::sqrt(0.25 / n));
}
