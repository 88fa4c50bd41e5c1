// tests/sim/test_distribution.cpp: every distribution kind against its
// textbook moments, both the closed forms (mean(), variance()) and the draws.
//
// The statistical checks use a fixed seed and n = 10^6 draws. The sample mean
// has standard error sqrt(var / n). The (biased, 1/n) sample variance s^2 has
// standard error sqrt((mu4 - var^2) / n) to first order, where mu4 is the
// fourth central moment; every kind below has a finite mu4, computed here from
// the raw moments of the textbook distribution, independently of the code under
// test. Both are allowed kSigmas standard errors; the 1/n bias of s^2
// (var / n) is far below that.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "sim/distribution.h"
#include "sim/rng.h"

using archsim::sim::Distribution;
using archsim::sim::kNormalZ99;
using archsim::sim::Rng;

namespace {

constexpr int kDraws = 1000000;
constexpr double kSigmas = 5;
constexpr std::uint64_t kSeed = 2024;

// Mean, variance and fourth central moment.
struct Moments {
  double mean;
  double variance;
  double mu4;
};

// From the raw moments E[X], E[X^2], E[X^3], E[X^4].
Moments from_raw(double m1, double m2, double m3, double m4) {
  return {m1, m2 - m1 * m1, m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1 * m1 * m1 * m1};
}

template <typename RawMoment>
Moments from_raw(RawMoment raw) {
  return from_raw(raw(1), raw(2), raw(3), raw(4));
}

Moments lognormal_moments(double mu, double sigma) {
  return from_raw([&](int k) { return std::exp(k * mu + k * k * sigma * sigma / 2); });
}

bool close(double actual, double expected, double relative) {
  return std::fabs(actual - expected) <= relative * std::fabs(expected);
}

// Draws kDraws values and checks the sample mean and variance against the
// expected moments, and the distribution's own mean() and variance() against
// the same textbook values.
void check_moments(const Distribution& dist, const Moments& expected, double formula_tolerance = 1e-9) {
  CAPTURE(dist.describe());
  CHECK(close(dist.mean(), expected.mean, formula_tolerance));
  CHECK(close(dist.variance(), expected.variance, formula_tolerance));

  Rng rng(kSeed);
  // Sums of deviations from the expected mean, to keep rounding small.
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double d = dist.sample(rng) - expected.mean;
    sum += d;
    sum_sq += d * d;
  }
  const double n = kDraws;
  const double sample_mean = expected.mean + sum / n;
  const double sample_variance = sum_sq / n - (sum / n) * (sum / n);
  const double mean_error = std::sqrt(expected.variance / n);
  const double variance_error = std::sqrt((expected.mu4 - expected.variance * expected.variance) / n);
  CAPTURE(sample_mean);
  CAPTURE(sample_variance);
  CHECK(std::fabs(sample_mean - expected.mean) < kSigmas * mean_error);
  CHECK(std::fabs(sample_variance - expected.variance) < kSigmas * variance_error);
}

// Fraction of kDraws draws at or below x, with the binomial standard error
// check against the probability p.
void check_cdf(const Distribution& dist, double x, double p) {
  CAPTURE(dist.describe());
  CAPTURE(x);
  Rng rng(kSeed + 1);
  std::int64_t below = 0;
  for (int i = 0; i < kDraws; ++i) below += dist.sample(rng) <= x ? 1 : 0;
  const double fraction = static_cast<double>(below) / kDraws;
  CAPTURE(fraction);
  CHECK(std::fabs(fraction - p) < kSigmas * std::sqrt(p * (1 - p) / kDraws));
}

// The first three draws for kSeed. Draws that pass through log, exp, pow or cos
// may differ in the last bit between math libraries, so they are compared to
// 1e-13 relative; any change to the algorithm or to how a draw consumes the
// stream moves them far more than that.
void check_first_draws(const Distribution& dist, const double (&expected)[3]) {
  CAPTURE(dist.describe());
  Rng rng(kSeed);
  for (double want : expected) {
    const double got = dist.sample(rng);
    CAPTURE(want);
    CAPTURE(got);
    CHECK(close(got, want, 1e-13));
  }
}

// The truncated normal's raw moments by Simpson's rule over [lower, mean + 14
// sd], an independent check of the closed forms; the density is negligible
// beyond and smooth within, so 40000 intervals are accurate to ~1e-12.
Moments truncated_normal_moments(double mean, double sd, double lower) {
  const double a = lower, b = mean + 14 * sd;
  const int intervals = 40000;
  const double h = (b - a) / intervals;
  double integral[5] = {};
  for (int i = 0; i <= intervals; ++i) {
    const double x = a + i * h;
    const double weight = (i == 0 || i == intervals) ? 1 : (i % 2 == 1 ? 4 : 2);
    const double z = (x - mean) / sd;
    const double density = std::exp(-0.5 * z * z);
    double power = 1;
    for (int k = 0; k <= 4; ++k) {
      integral[k] += weight * density * power;
      power *= x;
    }
  }
  return from_raw(integral[1] / integral[0], integral[2] / integral[0], integral[3] / integral[0],
                  integral[4] / integral[0]);
}

// Raw moments of a piecewise-linear inverse CDF through (fraction, value)
// points: on each piece the value is linear in u, and
// integral_0^1 (v0 + t (v1 - v0))^k dt = (v1^(k+1) - v0^(k+1)) / ((k+1)(v1 - v0)).
Moments empirical_moments(const std::vector<std::pair<double, double>>& fraction_value) {
  return from_raw([&](int k) {
    double raw = 0;
    for (std::size_t i = 1; i < fraction_value.size(); ++i) {
      const auto [u0, v0] = fraction_value[i - 1];
      const auto [u1, v1] = fraction_value[i];
      const double piece = v1 == v0 ? std::pow(v0, k)
                                    : (std::pow(v1, k + 1) - std::pow(v0, k + 1)) / ((k + 1) * (v1 - v0));
      raw += (u1 - u0) * piece;
    }
    return raw;
  });
}

}  // namespace

TEST_CASE("constant always draws its value") {
  const auto dist = Distribution::constant(2.5);
  CHECK(dist.mean() == 2.5);
  CHECK(dist.variance() == 0);
  CHECK(dist.is_constant());
  Rng rng(kSeed);
  for (int i = 0; i < 1000; ++i) REQUIRE(dist.sample(rng) == 2.5);
  // A constant draw consumes no randomness, so it leaves the stream alone.
  Rng fresh(kSeed);
  CHECK(rng.next() == fresh.next());
}

TEST_CASE("uniform(a, b) has mean (a+b)/2 and variance (b-a)^2/12") {
  const double a = 1, b = 3;
  // E[X^k] = (b^(k+1) - a^(k+1)) / ((k+1)(b - a)).
  const auto expected = from_raw([&](int k) { return (std::pow(b, k + 1) - std::pow(a, k + 1)) / ((k + 1) * (b - a)); });
  CHECK(close(expected.variance, (b - a) * (b - a) / 12, 1e-12));
  const auto dist = Distribution::uniform(a, b);
  check_moments(dist, expected);
  Rng rng(kSeed);
  for (int i = 0; i < 100000; ++i) {
    const double x = dist.sample(rng);
    REQUIRE(x >= a);
    REQUIRE(x < b);
  }
}

TEST_CASE("exponential(m) has mean m and variance m^2") {
  const double m = 2;
  // E[X^k] = k! m^k.
  const auto expected = from_raw(m, 2 * m * m, 6 * m * m * m, 24 * m * m * m * m);
  check_moments(Distribution::exponential(m), expected);
}

TEST_CASE("normal without a lower bound has the given mean and stddev") {
  const double mean = 5, sd = 2;
  const Moments expected{mean, sd * sd, 3 * sd * sd * sd * sd};
  check_moments(Distribution::normal(mean, sd, -std::numeric_limits<double>::infinity()), expected);
}

TEST_CASE("normal truncated at 0 matches the truncated normal's moments and never goes below 0") {
  const double mean = 1, sd = 1, lower = 0;  // one standard deviation: 16% redrawn
  const auto expected = truncated_normal_moments(mean, sd, lower);
  // The textbook closed form, E = mean + sd phi(alpha) / (1 - Phi(alpha)),
  // agrees with the numerical integral.
  const double alpha = (lower - mean) / sd;
  const double lambda = std::exp(-alpha * alpha / 2) / std::sqrt(2 * std::numbers::pi) /
                        (0.5 * std::erfc(alpha / std::numbers::sqrt2));
  CHECK(close(expected.mean, mean + sd * lambda, 1e-9));
  const auto dist = Distribution::normal(mean, sd, lower);
  check_moments(dist, expected);
  Rng rng(kSeed);
  for (int i = 0; i < 100000; ++i) REQUIRE(dist.sample(rng) >= lower);
}

TEST_CASE("normal with zero stddev always draws its mean") {
  const auto dist = Distribution::normal(4, 0, 0);
  CHECK(dist.mean() == 4);
  CHECK(dist.variance() == 0);
  Rng rng(kSeed);
  for (int i = 0; i < 100; ++i) REQUIRE(dist.sample(rng) == 4);
}

TEST_CASE("lognormal(mu, sigma) has mean exp(mu + sigma^2/2)") {
  const double mu = 1, sigma = 0.5;
  check_moments(Distribution::lognormal(mu, sigma), lognormal_moments(mu, sigma));
}

TEST_CASE("the normal 0.99 quantile constant is right") {
  // P(Z > z99) = 0.01, to double precision.
  CHECK(std::fabs(0.5 * std::erfc(kNormalZ99 / std::numbers::sqrt2) - 0.01) < 1e-16);
  CHECK(close(Distribution::lognormal_max_p99_ratio(), std::exp(kNormalZ99 * kNormalZ99 / 2), 1e-15));
}

TEST_CASE("lognormal_mean_p99 has the requested mean and 99th percentile") {
  const double max_ratio = Distribution::lognormal_max_p99_ratio();
  const double cases[][2] = {{10, 40}, {1, 1.01}, {1, 1.5}, {3, 3 * 10}, {0.002, 0.002 * max_ratio}};
  for (const auto& point : cases) {
    const double mean = point[0], p99 = point[1];
    CAPTURE(mean);
    CAPTURE(p99);
    const auto dist = Distribution::lognormal_mean_p99(mean, p99);
    CHECK(dist.kind() == Distribution::Kind::Lognormal);
    CHECK(close(dist.mean(), mean, 1e-12));
    // Recover sigma and mu from the moments (cv^2 = exp(sigma^2) - 1), then
    // the 99th percentile is exp(mu + z99 sigma).
    const double sigma2 = std::log1p(dist.variance() / (mean * mean));
    const double mu = std::log(mean) - sigma2 / 2;
    CHECK(close(std::exp(mu + kNormalZ99 * std::sqrt(sigma2)), p99, 1e-9));
    // Of the two lognormals with this mean and p99, the lighter-tailed one.
    CHECK(std::sqrt(sigma2) <= kNormalZ99 * (1 + 1e-9));
  }
}

TEST_CASE("lognormal_mean_p99 draws put 99% of their mass below p99") {
  const double mean = 10, p99 = 40;
  const auto dist = Distribution::lognormal_mean_p99(mean, p99);
  check_cdf(dist, p99, 0.99);
  // Also the empirical 99th percentile itself. Its standard error is
  // sqrt(p (1 - p) / n) / f(p99), with the lognormal density
  // f(x) = phi(z99) / (x sigma) at x = p99.
  const double sigma = std::sqrt(std::log1p(dist.variance() / (mean * mean)));
  std::vector<double> draws(kDraws);
  Rng rng(kSeed + 2);
  for (double& x : draws) x = dist.sample(rng);
  const auto rank = static_cast<std::size_t>(std::ceil(0.99 * kDraws)) - 1;
  std::nth_element(draws.begin(), draws.begin() + static_cast<std::ptrdiff_t>(rank), draws.end());
  const double density = std::exp(-kNormalZ99 * kNormalZ99 / 2) / std::sqrt(2 * std::numbers::pi) / (p99 * sigma);
  const double quantile_error = std::sqrt(0.99 * 0.01 / kDraws) / density;
  CHECK(std::fabs(draws[rank] - p99) < kSigmas * quantile_error);
  // And the sample moments.
  check_moments(dist, lognormal_moments(std::log(mean) - sigma * sigma / 2, sigma));
}

TEST_CASE("lognormal_mean_cv has the requested mean and coefficient of variation") {
  const double mean = 10, cv = 0.5;
  const auto dist = Distribution::lognormal_mean_cv(mean, cv);
  CHECK(close(dist.mean(), mean, 1e-12));
  CHECK(close(std::sqrt(dist.variance()) / dist.mean(), cv, 1e-12));
  // sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2.
  const double sigma2 = std::log1p(cv * cv);
  check_moments(dist, lognormal_moments(std::log(mean) - sigma2 / 2, std::sqrt(sigma2)));
  // cv = 0 degenerates to the constant mean.
  const auto flat = Distribution::lognormal_mean_cv(3, 0);
  Rng rng(kSeed);
  for (int i = 0; i < 100; ++i) REQUIRE(close(flat.sample(rng), 3, 1e-15));
}

TEST_CASE("pareto(xm, alpha) has mean alpha xm / (alpha - 1)") {
  // alpha = 4.5: the fourth moment is finite, so the sample variance obeys
  // the central limit theorem with the standard error used here.
  const double xm = 1, alpha = 4.5;
  // E[X^k] = alpha xm^k / (alpha - k) for k < alpha.
  const auto expected = from_raw([&](int k) { return alpha * std::pow(xm, k) / (alpha - k); });
  CHECK(close(expected.mean, alpha * xm / (alpha - 1), 1e-12));
  const auto dist = Distribution::pareto(xm, alpha);
  check_moments(dist, expected);
  Rng rng(kSeed);
  for (int i = 0; i < 100000; ++i) REQUIRE(dist.sample(rng) >= xm);
}

TEST_CASE("pareto variance is infinite for shape <= 2") {
  CHECK(std::isinf(Distribution::pareto(1, 2).variance()));
  CHECK(std::isinf(Distribution::pareto(1, 1.5).variance()));
  CHECK(close(Distribution::pareto(2, 1.5).mean(), 6, 1e-12));
}

TEST_CASE("weibull(lambda, k) has mean lambda Gamma(1 + 1/k)") {
  const double lambda = 2, shape = 1.5;
  // E[X^j] = lambda^j Gamma(1 + j / k).
  const auto expected = from_raw([&](int j) { return std::pow(lambda, j) * std::tgamma(1 + j / shape); });
  check_moments(Distribution::weibull(lambda, shape), expected);
  // Shape 1 is the exponential with mean lambda.
  CHECK(close(Distribution::weibull(3, 1).mean(), 3, 1e-12));
  CHECK(close(Distribution::weibull(3, 1).variance(), 9, 1e-12));
}

TEST_CASE("empirical interpolates its inverse CDF linearly between the points") {
  const std::vector<std::pair<double, double>> percentiles = {{0, 1}, {50, 2}, {90, 5}, {100, 20}};
  std::vector<std::pair<double, double>> fractions;
  for (auto [p, v] : percentiles) fractions.emplace_back(p / 100, v);
  const auto dist = Distribution::empirical(percentiles);
  check_moments(dist, empirical_moments(fractions));
  // The given points are the quantiles: half the mass at or below 2, 90% at
  // or below 5, and by linearity 70% at or below 3.5.
  check_cdf(dist, 2, 0.5);
  check_cdf(dist, 5, 0.9);
  check_cdf(dist, 3.5, 0.7);
  Rng rng(kSeed);
  for (int i = 0; i < 100000; ++i) {
    const double x = dist.sample(rng);
    REQUIRE(x >= 1);
    REQUIRE(x <= 20);
  }
}

TEST_CASE("empirical with a flat piece puts that piece's mass on one value") {
  const auto dist = Distribution::empirical({{0, 3}, {20, 3}, {100, 7}});
  check_moments(dist, empirical_moments({{0, 3}, {0.2, 3}, {1, 7}}));
  Rng rng(kSeed);
  const int n = 100000;
  int at_three = 0;
  for (int i = 0; i < n; ++i) at_three += dist.sample(rng) == 3 ? 1 : 0;
  // Exactly the draws with u < 0.2 land on 3 (binomial, p = 0.2).
  CHECK(std::fabs(static_cast<double>(at_three) / n - 0.2) < kSigmas * std::sqrt(0.2 * 0.8 / n));
}

TEST_CASE("the first draws of each distribution for a fixed seed are pinned") {
  const double inf = std::numeric_limits<double>::infinity();
  check_first_draws(Distribution::constant(2.5), {2.5, 2.5, 2.5});
  check_first_draws(Distribution::uniform(1, 3), {1.1115857782203267, 2.5642075457335101, 1.1441098801259266});
  check_first_draws(Distribution::exponential(2), {0.084262882800231392, 2.1138339961328954, 0.0092017276731578522});
  check_first_draws(Distribution::normal(5, 2, -inf), {5.9626937481235274, 7.4648673140621806, 5.0461578220146377});
  check_first_draws(Distribution::normal(1, 1, 0), {1.4813468740617639, 2.2324336570310903, 1.0230789110073186});
  check_first_draws(Distribution::lognormal(1, 0.5), {3.4579413866006665, 5.0340097247027806, 2.7498310007123217});
  check_first_draws(Distribution::lognormal_mean_p99(10, 40),
                    {10.958801022100198, 18.563938885304825, 7.9450696583611222});
  check_first_draws(Distribution::lognormal_mean_cv(10, 0.5),
                    {11.227793914006666, 16.009642937936786, 9.0423161249344126});
  check_first_draws(Distribution::pareto(1, 4.5), {1.8990571437875474, 1.0561340058876667, 1.7941241722799228});
  check_first_draws(Distribution::weibull(2, 1.5), {4.0541996672377714, 0.78471755861944292, 3.8109778476620448});
  check_first_draws(Distribution::empirical({{0, 1}, {50, 2}, {90, 5}, {100, 20}}),
                    {1.1115857782203267, 4.1157782965006628, 1.1441098801259266});
}

TEST_CASE("describe names the kind and its parameters") {
  CHECK(Distribution::constant(2.5).describe() == "constant(2.5)");
  CHECK(Distribution::exponential(3).describe() == "exponential(mean 3)");
  CHECK(Distribution::pareto(1, 4.5).describe() == "pareto(scale 1, shape 4.5)");
  CHECK(Distribution::empirical({{0, 1}, {100, 2}}).describe() == "empirical(2 points)");
}

TEST_CASE("the ziggurat's exponential draws fit Exp(1) in every part: rectangles, wedges and the tail") {
  // 64 equiprobable bins of Exp(1) (edges -ln(1 - k/64)) and a chi-square
  // test; with 63 degrees of freedom the 0.9999 quantile is about 112.
  // Separately, the tail beyond the ziggurat's base x_1 = 7.697 (probability
  // e^-7.697 = 4.54e-4) and beyond 12 (6.1e-6) must hold their share within
  // 5 binomial standard errors: they come from the tail path, not the
  // rectangles, and a wrong tail would show there first.
  constexpr int kBins = 64;
  constexpr int kN = 2'000'000;
  Rng rng(kSeed + 7);
  std::vector<std::int64_t> counts(kBins, 0);
  std::int64_t beyond_base = 0, beyond_12 = 0;
  double sum = 0;
  for (int i = 0; i < kN; ++i) {
    const double x = archsim::sim::standard_exponential(rng);
    REQUIRE(x >= 0);
    sum += x;
    const double u = 1 - std::exp(-x);  // the CDF: uniform on [0, 1) if x is Exp(1)
    counts[std::min(kBins - 1, static_cast<int>(u * kBins))]++;
    beyond_base += x > 7.697117470131487 ? 1 : 0;
    beyond_12 += x > 12 ? 1 : 0;
  }
  const double expected = static_cast<double>(kN) / kBins;
  double chi2 = 0;
  for (auto c : counts) chi2 += (c - expected) * (c - expected) / expected;
  CAPTURE(chi2);
  CHECK(chi2 < 112);
  const auto tail_ok = [&](std::int64_t count, double p) {
    const double sd = std::sqrt(kN * p * (1 - p));
    CAPTURE(count);
    CAPTURE(p * kN);
    return std::fabs(static_cast<double>(count) - p * kN) < 5 * sd;
  };
  CHECK(tail_ok(beyond_base, std::exp(-7.697117470131487)));
  CHECK(tail_ok(beyond_12, std::exp(-12.0)));
  CHECK(std::fabs(sum / kN - 1) < 5 / std::sqrt(static_cast<double>(kN)));
}
