// sim/zipf.h: Zipf's law over ranks 1..n, P(k) proportional to 1 / k^s.
//
// Sampling is by rejection-inversion (Hörmann and Derflinger, "Rejection-
// inversion to generate variates from monotone discrete distributions", 1996):
// constant memory and expected O(1) time for any n, so n = 10^8 needs no
// table. Works for every exponent s > 0, including s = 1. It evaluates
// x^-s and its integral with the quick exp and log of sim/elementary.h: a
// rank is the floor of x + 1/2, so their few ulps change a rank only for an x
// within about 10^-16 relative of a half-integer (tests/sim/test_zipf.cpp
// finds none in 10^6 draws against the exact functions).
#pragma once

#include <cstdint>

#include "sim/rng.h"

namespace archsim::sim {

class Zipf {
 public:
  Zipf(std::uint64_t n, double exponent);
  // A rank in [1, n]; rank 1 is the most popular.
  std::uint64_t sample(Rng& rng) const;
  std::uint64_t n() const { return n_; }
  double exponent() const { return s_; }

 private:
  double h(double x) const;           // x^-s
  double h_integral(double x) const;  // an antiderivative of h
  double h_integral_inverse(double x) const;

  std::uint64_t n_;
  double s_;
  double h_integral_x1_;
  double h_integral_n_;
  double squeeze_;
};

}  // namespace archsim::sim
