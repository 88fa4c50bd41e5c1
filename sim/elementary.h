// sim/elementary.h: exp, log, log1p, expm1, pow, sin and cos of our own, so
// that a draw gives the same bits with every math library.
//
// The C library's versions are accurate to about an ulp, but which last bit
// they return differs between glibc, musl, Apple's libm and their versions;
// through a random variate that difference reaches results. These are built
// only from IEEE 754 basic operations (+, -, *, / and nothing fused) and exact
// bit manipulation, evaluated in a fixed order, so every machine computes the
// same bits. Each carries about 70 bits or more before the last rounding (a
// double-double evaluation of the leading terms), so the result is within
// 1 ulp everywhere and the correctly rounded value for all but a few inputs
// in a million (docs/engine.md gives the measured figures).
//
// NaN in gives NaN out; infinities and zero follow the C library.
#pragma once

namespace archsim::sim::elementary {

double exp(double x);
// ln x; -infinity at 0, NaN below.
double log(double x);
// ln(1 + x), accurate for x near 0; -infinity at -1, NaN below.
double log1p(double x);
// e^x - 1, accurate for x near 0.
double expm1(double x);
// x^y for x >= 0 (NaN for x < 0, whatever y is: the distributions only raise
// positive numbers). pow(x, 0) and pow(1, y) are 1, as in the C library.
double pow(double x, double y);
// For |x| <= 2^20 (Box-Muller asks for [0, 2 pi)); NaN beyond, where the
// argument reduction would need more digits of pi than it keeps.
double sin(double x);
double cos(double x);

// Quicker exp, log, log1p and expm1 for a caller that needs a few ulps, not
// the last bit: the same reductions and tables, the polynomial in plain
// doubles. Still only basic operations in a fixed order, so still the same
// bits on every machine; within 2 ulps of the exact value on the ranges
// tests/sim/test_elementary.cpp measures (where the functions above are
// within 1). Zipf's sampler uses them: its rank is the floor of x + 1/2, so
// an error of 10^-16 relative changes a rank only for an x that close to a
// half-integer.
double exp_quick(double x);
double log_quick(double x);
double log1p_quick(double x);
double expm1_quick(double x);

}  // namespace archsim::sim::elementary
