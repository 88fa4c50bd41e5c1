#include "analysis/statistics.h"

#include <cassert>
#include <cmath>
#include <limits>

namespace archsim::analysis {

namespace {

constexpr double kPi = 3.141592653589793;

// atan(x) for x >= 0 from basic operations and sqrt (both correctly rounded
// everywhere), so that it gives the same bits on every machine: past 1 by
// pi/2 - atan(1/x); then halving the angle twice, atan(x) = 2 atan(x / (1 +
// sqrt(1 + x^2))), leaves x <= tan(pi/16) < 0.2, where 20 terms of the
// Taylor series reach far below the last bit (0.04^20).
double atan_nonnegative(double x) {
  assert(x >= 0);
  if (x > 1) return kPi / 2 - atan_nonnegative(1 / x);
  for (int i = 0; i < 2; ++i) x = x / (1 + std::sqrt(1 + x * x));
  const double x2 = x * x;
  double sum = 0;
  for (int k = 20; k >= 0; --k) sum = 1.0 / (2 * k + 1) - x2 * sum;
  return 4 * x * sum;
}

}  // namespace

double student_t_two_sided(double t, std::int64_t dof) {
  assert(dof >= 1 && t >= 0);
  if (std::isinf(t)) return 1;
  const double n = static_cast<double>(dof);
  const double r = std::sqrt(n + t * t);
  const double sin_theta = t / r;
  const double cos_theta = std::sqrt(n) / r;
  const double cos2 = cos_theta * cos_theta;
  if (dof % 2 == 0) {
    // sin(theta) (1 + 1/2 cos^2 + (1 3)/(2 4) cos^4 + ... up to cos^(dof - 2)).
    double term = 1, sum = 1;
    for (std::int64_t k = 1; k <= (dof - 2) / 2; ++k) {
      term *= cos2 * static_cast<double>(2 * k - 1) / static_cast<double>(2 * k);
      sum += term;
    }
    return sin_theta * sum;
  }
  // 2/pi (theta + sin(theta) (cos + 2/3 cos^3 + (2 4)/(1 3 5) cos^5 + ... up to cos^(dof - 2))).
  const double theta = atan_nonnegative(t / std::sqrt(n));
  double sum = 0;
  if (dof > 1) {
    double term = cos_theta;
    sum = term;
    for (std::int64_t k = 1; k <= (dof - 3) / 2; ++k) {
      term *= cos2 * static_cast<double>(2 * k) / static_cast<double>(2 * k + 1);
      sum += term;
    }
  }
  return 2 / kPi * (theta + sin_theta * sum);
}

double student_t_quantile(double p, std::int64_t dof) {
  assert(p > 0 && p < 1 && dof >= 1);
  if (p < 0.5) return -student_t_quantile(1 - p, dof);
  const double target = 2 * p - 1;  // P(|T| <= t)
  double low = 0, high = 1;
  while (student_t_two_sided(high, dof) < target && high < 1e300) high *= 2;
  // Bisection to the last bit: stops when the midpoint is one of the ends.
  for (int i = 0; i < 2200; ++i) {
    const double middle = low + (high - low) / 2;
    if (middle <= low || middle >= high) break;
    if (student_t_two_sided(middle, dof) < target) low = middle;
    else high = middle;
  }
  return high;
}

MeanInterval mean_interval(const std::vector<double>& values, double confidence) {
  assert(values.size() >= 2 && confidence > 0 && confidence < 1);
  MeanInterval out;
  out.count = values.size();
  bool all_equal = true;
  double sum = 0;
  for (double v : values) {
    sum += v;
    all_equal = all_equal && v == values.front();
  }
  if (all_equal) {
    // Said exactly: a figure that never varies has no interval, and its mean
    // is its value (a sum divided back could differ in the last bit).
    out.mean = values.front();
    return out;
  }
  const double n = static_cast<double>(values.size());
  out.mean = sum / n;
  double squares = 0;
  for (double v : values) squares += (v - out.mean) * (v - out.mean);
  out.stddev = std::sqrt(squares / (n - 1));
  const double t = student_t_quantile(0.5 + confidence / 2, static_cast<std::int64_t>(values.size()) - 1);
  out.half_width = t * out.stddev / std::sqrt(n);
  return out;
}

Truncation mser5(const std::vector<double>& series) {
  constexpr std::size_t kBatch = 5;
  Truncation out;
  const std::size_t k = series.size() / kBatch;
  out.batches_total = k;
  if (k < 2) return out;
  std::vector<double> batch(k);
  for (std::size_t j = 0; j < k; ++j) {
    double sum = 0;
    for (std::size_t i = 0; i < kBatch; ++i) sum += series[j * kBatch + i];
    batch[j] = sum / kBatch;
  }
  // The batches after d, from the end backwards (Welford's update), so that
  // every d costs one step.
  std::vector<double> statistic(k);
  double mean = 0, squares = 0;
  for (std::size_t j = k; j-- > 0;) {
    const double left = static_cast<double>(k - j);
    const double delta = batch[j] - mean;
    mean += delta / left;
    squares += delta * (batch[j] - mean);
    statistic[j] = squares / (left * left);
  }
  out.statistic = statistic[0];
  for (std::size_t d = 1; d <= k / 2; ++d)
    if (statistic[d] < out.statistic) {
      out.statistic = statistic[d];
      out.batches = d;
    }
  out.observations = out.batches * kBatch;
  return out;
}

}  // namespace archsim::analysis
