// analysis/statistics.h: the statistics of independent replications: the
// Student t quantile, a mean with its confidence interval, and the MSER-5
// choice of a warm-up. Plain numbers in, plain numbers out.
//
// Every function here is computed from IEEE basic operations, sqrt and the
// project's own elementary functions, in a fixed order, so that the same
// inputs give the same bits on every machine (a confidence interval is part
// of the results, which are byte-identical everywhere).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace archsim::analysis {

// P(|T| <= t) for Student's t with `dof` degrees of freedom (dof >= 1, t >= 0):
// the closed forms for a whole number of degrees of freedom (Abramowitz and
// Stegun 26.7.3 and 26.7.4), a finite sum of powers of cos(theta), with
// theta = atan(t / sqrt(dof)). Exact but for rounding; no table.
double student_t_two_sided(double t, std::int64_t dof);

// The p-quantile of Student's t with `dof` degrees of freedom, 0 < p < 1:
// the t with P(T <= t) = p, found by bisection on student_t_two_sided to the
// last bits of a double. student_t_quantile(0.975, 4) = 2.7764451...
double student_t_quantile(double p, std::int64_t dof);

// The mean of `values` and the half-width of its two-sided confidence
// interval at `confidence` (0.95: t(0.975, n - 1) * s / sqrt(n), s the
// sample standard deviation). Needs two values or more; with every value
// equal the half-width is 0.
struct MeanInterval {
  double mean = 0;
  double half_width = 0;
  double stddev = 0;  // sample standard deviation (divisor n - 1)
  std::size_t count = 0;
};
MeanInterval mean_interval(const std::vector<double>& values, double confidence = 0.95);

// MSER-5 (White, 1997; Franklin and White, 2008): the series is cut into
// batches of 5 observations (a last incomplete batch is dropped); for each
// number d of leading batches dropped, d from 0 to half of the batches, the
// statistic is the variance of the batch means left, divided by their
// number: sum over j > d of (Z_j - mean)^2 / (k - d)^2, for k batches. The
// warm-up is the d that minimizes it (the smallest such d on a tie), times
// 5 observations: where dropping more stops paying for itself in precision.
struct Truncation {
  std::size_t observations = 0;  // leading observations to drop: 5 * batches
  std::size_t batches = 0;       // d
  std::size_t batches_total = 0;  // k
  double statistic = 0;          // MSER at d
};
// Needs at least 10 observations (two batches); fewer give no truncation.
Truncation mser5(const std::vector<double>& series);

}  // namespace archsim::analysis
