// sim/distribution.h: continuous distributions, our own code so that the same
// seed gives the same draws with every standard library.
//
// Values carry no unit here; the models decide (service times are drawn in
// milliseconds). Every constructor expects parameters already validated by the
// caller and asserts on nonsense.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/rng.h"

namespace archsim::sim {

class Distribution {
 public:
  enum class Kind { Constant, Uniform, Exponential, Normal, Lognormal, Pareto, Weibull, Empirical };

  static Distribution constant(double value);
  static Distribution uniform(double low, double high);
  static Distribution exponential(double mean);
  // Normal with the given mean and standard deviation, with draws below
  // `lower` redrawn (pass -infinity for the plain normal).
  static Distribution normal(double mean, double stddev, double lower);
  // Lognormal with log-space parameters mu and sigma.
  static Distribution lognormal(double mu, double sigma);
  // Lognormal with the given mean whose 99th percentile is p99.
  // Requires p99 > mean and p99 / mean <= lognormal_max_p99_ratio().
  static Distribution lognormal_mean_p99(double mean, double p99);
  // Lognormal with the given mean and coefficient of variation (stddev / mean).
  static Distribution lognormal_mean_cv(double mean, double cv);
  // Pareto (type I) with minimum `scale` and tail index `shape` > 1.
  static Distribution pareto(double scale, double shape);
  static Distribution weibull(double scale, double shape);
  // Piecewise-linear inverse CDF through (percentile, value) points; the
  // percentiles run from 0 to 100, increasing; the values do not decrease.
  static Distribution empirical(std::vector<std::pair<double, double>> points);

  // The largest p99 / mean a lognormal can have: exp(z99^2 / 2).
  static double lognormal_max_p99_ratio();

  double sample(Rng& rng) const;
  double mean() const;
  double variance() const;  // +infinity where it does not exist
  Kind kind() const { return kind_; }
  bool is_constant() const { return kind_ == Kind::Constant; }
  std::string describe() const;

 private:
  Distribution() = default;
  Kind kind_ = Kind::Constant;
  double a_ = 0, b_ = 0, c_ = 0;  // meaning depends on kind_
  std::vector<std::pair<double, double>> points_;  // empirical: (fraction, value)
};

// A draw from the exponential distribution with mean 1, by the ziggurat
// method (Marsaglia and Tsang, "The Ziggurat Method for Generating Random
// Variables", 2000), with 256 layers, in a 64-bit form: the low 8 bits of a
// draw pick the layer and the top 53 bits the point, so the two are
// independent (Doornik's criticism of the 32-bit original does not apply).
// About 98 % of draws take one random number, a compare and a multiply; the
// rest fall in a wedge or the tail and use exp or log. Exact in distribution.
double standard_exponential(Rng& rng);

// The standard normal 0.99 quantile.
inline constexpr double kNormalZ99 = 2.3263478740408408;

}  // namespace archsim::sim
