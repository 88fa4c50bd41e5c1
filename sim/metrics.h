// sim/metrics.h: time-weighted statistics for quantities that change at events
// (busy workers, queue length, requests in a component).
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>

#include "sim/time.h"

namespace archsim::sim {

// Integrates a piecewise-constant integer signal over time, exactly, from the
// start of the run. Averages over any window are differences of the integral:
//   mean over [t0, t1] = (integral(t1) - integral(t0)) / (t1 - t0).
// Two running maxima can be reset independently (the measured window and the
// current reporting interval).
class TimeWeighted {
 public:
  std::int64_t value() const { return value_; }

  // Called several times per request: kept inline.
  [[gnu::always_inline]] void set(Time now, std::int64_t value) {
    assert(now.ns >= last_.ns);
    area_ += static_cast<__int128>(value_) * (now.ns - last_.ns);
    last_ = now;
    value_ = value;
    if (value > max_window_) max_window_ = value;
    if (value > max_interval_) max_interval_ = value;
  }
  [[gnu::always_inline]] void add(Time now, std::int64_t delta) { set(now, value_ + delta); }

  // The integral of the value from time zero to now (value x nanoseconds).
  // `now` must not be before the last change.
  __int128 integral(Time now) const {
    assert(now.ns >= last_.ns);
    return area_ + static_cast<__int128>(value_) * (now.ns - last_.ns);
  }

  std::int64_t max_window() const { return max_window_; }
  std::int64_t max_interval() const { return max_interval_; }
  void reset_window_max() { max_window_ = value_; }
  void reset_interval_max() { max_interval_ = value_; }

 private:
  std::int64_t value_ = 0;
  Time last_{};
  __int128 area_ = 0;
  std::int64_t max_window_ = 0;
  std::int64_t max_interval_ = 0;
};

// Mean of a TimeWeighted signal between two integral snapshots.
inline double window_mean(__int128 integral_start, __int128 integral_end, Time start, Time end) {
  if (end.ns <= start.ns) return 0;
  return static_cast<double>(integral_end - integral_start) / static_cast<double>(end.ns - start.ns);
}

}  // namespace archsim::sim
