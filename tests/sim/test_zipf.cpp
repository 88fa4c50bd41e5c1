// tests/sim/test_zipf.cpp: Zipf ranks against P(k) = k^-s / H(n, s).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/elementary.h"
#include "sim/rng.h"
#include "sim/zipf.h"

using archsim::sim::Rng;
using archsim::sim::Zipf;

namespace {

constexpr double kSigmas = 5;

// The generalized harmonic number H(n, s) = sum_{k=1}^{n} k^-s. Summed
// directly (smallest terms first) up to 10^5; beyond, the first 999 terms
// exactly and the rest by Euler-Maclaurin:
//   sum_{k=m}^{n} f(k) = int_m^n f + (f(m) + f(n)) / 2 + (f'(n) - f'(m)) / 12
//                        - (f'''(n) - f'''(m)) / 720 + ...
// with f(x) = x^-s and m = 1000, where the next term is below 1e-15.
double harmonic(std::uint64_t n, double s) {
  if (n <= 100000) {
    double sum = 0;
    for (std::uint64_t k = n; k >= 1; --k) sum += std::pow(static_cast<double>(k), -s);
    return sum;
  }
  const double m = 1000;
  double sum = 0;
  for (int k = 999; k >= 1; --k) sum += std::pow(k, -s);
  const double x = static_cast<double>(n);
  auto f = [&](double t) { return std::pow(t, -s); };
  auto f1 = [&](double t) { return -s * std::pow(t, -s - 1); };
  auto f3 = [&](double t) { return -s * (s + 1) * (s + 2) * std::pow(t, -s - 3); };
  const double integral = s == 1 ? std::log(x / m) : (std::pow(x, 1 - s) - std::pow(m, 1 - s)) / (1 - s);
  return sum + integral + (f(m) + f(x)) / 2 + (f1(x) - f1(m)) / 12 - (f3(x) - f3(m)) / 720;
}

// The chi-square critical value with df degrees of freedom at the upper-tail
// quantile z of the standard normal, by the Wilson-Hilferty approximation
// (relative error well under 1% for df in the hundreds).
double chi_square_critical(double df, double z) {
  const double c = 2.0 / (9.0 * df);
  const double t = 1 - c + z * std::sqrt(c);
  return df * t * t * t;
}

// |observed - n p| within kSigmas binomial standard errors.
void check_binomial(std::int64_t observed, std::int64_t n, double p) {
  CAPTURE(observed);
  CAPTURE(p);
  const double expected = static_cast<double>(n) * p;
  CHECK(std::fabs(static_cast<double>(observed) - expected) < kSigmas * std::sqrt(expected * (1 - p)));
}

}  // namespace

TEST_CASE("the harmonic helper's two methods agree") {
  // Guards the reference used below: direct summation at 10^5 against
  // Euler-Maclaurin just above it.
  for (double s : {0.8, 1.0, 1.2}) {
    const double direct = harmonic(100000, s) + std::pow(100001.0, -s);
    CHECK(std::fabs(harmonic(100001, s) - direct) < 1e-12 * direct);
  }
}

TEST_CASE("zipf rank frequencies for n = 1000 match k^-s / H(n, s)") {
  const std::uint64_t n = 1000;
  const int draws = 1000000;
  for (double s : {0.8, 1.0, 1.2}) {
    CAPTURE(s);
    const Zipf zipf(n, s);
    CHECK(zipf.n() == n);
    CHECK(zipf.exponent() == s);
    std::vector<std::int64_t> counts(n + 1, 0);
    Rng rng(31);
    std::uint64_t lowest = n, highest = 1;
    for (int i = 0; i < draws; ++i) {
      const std::uint64_t k = zipf.sample(rng);
      lowest = std::min(lowest, k);
      highest = std::max(highest, k);
      if (k >= 1 && k <= n) ++counts[k];
    }
    REQUIRE(lowest >= 1);
    REQUIRE(highest <= n);
    const double h = harmonic(n, s);
    // Chi-square over all n ranks; the least likely rank expects about 58
    // draws (s = 1.2), enough for the chi-square approximation. n - 1 degrees
    // of freedom, rejected at p = 1e-4 (z = 3.719).
    double chi_square = 0;
    for (std::uint64_t k = 1; k <= n; ++k) {
      const double expected = draws * std::pow(static_cast<double>(k), -s) / h;
      const double diff = static_cast<double>(counts[k]) - expected;
      chi_square += diff * diff / expected;
    }
    CAPTURE(chi_square);
    CHECK(chi_square < chi_square_critical(static_cast<double>(n - 1), 3.719));
    // And each of the first ranks on its own.
    for (std::uint64_t k = 1; k <= 10; ++k) {
      CAPTURE(k);
      check_binomial(counts[k], draws, std::pow(static_cast<double>(k), -s) / h);
    }
  }
}

TEST_CASE("zipf ranks stay in [1, n] for small n and any exponent") {
  Rng rng(5);
  for (std::uint64_t n : {1, 2, 3, 10, 1000}) {
    for (double s : {0.05, 0.5, 1.0, 1.5, 3.0, 10.0}) {
      CAPTURE(n);
      CAPTURE(s);
      const Zipf zipf(n, s);
      std::uint64_t lowest = n, highest = 1;
      for (int i = 0; i < 20000; ++i) {
        const std::uint64_t k = zipf.sample(rng);
        lowest = std::min(lowest, k);
        highest = std::max(highest, k);
      }
      CHECK(lowest >= 1);
      CHECK(highest <= n);
      // Every rank is reachable: for n <= 10 and s <= 1.5, 20000 draws all but
      // surely include the rarest rank (P >= 10^-1.5 / H(10, 1.5) > 1%).
      if (n <= 10 && s <= 1.5) {
        CHECK(lowest == 1);
        CHECK(highest == n);
      }
    }
  }
}

TEST_CASE("zipf with n = 1 always gives rank 1") {
  Rng rng(6);
  for (double s : {0.5, 1.0, 2.0}) {
    const Zipf zipf(1, s);
    for (int i = 0; i < 10000; ++i) REQUIRE(zipf.sample(rng) == 1);
  }
}

TEST_CASE("zipf with n = 2 and s = 1 gives rank 1 two times in three") {
  const Zipf zipf(2, 1.0);
  Rng rng(7);
  const int draws = 300000;
  std::int64_t ones = 0;
  for (int i = 0; i < draws; ++i) ones += zipf.sample(rng) == 1 ? 1 : 0;
  check_binomial(ones, draws, 2.0 / 3);
}

TEST_CASE("zipf over 10^8 ranks needs no table and samples the whole range") {
  // Rejection-inversion keeps a few doubles, whatever n is: the object is a
  // handful of words, so construction cannot be O(n).
  CHECK(sizeof(Zipf) <= 64);
  const std::uint64_t n = 100000000;
  const int draws = 1000000;
  for (double s : {0.8, 1.0}) {
    CAPTURE(s);
    const Zipf zipf(n, s);
    Rng rng(8);
    std::int64_t rank_one = 0, top_ten = 0, above_ten_million = 0;
    std::uint64_t lowest = n, highest = 1;
    for (int i = 0; i < draws; ++i) {
      const std::uint64_t k = zipf.sample(rng);
      lowest = std::min(lowest, k);
      highest = std::max(highest, k);
      rank_one += k == 1 ? 1 : 0;
      top_ten += k <= 10 ? 1 : 0;
      above_ten_million += k > 10000000 ? 1 : 0;
    }
    CHECK(lowest >= 1);
    CHECK(highest <= n);
    const double h = harmonic(n, s);
    check_binomial(rank_one, draws, 1 / h);
    check_binomial(top_ten, draws, harmonic(10, s) / h);
    // The far tail: about 12% of draws for s = 1 and 37% for s = 0.8.
    check_binomial(above_ten_million, draws, (h - harmonic(10000000, s)) / h);
  }
}

TEST_CASE("the first zipf ranks for a fixed seed are pinned") {
  {
    const Zipf zipf(1000, 1.0);
    Rng rng(11);
    const std::uint64_t expected[] = {187, 520, 159, 36, 528, 100, 21, 1};
    for (std::uint64_t k : expected) CHECK(zipf.sample(rng) == k);
  }
  {
    const Zipf zipf(100000000, 0.8);
    Rng rng(11);
    const std::uint64_t expected[] = {29185179, 64032747, 25386666, 5813072, 64714099, 16824007, 3092371, 1};
    for (std::uint64_t k : expected) CHECK(zipf.sample(rng) == k);
  }
}

namespace {

// Zipf's rejection-inversion written again in the test, on the exact (1 ulp)
// elementary functions, to show that the sampler's quick ones change no rank.
std::uint64_t exact_sample(std::uint64_t n_ranks, double s, Rng& rng) {
  namespace el = archsim::sim::elementary;
  const auto log1p_over_x = [](double x) { return std::fabs(x) > 1e-8 ? el::log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x)); };
  const auto expm1_over_x = [](double x) { return std::fabs(x) > 1e-8 ? el::expm1(x) / x : 1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x)); };
  const auto h = [s](double x) { return el::exp(-s * el::log(x)); };
  const auto h_integral = [&](double x) {
    const double log_x = el::log(x);
    return expm1_over_x((1 - s) * log_x) * log_x;
  };
  const auto h_integral_inverse = [&](double x) {
    double t = x * (1 - s);
    if (t < -1) t = -1;
    return el::exp(log1p_over_x(t) * x);
  };
  const double n = static_cast<double>(n_ranks);
  const double h_x1 = h_integral(1.5) - 1, h_n = h_integral(n + 0.5);
  const double squeeze = 2 - h_integral_inverse(h_integral(2.5) - h(2));
  for (;;) {
    const double u = h_n + rng.uniform() * (h_x1 - h_n);
    const double x = h_integral_inverse(u);
    double k = std::floor(x + 0.5);
    if (k < 1) k = 1;
    if (k > n) k = n;
    if (k - x <= squeeze || u >= h_integral(k + 0.5) - h(k)) return static_cast<std::uint64_t>(k);
  }
}

}  // namespace

TEST_CASE("zipf's quick elementary functions give the ranks the exact ones give") {
  for (const auto& [n, s] : {std::pair<std::uint64_t, double>{1000000, 0.9}, {10000000, 0.6}, {100000, 1.2},
                             {1000, 1.0}, {100000000, 0.99}}) {
    CAPTURE(n);
    CAPTURE(s);
    const Zipf zipf(n, s);
    Rng a(77), b(77);
    int differ = 0;
    for (int i = 0; i < 200000; ++i) differ += zipf.sample(a) != exact_sample(n, s, b);
    CHECK(differ == 0);
  }
}
