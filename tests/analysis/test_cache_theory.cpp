// tests/analysis/test_cache_theory.cpp: the cache hit-ratio formulas of
// analysis/cache_theory.h on cases small enough to enumerate, and the
// approximations against the exact values.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <vector>

#include "analysis/cache_theory.h"

namespace analysis = archsim::analysis;

namespace {

// Six keys of unequal popularity, not Zipf, most popular first.
const std::vector<double> kSix = {0.30, 0.22, 0.17, 0.13, 0.10, 0.08};

// LRU by enumeration of its ordered states (King, 1971): the state (i_1 ..
// i_C), most recent first, has probability prod_j p_{i_j} / (1 - sum_{l<j}
// p_{i_l}); a request hits with the probability of the keys in the state.
double lru_by_enumeration(const std::vector<double>& p, std::size_t c) {
  double hit = 0;
  std::vector<int> state;
  std::vector<bool> used(p.size(), false);
  std::function<void(double, double)> extend = [&](double probability, double held) {
    if (state.size() == c) {
      hit += probability * held;
      return;
    }
    for (std::size_t k = 0; k < p.size(); ++k) {
      if (used[k]) continue;
      used[k] = true;
      state.push_back(static_cast<int>(k));
      extend(probability * p[k] / (1 - held), held + p[k]);
      state.pop_back();
      used[k] = false;
    }
  };
  extend(1, 0);
  return hit;
}

// FIFO and RANDOM by enumeration of the product form: the set S has
// probability proportional to prod_{k in S} p_k.
double fifo_by_enumeration(const std::vector<double>& p, std::size_t c) {
  double weight_sum = 0, hit_sum = 0;
  for (unsigned mask = 0; mask < (1u << p.size()); ++mask) {
    if (static_cast<std::size_t>(__builtin_popcount(mask)) != c) continue;
    double weight = 1, held = 0;
    for (std::size_t k = 0; k < p.size(); ++k)
      if (mask & (1u << k)) {
        weight *= p[k];
        held += p[k];
      }
    weight_sum += weight;
    hit_sum += weight * held;
  }
  return hit_sum / weight_sum;
}

}  // namespace

TEST_CASE("zipf popularities sum to one and fall as k^-s") {
  const auto p = analysis::zipf_popularities(1000, 0.9);
  double sum = 0;
  for (const double x : p) sum += x;
  CHECK(sum == doctest::Approx(1).epsilon(1e-14));
  CHECK(p[1] / p[0] == doctest::Approx(std::pow(2.0, -0.9)).epsilon(1e-14));
  CHECK(analysis::top_popularity(p, 1000) == doctest::Approx(1).epsilon(1e-14));
  CHECK(analysis::top_popularity(p, 2) == doctest::Approx(p[0] + p[1]).epsilon(1e-15));
}

TEST_CASE("exact lru matches the enumeration of its states") {
  for (std::size_t c = 1; c <= 5; ++c) {
    CAPTURE(c);
    CHECK(analysis::lru_exact(kSix, c) == doctest::Approx(lru_by_enumeration(kSix, c)).epsilon(1e-10));
  }
}

TEST_CASE("exact fifo and random match the enumeration of the product form") {
  for (std::size_t c = 1; c <= 5; ++c) {
    CAPTURE(c);
    CHECK(analysis::fifo_random_exact(kSix, c) == doctest::Approx(fifo_by_enumeration(kSix, c)).epsilon(1e-12));
  }
}

TEST_CASE("with one slot every policy that stores each miss hits with sum p_k^2") {
  // The cache holds the key asked for last: a request hits iff it repeats it.
  const auto p = analysis::zipf_popularities(1000, 0.9);
  double squares = 0;
  for (const double x : p) squares += x * x;
  CHECK(analysis::lru_exact(p, 1) == doctest::Approx(squares).epsilon(1e-9));
  CHECK(analysis::fifo_random_exact(p, 1) == doctest::Approx(squares).epsilon(1e-12));
  CHECK(analysis::perfect_lfu_always_admit(p, 1) == doctest::Approx(squares).epsilon(1e-12));
}

TEST_CASE("exact lru has converged on its grid: 16 and 32 points a factor e agree") {
  const auto p = analysis::zipf_popularities(1000, 0.9);
  for (std::uint64_t c : {10u, 100u})
    CHECK(std::fabs(analysis::lru_exact(p, c, 16) - analysis::lru_exact(p, c, 32)) < 1e-12);
}

TEST_CASE("the characteristic times solve their equations") {
  const auto p = analysis::zipf_popularities(1000, 0.9);
  const auto che = analysis::lru_che(p, 50);
  const auto fifo = analysis::fifo_random_approximation(p, 50);
  double lru_held = 0, fifo_held = 0, lru_hit = 0;
  for (const double x : p) {
    lru_held += 1 - std::exp(-x * che.time);
    lru_hit += x * (1 - std::exp(-x * che.time));
    fifo_held += x * fifo.time / (1 + x * fifo.time);
  }
  CHECK(lru_held == doctest::Approx(50).epsilon(1e-12));
  CHECK(fifo_held == doctest::Approx(50).epsilon(1e-12));
  CHECK(che.hit_ratio == doctest::Approx(lru_hit).epsilon(1e-12));
  CHECK(fifo.time > che.time);  // FIFO keeps an entry longer for the same capacity
}

TEST_CASE("the approximations improve as the cache grows, Che's faster") {
  // Zipf over 1,000 keys, exponents 0.6, 0.9, 1.2. Measured, the largest
  // relative error of the three: Che 5.6 % at C = 1, 0.67 % at C = 10,
  // 0.017 % at C = 100; the FIFO approximation 10.3 %, 1.8 % and 0.12 %.
  for (const double s : {0.6, 0.9, 1.2}) {
    CAPTURE(s);
    const auto p = analysis::zipf_popularities(1000, s);
    double last_che = 1, last_fifo = 1;
    for (std::uint64_t c : {1u, 10u, 100u}) {
      CAPTURE(c);
      const double lru = analysis::lru_exact(p, c);
      const double fifo = analysis::fifo_random_exact(p, c);
      const double che_error = std::fabs(analysis::lru_che(p, c).hit_ratio - lru) / lru;
      const double fifo_error = std::fabs(analysis::fifo_random_approximation(p, c).hit_ratio - fifo) / fifo;
      CHECK(che_error < last_che);
      CHECK(fifo_error < last_fifo);
      CHECK(che_error < 0.06);
      CHECK(fifo_error < 0.11);
      last_che = che_error;
      last_fifo = fifo_error;
    }
    CHECK(last_che < 2e-4);
    CHECK(last_fifo < 1.3e-3);
  }
}

TEST_CASE("perfect lfu with admission of each miss, by hand") {
  // p = (0.5, 0.3, 0.2), C = 2: key 1 stays; the other slot holds whichever
  // of 2 and 3 was asked for last, which a request repeats with
  // (0.3^2 + 0.2^2) / 0.5 = 0.26 of the tail's 0.5: 0.5 + 0.26 = 0.76.
  CHECK(analysis::perfect_lfu_always_admit({0.5, 0.3, 0.2}, 2) == doctest::Approx(0.76).epsilon(1e-15));
  // Never above the top C, never below the top C - 1.
  const auto p = analysis::zipf_popularities(1000, 0.9);
  const double h = analysis::perfect_lfu_always_admit(p, 100);
  CHECK(h < analysis::top_popularity(p, 100));
  CHECK(h > analysis::top_popularity(p, 99));
}

TEST_CASE("ttl hit ratios for one key, by hand") {
  // Requests at rate 2, ttl 1: a fixed expiry catches 2 hits a cycle after
  // its miss, 2 / 3; a sliding one hits whenever the gap is under 1, 1 - e^-2.
  CHECK(analysis::ttl_fixed_hit_ratio({1.0}, 2, 1) == doctest::Approx(2.0 / 3).epsilon(1e-15));
  CHECK(analysis::ttl_sliding_hit_ratio({1.0}, 2, 1) == doctest::Approx(1 - std::exp(-2.0)).epsilon(1e-15));
  CHECK(analysis::ttl_fixed_hit_ratio({0.5, 0.5}, 2, 1) == doctest::Approx(0.5).epsilon(1e-15));
}

TEST_CASE("cache theory refuses nonsense") {
  CHECK_THROWS_AS(analysis::lru_che({0.5, 0.5}, 2), std::invalid_argument);      // capacity = keys
  CHECK_THROWS_AS(analysis::lru_exact({0.5, 0.5}, 0), std::invalid_argument);    // no capacity
  CHECK_THROWS_AS(analysis::fifo_random_exact({0.4, 0.6}, 1), std::invalid_argument);  // increasing
  CHECK_THROWS_AS(analysis::zipf_popularities(10, 0), std::invalid_argument);
  CHECK_THROWS_AS(analysis::ttl_fixed_hit_ratio({1.0}, 0, 1), std::invalid_argument);
}
