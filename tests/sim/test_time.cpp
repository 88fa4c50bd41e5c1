// tests/sim/test_time.cpp: converting durations to nanoseconds, and time
// arithmetic that saturates at Time::max() instead of wrapping.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "sim/engine.h"
#include "sim/time.h"

using archsim::sim::Engine;
using archsim::sim::EventTarget;
using archsim::sim::kMaxTimeSeconds;
using archsim::sim::Phase;
using archsim::sim::StopReason;
using archsim::sim::Time;

namespace {

constexpr std::int64_t kMaxNs = std::numeric_limits<std::int64_t>::max();

// Records the time of every event it receives.
class Recorder final : public EventTarget {
 public:
  explicit Recorder(Engine& engine) : engine_(engine) {}
  void on_event(std::uint32_t, std::uint64_t) override { fired.push_back(engine_.now().ns); }
  std::vector<std::int64_t> fired;

 private:
  Engine& engine_;
};

}  // namespace

TEST_CASE("durations convert to the nearest nanosecond, halves up") {
  CHECK(Time::from_ms(4.2000000004).ns == 4'200'000);
  CHECK(Time::from_ms(0.0000005).ns == 1);
  CHECK(Time::from_s(1.5).ns == 1'500'000'000);
  CHECK(Time::from_s(kMaxTimeSeconds).ns == 31'536'000'000'000'000);
}

TEST_CASE("a duration beyond the range of int64 nanoseconds converts to Time::max()") {
  // 2^63 ns is about 292 years: the gap between arrivals at 1e-12 per second
  // is 1e12 s, and a Pareto draw can be larger still.
  CHECK(Time::from_s(1e12) == Time::max());
  CHECK(Time::from_s(0x1p63 / 1e9) == Time::max());
  CHECK(Time::from_ms(1e300) == Time::max());
  CHECK(Time::from_ms(std::numeric_limits<double>::infinity()) == Time::max());
  CHECK(Time::from_ms(std::numeric_limits<double>::quiet_NaN()) == Time::max());
  // The largest double below 2^63 still converts exactly.
  CHECK(Time::round_half_up(0x1.fffffffffffffp62) == std::int64_t{0x7ffffffffffffc00});
}

TEST_CASE("adding times saturates at Time::max()") {
  CHECK((Time::from_ns(2) + Time::from_ns(3)).ns == 5);
  CHECK(Time::max() + Time::from_ns(1) == Time::max());
  CHECK(Time::from_ns(1) + Time::max() == Time::max());
  CHECK(Time::max() + Time::max() == Time::max());
  CHECK(Time::from_ns(kMaxNs - 10) + Time::from_ns(10) == Time::max());
  CHECK((Time::from_ns(kMaxNs - 10) + Time::from_ns(9)).ns == kMaxNs - 1);
  Time t = Time::from_s(kMaxTimeSeconds);
  t += Time::from_s(1e12);
  CHECK(t == Time::max());
  static_assert(Time::max() + Time::from_ns(1) == Time::max());
}

TEST_CASE("an event delayed beyond the clock's range happens at Time::max(), which no run reaches") {
  Engine engine;
  Recorder target(engine);
  engine.post(Time::from_s(1), Phase::Arrival, &target, 0);
  CHECK(engine.run_until(Time::from_s(1) + Time::from_ns(1), 10) == StopReason::Drained);
  // From just after 1 s, each of these would wrap negative without saturation.
  engine.post_in(Time::from_s(1e12), Phase::Arrival, &target, 1);
  engine.post_in(Time::max(), Phase::Departure, &target, 2);
  engine.schedule_in(Time::from_ms(1e300), Phase::Timer, &target, 3);
  engine.post(Time::max(), Phase::Arrival, &target, 4);
  engine.post_in(Time::from_ms(5), Phase::Arrival, &target, 5);
  CHECK(engine.run_until(Time::from_s(kMaxTimeSeconds), 100) == StopReason::TimeLimit);
  CHECK(target.fired == std::vector<std::int64_t>{1'000'000'000, 1'005'000'001});
  CHECK(engine.pending() == 4);
  CHECK(engine.now() == Time::from_s(kMaxTimeSeconds));
}

TEST_CASE("a channel's delay added to now saturates too") {
  Engine engine;
  Recorder target(engine);
  const int channel = engine.channel(Time::max(), Phase::Arrival);
  REQUIRE(channel >= 0);
  engine.post(Time::from_s(2), Phase::Arrival, &target, 0);
  CHECK(engine.run_until(Time::from_s(3), 10) == StopReason::Drained);
  engine.post_on(channel, &target, 1);
  engine.post_on(channel, &target, 2);
  CHECK(engine.run_until(Time::from_s(kMaxTimeSeconds), 10) == StopReason::TimeLimit);
  CHECK(target.fired == std::vector<std::int64_t>{2'000'000'000});
  CHECK(engine.pending() == 2);
}
