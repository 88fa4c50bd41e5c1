#include "sim/zipf.h"

#include <cassert>
#include <cmath>

#include "sim/elementary.h"

namespace archsim::sim {
namespace {

// log1p(x) / x, continuous at 0.
double log1p_over_x(double x) {
  if (std::fabs(x) > 1e-8) return elementary::log1p_quick(x) / x;
  return 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

// expm1(x) / x, continuous at 0.
double expm1_over_x(double x) {
  if (std::fabs(x) > 1e-8) return elementary::expm1_quick(x) / x;
  return 1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x));
}

}  // namespace

Zipf::Zipf(std::uint64_t n, double exponent) : n_(n), s_(exponent) {
  assert(n >= 1 && exponent > 0);
  h_integral_x1_ = h_integral(1.5) - 1;
  h_integral_n_ = h_integral(static_cast<double>(n) + 0.5);
  squeeze_ = 2 - h_integral_inverse(h_integral(2.5) - h(2));
}

double Zipf::h(double x) const { return elementary::exp_quick(-s_ * elementary::log_quick(x)); }

double Zipf::h_integral(double x) const {
  const double log_x = elementary::log_quick(x);
  return expm1_over_x((1 - s_) * log_x) * log_x;
}

double Zipf::h_integral_inverse(double x) const {
  double t = x * (1 - s_);
  if (t < -1) t = -1;  // guards rounding at the lower end
  return elementary::exp_quick(log1p_over_x(t) * x);
}

std::uint64_t Zipf::sample(Rng& rng) const {
  const double n = static_cast<double>(n_);
  for (;;) {
    const double u = h_integral_n_ + rng.uniform() * (h_integral_x1_ - h_integral_n_);
    const double x = h_integral_inverse(u);
    double k = std::floor(x + 0.5);
    if (k < 1) k = 1;
    if (k > n) k = n;
    // Accept at once inside the squeeze, otherwise test against the hat.
    if (k - x <= squeeze_ || u >= h_integral(k + 0.5) - h(k)) return static_cast<std::uint64_t>(k);
  }
}

}  // namespace archsim::sim
