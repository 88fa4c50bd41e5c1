// tests/sim/test_metrics.cpp: time-weighted signals, checked by hand.
#include <doctest/doctest.h>

#include <cstdint>

#include "sim/metrics.h"

using archsim::sim::Time;
using archsim::sim::TimeWeighted;
using archsim::sim::window_mean;

TEST_CASE("the integral of a step signal is the sum of value x duration") {
  // Integrals are read at the current time, as the loop does when a window
  // or interval boundary fires.
  TimeWeighted busy;
  CHECK(busy.value() == 0);
  CHECK(busy.integral(Time{0}) == 0);
  busy.set(Time{10}, 3);  // 0 on [0, 10)
  CHECK(busy.integral(Time{10}) == 0);
  CHECK(busy.integral(Time{20}) == 30);
  busy.set(Time{30}, 1);  // 3 on [10, 30): 60
  busy.add(Time{50}, 4);  // 1 on [30, 50): 20, then 5
  CHECK(busy.value() == 5);
  CHECK(busy.integral(Time{50}) == 80);
  // Reading the integral extends the current value without changing state.
  CHECK(busy.integral(Time{60}) == 80 + 5 * 10);
  CHECK(busy.integral(Time{60}) == 130);
  busy.add(Time{70}, -5);  // 5 on [50, 70): 100, then 0
  CHECK(busy.value() == 0);
  CHECK(busy.integral(Time{1000}) == 180);
}

TEST_CASE("several changes at the same instant add no area") {
  TimeWeighted queue;
  queue.set(Time{10}, 2);
  queue.add(Time{20}, 1);
  queue.add(Time{20}, 1);
  queue.add(Time{20}, -3);  // ends at 1 at t = 20
  CHECK(queue.integral(Time{20}) == 20);
  CHECK(queue.integral(Time{30}) == 30);
  CHECK(queue.max_window() == 4);  // the instantaneous peak still counts
}

TEST_CASE("window means are differences of the integral over the window length") {
  TimeWeighted busy;
  const __int128 at_0 = busy.integral(Time{0});
  busy.set(Time{0}, 2);
  const __int128 at_50 = busy.integral(Time{50});
  busy.set(Time{100}, 6);
  const __int128 at_150 = busy.integral(Time{150});
  busy.set(Time{300}, 0);
  const __int128 at_400 = busy.integral(Time{400});
  // Over [0, 400): 2 x 100 + 6 x 200 + 0 x 100 = 1400, mean 3.5.
  CHECK(window_mean(at_0, at_400, Time{0}, Time{400}) == 3.5);
  // Over [50, 150): 2 x 50 + 6 x 50 = 400, mean 4.
  CHECK(window_mean(at_50, at_150, Time{50}, Time{150}) == 4.0);
  // Over [150, 400): 6 x 150 + 0 x 100 = 900, mean 3.6.
  CHECK(window_mean(at_150, at_400, Time{150}, Time{400}) == doctest::Approx(3.6).epsilon(1e-15));
  // An empty or reversed window has mean 0 rather than dividing by zero.
  CHECK(window_mean(at_150, at_150, Time{150}, Time{150}) == 0.0);
  CHECK(window_mean(0, 10, Time{5}, Time{4}) == 0.0);
}

TEST_CASE("the integral does not overflow int64 for long runs at high values") {
  TimeWeighted bytes;
  // 10^12 over 10^10 ns (10 s) is 10^22, beyond int64 (about 9.2 x 10^18).
  bytes.set(Time{0}, 1000000000000);
  const Time end = Time::from_s(10);
  const __int128 expected = static_cast<__int128>(1000000000000) * 10000000000;
  CHECK(bytes.integral(end) == expected);
  CHECK(window_mean(0, bytes.integral(end), Time{0}, end) == 1e12);
  // The same once the stretch is folded into the accumulated area.
  bytes.set(end, 0);
  CHECK(bytes.integral(end) == expected);
  CHECK(bytes.integral(end + Time{5}) == expected);
}

TEST_CASE("both maxima track the largest value and reset to the current value") {
  TimeWeighted in_flight;
  CHECK(in_flight.max_window() == 0);
  CHECK(in_flight.max_interval() == 0);
  in_flight.set(Time{1}, 5);
  in_flight.set(Time{2}, 9);
  in_flight.set(Time{3}, 4);
  CHECK(in_flight.max_window() == 9);
  CHECK(in_flight.max_interval() == 9);

  // Reporting interval ends: only the interval maximum resets, to the
  // current value (4), not to 0 (the signal is still 4).
  in_flight.reset_interval_max();
  CHECK(in_flight.max_interval() == 4);
  CHECK(in_flight.max_window() == 9);
  in_flight.set(Time{4}, 7);
  CHECK(in_flight.max_interval() == 7);
  CHECK(in_flight.max_window() == 9);

  // The measured window starts (end of warm-up): only the window maximum resets.
  in_flight.set(Time{5}, 2);
  in_flight.reset_window_max();
  CHECK(in_flight.max_window() == 2);
  CHECK(in_flight.max_interval() == 7);
  in_flight.add(Time{6}, 1);
  CHECK(in_flight.max_window() == 3);
  CHECK(in_flight.max_interval() == 7);

  // Resets change no area.
  CHECK(in_flight.integral(Time{7}) == 5 * 1 + 9 * 1 + 4 * 1 + 7 * 1 + 2 * 1 + 3 * 1);
}
