// tests/sim/test_engine.cpp: the event loop: run_until, the event budget,
// stop(), scheduling from inside a handler, and the counters.
#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/engine.h"

using archsim::sim::Engine;
using archsim::sim::EventHandle;
using archsim::sim::EventTarget;
using archsim::sim::Phase;
using archsim::sim::StopReason;
using archsim::sim::Time;

namespace {

struct Fired {
  std::int64_t at;
  std::uint32_t kind;
  std::uint64_t data;
  bool operator==(const Fired&) const = default;
};

// Records every event it receives, then runs an optional action, which may
// schedule, cancel or stop.
class Recorder final : public EventTarget {
 public:
  explicit Recorder(Engine& engine) : engine_(engine) {}
  void on_event(std::uint32_t kind, std::uint64_t data) override {
    fired.push_back({engine_.now().ns, kind, data});
    if (action) action(kind, data);
  }
  std::vector<Fired> fired;
  std::function<void(std::uint32_t, std::uint64_t)> action;

 private:
  Engine& engine_;
};

constexpr std::uint64_t kNoBudget = UINT64_MAX;

}  // namespace

TEST_CASE("run_until runs only events before the end and leaves now() at the end") {
  Engine engine;
  Recorder recorder(engine);
  engine.schedule(Time{5}, Phase::Arrival, &recorder, 1);
  engine.schedule(Time{10}, Phase::Boundary, &recorder, 2);  // at the end: not run
  engine.schedule(Time{15}, Phase::Arrival, &recorder, 3);

  CHECK(engine.run_until(Time{10}, kNoBudget) == StopReason::TimeLimit);
  CHECK(recorder.fired == std::vector<Fired>{{5, 1, 0}});
  CHECK(engine.now() == Time{10});
  CHECK(engine.pending() == 2);

  CHECK(engine.run_until(Time{20}, kNoBudget) == StopReason::Drained);
  CHECK(recorder.fired == std::vector<Fired>{{5, 1, 0}, {10, 2, 0}, {15, 3, 0}});
  CHECK(engine.now() == Time{20});
  CHECK(engine.pending() == 0);
}

TEST_CASE("run_until on an empty engine drains and moves the clock to the end") {
  Engine engine;
  CHECK(engine.run_until(Time{1000}, kNoBudget) == StopReason::Drained);
  CHECK(engine.now() == Time{1000});
  CHECK(engine.events_processed() == 0);
}

TEST_CASE("departure at t runs before an arrival at t") {
  Engine engine;
  Recorder recorder(engine);
  engine.schedule(Time{3}, Phase::Timer, &recorder, 4);
  engine.schedule(Time{3}, Phase::Arrival, &recorder, 3);
  engine.schedule(Time{3}, Phase::Departure, &recorder, 2);
  engine.schedule(Time{3}, Phase::Boundary, &recorder, 1);
  engine.run_until(Time{4}, kNoBudget);
  CHECK(recorder.fired == std::vector<Fired>{{3, 1, 0}, {3, 2, 0}, {3, 3, 0}, {3, 4, 0}});
}

TEST_CASE("the event budget stops the run and the remaining events run on a later call") {
  Engine engine;
  Recorder recorder(engine);
  for (std::uint32_t i = 1; i <= 5; ++i)
    engine.schedule(Time{10 * i}, Phase::Arrival, &recorder, i);

  CHECK(engine.run_until(Time{100}, 3) == StopReason::EventBudget);
  CHECK(recorder.fired.size() == 3);
  CHECK(engine.events_processed() == 3);
  CHECK(engine.pending() == 2);
  // The clock stays at the last event run, not at the end.
  CHECK(engine.now() == Time{30});

  CHECK(engine.run_until(Time{100}, kNoBudget) == StopReason::Drained);
  CHECK(recorder.fired ==
        std::vector<Fired>{{10, 1, 0}, {20, 2, 0}, {30, 3, 0}, {40, 4, 0}, {50, 5, 0}});
  CHECK(engine.events_processed() == 5);
  CHECK(engine.now() == Time{100});
}

TEST_CASE("a zero budget runs nothing but still honours the time limit") {
  Engine engine;
  Recorder recorder(engine);
  engine.schedule(Time{10}, Phase::Arrival, &recorder, 1);
  CHECK(engine.run_until(Time{20}, 0) == StopReason::EventBudget);
  CHECK(recorder.fired.empty());
  CHECK(engine.now() == Time{0});
  // The only event is at or after the end: that is a time limit, not the budget.
  CHECK(engine.run_until(Time{10}, 0) == StopReason::TimeLimit);
  CHECK(engine.now() == Time{10});
  CHECK(recorder.fired.empty());
}

TEST_CASE("a budget equal to the number of events drains the queue") {
  Engine engine;
  Recorder recorder(engine);
  engine.schedule(Time{1}, Phase::Arrival, &recorder, 1);
  engine.schedule(Time{2}, Phase::Arrival, &recorder, 2);
  CHECK(engine.run_until(Time{10}, 2) == StopReason::Drained);
  CHECK(engine.now() == Time{10});
}

TEST_CASE("stop() from inside an event ends the run after that event") {
  Engine engine;
  Recorder recorder(engine);
  recorder.action = [&](std::uint32_t kind, std::uint64_t) {
    if (kind == 2) engine.stop();
  };
  engine.schedule(Time{1}, Phase::Arrival, &recorder, 1);
  engine.schedule(Time{2}, Phase::Arrival, &recorder, 2);
  engine.schedule(Time{2}, Phase::Timer, &recorder, 3);  // same time, later phase
  engine.schedule(Time{3}, Phase::Arrival, &recorder, 4);

  CHECK(engine.run_until(Time{100}, kNoBudget) == StopReason::Stopped);
  CHECK(recorder.fired == std::vector<Fired>{{1, 1, 0}, {2, 2, 0}});
  CHECK(engine.now() == Time{2});
  CHECK(engine.pending() == 2);

  // The stop request does not outlive the run it ended.
  CHECK(engine.run_until(Time{100}, kNoBudget) == StopReason::Drained);
  CHECK(recorder.fired == std::vector<Fired>{{1, 1, 0}, {2, 2, 0}, {2, 3, 0}, {3, 4, 0}});
}

TEST_CASE("events scheduled at the current time from a handler run in the same run") {
  Engine engine;
  Recorder recorder(engine);
  recorder.action = [&](std::uint32_t kind, std::uint64_t data) {
    // The first arrival schedules a chain of arrivals at the same instant.
    if (kind == 1 && data < 3) engine.schedule(engine.now(), Phase::Arrival, &recorder, 1, data + 1);
  };
  // Just before the end, so a same-time event is still inside the window.
  engine.schedule(Time{9}, Phase::Arrival, &recorder, 1, 0);
  CHECK(engine.run_until(Time{10}, kNoBudget) == StopReason::Drained);
  CHECK(recorder.fired == std::vector<Fired>{{9, 1, 0}, {9, 1, 1}, {9, 1, 2}, {9, 1, 3}});
  CHECK(engine.events_processed() == 4);
}

TEST_CASE("a departure scheduled at t from a handler runs before arrivals already pending at t") {
  Engine engine;
  Recorder recorder(engine);
  recorder.action = [&](std::uint32_t kind, std::uint64_t) {
    if (kind == 1) engine.schedule_in(Time{0}, Phase::Departure, &recorder, 9);
  };
  engine.schedule(Time{5}, Phase::Arrival, &recorder, 1);
  engine.schedule(Time{5}, Phase::Arrival, &recorder, 2);
  engine.run_until(Time{6}, kNoBudget);
  CHECK(recorder.fired == std::vector<Fired>{{5, 1, 0}, {5, 9, 0}, {5, 2, 0}});
}

TEST_CASE("schedule_in is relative to now()") {
  Engine engine;
  Recorder recorder(engine);
  recorder.action = [&](std::uint32_t kind, std::uint64_t) {
    if (kind == 1) engine.schedule_in(Time{25}, Phase::Timer, &recorder, 2, 77);
  };
  engine.schedule(Time{100}, Phase::Arrival, &recorder, 1);
  engine.run_until(Time{1000}, kNoBudget);
  CHECK(recorder.fired == std::vector<Fired>{{100, 1, 0}, {125, 2, 77}});
}

TEST_CASE("a cancelled event does not run and is not counted") {
  Engine engine;
  Recorder recorder(engine);
  engine.schedule(Time{1}, Phase::Arrival, &recorder, 1);
  const EventHandle timeout = engine.schedule(Time{2}, Phase::Timer, &recorder, 2);
  recorder.action = [&](std::uint32_t kind, std::uint64_t) {
    if (kind == 1) CHECK(engine.cancel(timeout));
  };
  engine.schedule(Time{3}, Phase::Arrival, &recorder, 3);
  CHECK(engine.pending() == 3);
  CHECK(engine.run_until(Time{10}, kNoBudget) == StopReason::Drained);
  CHECK(recorder.fired == std::vector<Fired>{{1, 1, 0}, {3, 3, 0}});
  CHECK(engine.events_processed() == 2);
  CHECK_FALSE(engine.cancel(timeout));
}

TEST_CASE("events_processed counts events run across calls") {
  Engine engine;
  Recorder recorder(engine);
  for (std::int64_t t = 0; t < 100; ++t) engine.schedule(Time{t}, Phase::Arrival, &recorder, 0);
  engine.run_until(Time{40}, kNoBudget);
  CHECK(engine.events_processed() == 40);
  engine.run_until(Time{100}, 25);
  CHECK(engine.events_processed() == 65);
  engine.run_until(Time{1000}, kNoBudget);
  CHECK(engine.events_processed() == 100);
  CHECK(recorder.fired.size() == 100);
}

TEST_CASE("the data and kind of an event reach its target unchanged") {
  Engine engine;
  Recorder first(engine), second(engine);
  engine.schedule(Time{1}, Phase::Arrival, &first, 7, 0xDEADBEEFCAFEF00DULL);
  engine.schedule(Time{1}, Phase::Arrival, &second, 8, 42);
  engine.run_until(Time{2}, kNoBudget);
  CHECK(first.fired == std::vector<Fired>{{1, 7, 0xDEADBEEFCAFEF00DULL}});
  CHECK(second.fired == std::vector<Fired>{{1, 8, 42}});
}

TEST_CASE("every stop reason has a distinct name") {
  CHECK(std::string(to_string(StopReason::Drained)) == "drained");
  CHECK(std::string(to_string(StopReason::TimeLimit)) == "time_limit");
  CHECK(std::string(to_string(StopReason::EventBudget)) == "event_budget");
  CHECK(std::string(to_string(StopReason::Stopped)) == "stopped");
}

TEST_CASE("while an event runs, the engine says which one, and that it is the engine running here") {
  struct Probe final : archsim::sim::EventTarget {
    Engine* engine = nullptr;
    const archsim::sim::EventTarget* seen = nullptr;
    const Engine* here = nullptr;
    std::uint32_t kind = 0;
    void on_event(std::uint32_t, std::uint64_t) override {
      seen = engine->running_target();
      here = Engine::running_here();
      kind = engine->running_kind();
    }
  } probe;
  Engine engine;
  probe.engine = &engine;
  CHECK(Engine::running_here() == nullptr);
  engine.post(archsim::sim::Time::from_ns(5), archsim::sim::Phase::Arrival, &probe, 7);
  engine.run_until(archsim::sim::Time::from_ns(10), 100);
  CHECK(probe.here == &engine);
  CHECK(probe.seen == &probe);
  CHECK(probe.kind == 7);
  CHECK(engine.running_target() == nullptr);  // outside run_until
  CHECK(Engine::running_here() == nullptr);
}
