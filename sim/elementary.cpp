#include "sim/elementary.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace archsim::sim::elementary {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A double-double: the unevaluated sum hi + lo, about 106 bits. The error-free
// transformations below (Knuth's two-sum, Dekker's product with Veltkamp's
// split) are exact in IEEE 754 arithmetic with rounding to nearest, as long
// as nothing overflows or underflows; a fused multiply-add would break them,
// which is one reason the build passes -ffp-contract=off.
struct DD {
  double hi;
  double lo;
};

// a + b exactly, for any a and b.
constexpr DD two_sum(double a, double b) {
  const double s = a + b;
  const double b_part = s - a;
  const double a_part = s - b_part;
  return {s, (a - a_part) + (b - b_part)};
}

// a + b exactly, when |a| >= |b| or a == 0.
constexpr DD fast_two_sum(double a, double b) {
  const double s = a + b;
  return {s, b - (s - a)};
}

// a = hi + lo with at most 26 significant bits in each; for |a| < 2^995.
constexpr DD split(double a) {
  const double c = 134217729.0 * a;  // 2^27 + 1
  const double hi = c - (c - a);
  return {hi, a - hi};
}

// a * b exactly, for products far from overflow and underflow.
constexpr DD two_prod(double a, double b) {
  const double p = a * b;
  const DD x = split(a), y = split(b);
  return {p, ((x.hi * y.hi - p) + x.hi * y.lo + x.lo * y.hi) + x.lo * y.lo};
}

constexpr DD add(DD a, DD b) {
  const DD s = two_sum(a.hi, b.hi);
  const DD t = two_sum(a.lo, b.lo);
  const DD u = fast_two_sum(s.hi, s.lo + t.hi);
  return fast_two_sum(u.hi, u.lo + t.lo);
}

constexpr DD mul(DD a, DD b) {
  const DD p = two_prod(a.hi, b.hi);
  return fast_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

constexpr DD div(DD a, double b) {
  const double q = a.hi / b;
  const DD p = two_prod(q, b);
  return fast_two_sum(q, (((a.hi - p.hi) - p.lo) + a.lo) / b);
}

constexpr DD negate(DD a) { return {-a.hi, -a.lo}; }

// The tables are computed by the compiler from series in double-double
// (about 100 bits), so no digit of them is copied from anywhere; only ln 2 and
// pi are given, to 106 bits.
constexpr DD kLn2{0x1.62e42fefa39efp-1, 0x1.abc9e3b39803fp-56};
constexpr DD kPi{0x1.921fb54442d18p+1, 0x1.1a62633145c07p-53};

// e^x by its Taylor series, for |x| <= 1.
constexpr DD exp_series(DD x) {
  DD sum{1, 0}, term{1, 0};
  for (int n = 1; n <= 30; ++n) {
    term = div(mul(term, x), n);
    sum = add(sum, term);
  }
  return sum;
}

// ln v = 2 atanh((v - 1) / (v + 1)), for v in [1/2, 2] with v - 1 and v + 1
// exact.
constexpr DD log_series(double v) {
  const DD u = div(DD{v - 1, 0}, v + 1);
  const DD u2 = mul(u, u);
  DD sum{0, 0}, power = u;
  for (int n = 1; n <= 61; n += 2) {
    sum = add(sum, div(power, n));
    power = mul(power, u2);
  }
  return {2 * sum.hi, 2 * sum.lo};
}

// sin x by its Taylor series, for |x| <= 2.
constexpr DD sin_series(DD x) {
  const DD x2 = mul(x, x);
  DD sum = x, term = x;
  for (int n = 3; n <= 45; n += 2) {
    term = div(mul(term, x2), -static_cast<double>((n - 1) * n));
    sum = add(sum, term);
  }
  return sum;
}

// exp: e^x = 2^(k / 128) e^r with k = round(x 128 / ln 2), so |r| <= ln 2 / 256.
constexpr int kExpBits = 7;
constexpr int kExpSize = 1 << kExpBits;
// 2^(j / 128) for j in [0, 128).
constexpr std::array<DD, kExpSize> kExpTable = [] {
  std::array<DD, kExpSize> table{};
  for (int j = 0; j < kExpSize; ++j) table[j] = exp_series(div(mul(kLn2, DD{static_cast<double>(j), 0}), kExpSize));
  return table;
}();
// Adding and subtracting 1.5 * 2^52 rounds a double below 2^51 to an integer.
constexpr double kRoundShift = 0x1.8p52;
constexpr double kExpInvStep = 0x1.71547652b82fep+7;  // 128 / ln 2, rounded
// ln 2 / 128 = kExpStep1 + kExpStep2 + kExpStep3 to 123 bits. The first two
// have 35 significant bits, so k times them is exact for |k| < 2^18, which
// covers every k with a finite, nonzero result.
constexpr double kExpStep1 = 0x1.62e42fefc0000p-8;
constexpr double kExpStep2 = -0x1.c610ca86c0000p-44;
constexpr double kExpStep3 = -0x1.c4c67fc0d0951p-83;
// Above ln(DBL_MAX) e^x overflows; below -745.2 it is under half the smallest
// subnormal.
constexpr double kExpMax = 0x1.62e42fefa39efp+9;
constexpr double kExpMin = -745.2;

// e^(x + dx) = 2^e (hi + lo), with |hi + lo - e^(x + dx) 2^-e| below about
// 2^-78 relative, for x in [kExpMin, kExpMax + 1] and |dx| <= 2^-40.
struct Scaled {
  double hi;
  double lo;
  std::int64_t e;
};

Scaled exp_reduced(double x, double dx) {
  const double kd = (x * kExpInvStep + kRoundShift) - kRoundShift;
  const auto k = static_cast<std::int64_t>(kd);
  // r = x + dx - k ln 2 / 128 as a double-double. kd * kExpStep1 is exact and
  // near x (Sterbenz), so the first difference is exact too.
  const double t = x - kd * kExpStep1;
  const DD s = two_sum(t, -(kd * kExpStep2));
  const DD r = two_sum(s.hi, s.lo + (dx - kd * kExpStep3));
  // e^r - 1 = p.hi + p.lo: r + r^2 / 2 exactly, the Taylor terms up to r^7
  // in plain doubles (|r|^8 / 8! < 2^-83), and r.lo times the derivative.
  const double rh = r.hi;
  const DD r2 = two_prod(rh, rh);
  const double tail =
      r2.hi * rh * (1.0 / 6 + rh * (1.0 / 24 + rh * (1.0 / 120 + rh * (1.0 / 720 + rh * (1.0 / 5040)))));
  DD p = two_sum(rh, 0.5 * r2.hi);
  p.lo += ((0.5 * r2.lo + tail) + r.lo * (1 + rh));
  // 2^(j / 128) (1 + p), the leading product exact.
  const DD c = kExpTable[static_cast<std::size_t>(k & (kExpSize - 1))];
  const DD cp = two_prod(c.hi, p.hi);
  const DD sum = fast_two_sum(c.hi, cp.hi);
  const double lo = sum.lo + (cp.lo + (c.lo + (c.hi * p.lo + c.lo * p.hi)));
  const DD y = fast_two_sum(sum.hi, lo);
  return {y.hi, y.lo, k >> kExpBits};
}

// 2^e, for -1022 <= e <= 1023.
double two_to(std::int64_t e) { return std::bit_cast<double>(static_cast<std::uint64_t>(e + 1023) << 52); }

// (hi + lo) 2^e for hi in [1/2, 4), e in [-1100, 1024], rounded once: for a
// normal result hi 2^e is exact; a subnormal one is rounded to its grid of
// 2^-1074 by adding 1 at the scale of 2^-1022, where that grid is the ulp of 1.
double scale(double hi, double lo, std::int64_t e) {
  if (e > 1023) return (hi * 2) * two_to(e - 1);
  if (e >= -1022) return hi * two_to(e);
  const double s = two_to(e + 1022);
  const DD t = two_sum(1.0, hi * s);
  return ((t.hi + (t.lo + lo * s)) - 1) * 0x1p-1022;
}

// log: x = 2^e z with z in [0x1.6p-1, 0x1.6p0), cut by the top 7 bits of its
// significand (counted from 0x1.6p-1) into 128 intervals. On each,
// ln x = e ln 2 - ln(invc) + ln(1 + r) with r = z invc - 1, |r| <= 2^-8.
constexpr int kLogBits = 7;
constexpr int kLogSize = 1 << kLogBits;
constexpr std::uint64_t kLogOffset = 0x3fe6000000000000;  // the bits of 0x1.6p-1
struct LogEntry {
  double invc;  // near 1 / (the interval's middle), with 26 significant bits
  DD log_c;     // -ln(invc)
};
constexpr std::array<LogEntry, kLogSize> kLogTable = [] {
  std::array<LogEntry, kLogSize> table{};
  for (int i = 0; i < kLogSize; ++i) {
    const double middle = std::bit_cast<double>(kLogOffset + ((2 * static_cast<std::uint64_t>(i) + 1) << (51 - kLogBits)));
    double invc = split(1 / middle).hi;
    // The two intervals on either side of 1 ([1 - 2^-8, 1) and [1, 1 + 2^-7))
    // take invc = 1: then r = z - 1 exactly and ln x near 1 keeps its
    // relative accuracy, with |r| up to 2^-7.
    if (middle > 1 - 0x1p-8 && middle < 1 + 0x1p-7) invc = 1;
    table[i] = {invc, negate(log_series(invc))};
  }
  return table;
}();
// ln 2 = kLn2Hi + kLn2Lo to 95 bits; kLn2Hi has 42 significant bits, so e
// times it is exact for every exponent.
constexpr double kLn2Hi = 0x1.62e42fefa3800p-1;
constexpr double kLn2Lo = 0x1.ef35793c76730p-45;

// x = 2^e z, z's interval's table entry c, and z = zh + zl with 26 and 27
// significant bits, for x > 0 finite.
struct LogParts {
  double e;
  double zh;
  double zl;
  const LogEntry& c;
};

LogParts log_parts(double x) {
  auto bits = std::bit_cast<std::uint64_t>(x);
  // A subnormal x is scaled up by 2^52; its exponent field then reads 52
  // too high, which the wrapping arithmetic below takes back.
  if (bits < 0x0010000000000000) bits = std::bit_cast<std::uint64_t>(x * 0x1p52) - (std::uint64_t{52} << 52);
  const std::uint64_t offset_bits = bits - kLogOffset;
  const auto i = static_cast<std::size_t>((offset_bits >> (52 - kLogBits)) % kLogSize);
  const double e = static_cast<double>(static_cast<std::int64_t>(offset_bits) >> 52);
  const double z = std::bit_cast<double>(bits - (offset_bits & (std::uint64_t{0xfff} << 52)));
  const double zh = std::bit_cast<double>(std::bit_cast<std::uint64_t>(z) & ~((std::uint64_t{1} << 27) - 1));
  return {e, zh, z - zh, kLogTable[i]};
}

// ln x = hi + lo to about 2^-70 relative, for x > 0 finite.
DD log_reduced(double x) {
  const auto [e, zh, zl, c] = log_parts(x);
  // r = z invc - 1 exactly: both products are exact, and zh invc is near 1,
  // so subtracting 1 is too.
  const DD r = two_sum(zh * c.invc - 1, zl * c.invc);
  // ln(1 + r): r - r^2 / 2 exactly, the Taylor terms from r^3 to r^11 in
  // plain doubles (|r|^12 / 12 < 2^-80 |r|), and r.lo times the derivative.
  const double rh = r.hi;
  const DD r2 = two_prod(rh, rh);
  const double q =
      1.0 / 3 +
      rh * (-1.0 / 4 +
            rh * (1.0 / 5 +
                  rh * (-1.0 / 6 + rh * (1.0 / 7 + rh * (-1.0 / 8 + rh * (1.0 / 9 + rh * (-1.0 / 10 + rh * (1.0 / 11))))))));
  const double tail = r2.hi * rh * q;
  const DD a = two_sum(e * kLn2Hi, c.log_c.hi);
  const DD b = two_sum(a.hi, rh);
  const DD d = two_sum(b.hi, -0.5 * r2.hi);
  const double lo = (((tail + r.lo * ((1 - rh) + r2.hi)) - 0.5 * r2.lo) + (c.log_c.lo + e * kLn2Lo)) + ((a.lo + b.lo) + d.lo);
  return fast_two_sum(d.hi, lo);
}

// sin and cos: x = n pi / 128 + r with |r| <= pi / 256; with j = n mod 64 the
// table gives sin and cos of j pi / 128, and (n div 64) mod 4, the quadrant,
// chooses which and the sign.
constexpr int kSinSize = 64;  // steps per quadrant
// sin(j pi / 128) for j in [0, 64]; cos(j pi / 128) is entry 64 - j.
constexpr std::array<DD, kSinSize + 1> kSinTable = [] {
  std::array<DD, kSinSize + 1> table{};
  for (int j = 0; j <= kSinSize; ++j) table[j] = sin_series(div(mul(kPi, DD{static_cast<double>(j), 0}), 2 * kSinSize));
  return table;
}();
constexpr double kSinInvStep = 0x1.45f306dc9c883p+5;  // 128 / pi, rounded
// pi / 128 in four parts to 134 bits; the first three have 27 significant
// bits, so n times them is exact for |n| < 2^26, that is |x| <= 2^20.
constexpr double kSinStep1 = 0x1.921fb54000000p-6;
constexpr double kSinStep2 = 0x1.10b4610000000p-36;
constexpr double kSinStep3 = 0x1.a626330000000p-64;
constexpr double kSinStep4 = 0x1.45c06e0e68948p-92;
constexpr double kSinMax = 0x1p20;

// a (1 + cm) + b sr, where a and b are table entries and cm = cos r - 1,
// sr = sin r; the three leading terms exactly.
double rotate(DD a, DD b, DD sr, DD cm) {
  const DD p = two_prod(b.hi, sr.hi);
  const DD q = two_prod(a.hi, cm.hi);
  const DD s1 = two_sum(a.hi, p.hi);
  const DD s2 = two_sum(s1.hi, q.hi);
  const double lo = ((b.hi * sr.lo + b.lo * sr.hi) + (a.hi * cm.lo + a.lo * cm.hi)) + ((p.lo + q.lo) + a.lo) + (s1.lo + s2.lo);
  return s2.hi + lo;
}

// sin(x + quarter_turns pi / 2).
double sin_shifted(double x, std::int64_t quarter_turns) {
  const double kd = (x * kSinInvStep + kRoundShift) - kRoundShift;
  const auto n = static_cast<std::int64_t>(kd);
  // r = x - n pi / 128 as a double-double; as in exp, the first difference
  // and the next two products are exact.
  const double t = x - kd * kSinStep1;
  const DD s = two_sum(t, -(kd * kSinStep2));
  const DD u = two_sum(s.hi, -(kd * kSinStep3));
  const DD r = two_sum(u.hi, (s.lo + u.lo) - kd * kSinStep4);
  // sin r and cos r - 1 by Taylor series (the first term left out is below
  // 2^-88 relative), r^2 exactly, r.lo times the derivatives.
  const double rh = r.hi;
  const DD r2 = two_prod(rh, rh);
  const double x2 = r2.hi;
  const DD sr{rh, rh * x2 * (-1.0 / 6 + x2 * (1.0 / 120 + x2 * (-1.0 / 5040 + x2 * (1.0 / 362880)))) +
                      r.lo * (1 - 0.5 * x2)};
  const DD cm{-0.5 * r2.hi, (x2 * x2 * (1.0 / 24 + x2 * (-1.0 / 720 + x2 * (1.0 / 40320 + x2 * (-1.0 / 3628800)))) -
                             0.5 * r2.lo) -
                                rh * r.lo};
  const auto j = static_cast<std::size_t>(n & (kSinSize - 1));
  const DD sin_a = kSinTable[j], cos_a = kSinTable[kSinSize - j];
  // x = quadrant pi / 2 + a with a = j pi / 128 + r.
  switch (((n >> 6) + quarter_turns) & 3) {
    case 0: return rotate(sin_a, cos_a, sr, cm);             // sin a
    case 1: return rotate(cos_a, negate(sin_a), sr, cm);     // cos a
    case 2: return -rotate(sin_a, cos_a, sr, cm);            // -sin a
    default: return -rotate(cos_a, negate(sin_a), sr, cm);   // -cos a
  }
}

// e^x = 2^e (hi + lo) as exp_reduced gives it, to about 2^-60 relative, for
// x in [kExpMin, kExpMax]: its reduction with r in one double (the error, k
// times kExpStep3, is below 2^-65 relative) and e^r - 1 by its Taylor series
// to r^6, all in plain doubles.
Scaled exp_quick_reduced(double x) {
  const double kd = (x * kExpInvStep + kRoundShift) - kRoundShift;
  const auto k = static_cast<std::int64_t>(kd);
  const double r = (x - kd * kExpStep1) - kd * kExpStep2;
  const double p = r + r * r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720)))));
  const DD c = kExpTable[static_cast<std::size_t>(k & (kExpSize - 1))];
  const DD y = fast_two_sum(c.hi, c.lo + c.hi * p);
  return {y.hi, y.lo, k >> kExpBits};
}

// ln x for x > 0 finite, as log_reduced, the series in plain doubles from
// r^2 on: r itself is exact to the last bit, so the error is that of the
// final sums, about an ulp.
double log_quick_finite(double x) {
  const auto [e, zh, zl, c] = log_parts(x);
  const double r = (zh * c.invc - 1) + zl * c.invc;
  const double q =
      -0.5 + r * (1.0 / 3 + r * (-1.0 / 4 + r * (1.0 / 5 + r * (-1.0 / 6 + r * (1.0 / 7 + r * (-1.0 / 8 + r * (1.0 / 9)))))));
  const double a = e * kLn2Hi + c.log_c.hi;
  return a + (r + (r * r * q + (c.log_c.lo + e * kLn2Lo)));
}

DD log_quick_reduced(double x) { return {log_quick_finite(x), 0}; }

// The four functions around a reduction, exact or quick: the special values
// and the last steps are the same for both.
template <Scaled (*Reduce)(double)>
double exp_with(double x) {
  if (!(x >= kExpMin)) return x != x ? x : 0.0;  // NaN, or e^x rounds to 0
  if (x > kExpMax) return kInf;
  const Scaled y = Reduce(x);
  return scale(y.hi, y.lo, y.e);
}

template <Scaled (*Reduce)(double)>
double expm1_with(double x) {
  // Below -40, e^x < 2^-57 and e^x - 1 rounds to -1.
  if (!(x >= -40)) return x != x ? x : -1.0;
  if (x > kExpMax) return kInf;
  // For |x| < 2^-54, e^x - 1 = x (1 + x / 2 + ...) rounds to x; this also
  // keeps the sign of zero and subnormals exact.
  if (std::fabs(x) < 0x1p-54) return x;
  const Scaled y = Reduce(x);
  if (y.e > 1023) return scale(y.hi, y.lo, y.e);  // 1 is far below the last bit
  // 2^e (hi + lo) - 1: scaling is exact, the difference carried exactly.
  const double s = two_to(y.e);
  const DD d = two_sum(y.hi * s, -1.0);
  return d.hi + (d.lo + y.lo * s);
}

template <DD (*Reduce)(double)>
double log_with(double x) {
  if (!(x > 0 && x < kInf)) {
    if (x != x || x == kInf) return x;
    return x == 0 ? -kInf : kNaN;
  }
  const DD y = Reduce(x);
  return y.hi + y.lo;
}

template <DD (*Reduce)(double)>
double log1p_with(double x) {
  if (!(x > -1 && x < kInf)) {
    if (x != x || x == kInf) return x;
    return x == -1 ? -kInf : kNaN;
  }
  // For |x| < 2^-54, ln(1 + x) = x (1 - x / 2 + ...) rounds to x; this also
  // keeps the sign of zero and subnormals exact.
  if (std::fabs(x) < 0x1p-54) return x;
  // 1 + x = u.hi + u.lo exactly, and ln(u.hi + u.lo) = ln u.hi + u.lo / u.hi
  // to within (u.lo / u.hi)^2 / 2 < 2^-105.
  const DD u = two_sum(1.0, x);
  const DD y = Reduce(u.hi);
  return y.hi + (y.lo + u.lo / u.hi);
}

Scaled exp_exact_reduced(double x) { return exp_reduced(x, 0); }

}  // namespace

double exp(double x) { return exp_with<exp_exact_reduced>(x); }
double expm1(double x) { return expm1_with<exp_exact_reduced>(x); }
double log(double x) { return log_with<log_reduced>(x); }
double log1p(double x) { return log1p_with<log_reduced>(x); }

double exp_quick(double x) { return exp_with<exp_quick_reduced>(x); }
double expm1_quick(double x) { return expm1_with<exp_quick_reduced>(x); }
double log_quick(double x) { return log_with<log_quick_reduced>(x); }
double log1p_quick(double x) { return log1p_with<log_quick_reduced>(x); }

double pow(double x, double y) {
  if (y == 0 || x == 1) return 1;
  if (x != x || y != y || x < 0) return kNaN;
  if (x == 0) return y > 0 ? 0.0 : kInf;
  if (x == kInf) return y > 0 ? kInf : 0.0;
  if (y == kInf || y == -kInf) return (x > 1) == (y > 0) ? kInf : 0.0;
  // x^y = e^(y ln x), with y ln x carried as a double-double. Where it is out
  // of exp's range the answer is known; this also keeps |y| small enough for
  // the exact product (|ln x| >= 2^-53 for x != 1).
  const DD l = log_reduced(x);
  const double z_estimate = y * l.hi;
  if (z_estimate > kExpMax + 0x1p-7) return kInf;  // keeps e <= 1024
  if (z_estimate < kExpMin) return 0.0;
  const DD z = two_prod(y, l.hi);
  const DD zz = fast_two_sum(z.hi, z.lo + y * l.lo);
  const Scaled r = exp_reduced(zz.hi, zz.lo);
  return scale(r.hi, r.lo, r.e);
}

double sin(double x) {
  if (!(std::fabs(x) <= kSinMax)) return kNaN;  // NaN, infinite or out of range
  if (x == 0) return x;                          // keeps the sign of zero
  return sin_shifted(x, 0);
}

double cos(double x) {
  if (!(std::fabs(x) <= kSinMax)) return kNaN;
  return sin_shifted(x, 1);
}

}  // namespace archsim::sim::elementary
