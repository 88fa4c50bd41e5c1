// sim/time.h: simulated time. Integer nanoseconds only, so that sums of times
// are exact and results do not depend on the order of floating-point rounding.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace archsim::sim {

struct Time {
  std::int64_t ns = 0;

  static constexpr Time zero() { return Time{0}; }
  static constexpr Time max() { return Time{std::numeric_limits<std::int64_t>::max()}; }
  static constexpr Time from_ns(std::int64_t ns) { return Time{ns}; }

  // Converts a non-negative duration in milliseconds or seconds to the nearest
  // nanosecond. A value beyond the range (a draw from a heavy tail, the gap of
  // a vanishing rate) gives Time::max(), a time no run reaches.
  static Time from_ms(double ms) { return Time{round_half_up(ms * 1e6)}; }
  static Time from_s(double s) { return Time{round_half_up(s * 1e9)}; }

  // Nearest integer (halves up) for the non-negative values times are made
  // from; inline, unlike llround, because every drawn duration passes through
  // it. Truncating first keeps it exact where x + 0.5 would round (x >= 2^52).
  // From 2^63 on (and for NaN) the cast would be undefined: it saturates.
  static std::int64_t round_half_up(double x) {
    if (!(std::fabs(x) < 0x1p63)) [[unlikely]]
      return x < 0 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
    const auto whole = static_cast<std::int64_t>(x);
    return whole + (x - static_cast<double>(whole) >= 0.5 ? 1 : 0);
  }

  double to_ms() const { return static_cast<double>(ns) / 1e6; }
  double to_s() const { return static_cast<double>(ns) / 1e9; }

  // Sums saturate at Time::max() (and at the lowest int64 below), so now plus any
  // delay is a valid time, and an event at Time::max() simply never happens:
  // runs last at most kMaxTimeSeconds. A difference of two times in a run
  // cannot overflow.
  friend constexpr Time operator+(Time a, Time b) { return Time{saturating_add(a.ns, b.ns)}; }
  friend constexpr Time operator-(Time a, Time b) { return Time{a.ns - b.ns}; }
  Time& operator+=(Time b) {
    ns = saturating_add(ns, b.ns);
    return *this;
  }
  static constexpr std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum))
      return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
    return sum;
  }
  friend constexpr auto operator<=>(Time a, Time b) = default;
};

// The longest simulated span a scenario may ask for (about 292 years fit in
// int64 nanoseconds; a year is plenty, and Time::max() stays out of reach).
inline constexpr double kMaxTimeSeconds = 365.0 * 24 * 3600;

}  // namespace archsim::sim
