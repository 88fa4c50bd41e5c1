// sim/engine.h: the event loop. It owns simulated time and the pending-event
// set, and knows nothing of what the events mean.
#pragma once

#include <cassert>
#include <cstdint>

#include "sim/event_queue.h"
#include "sim/time.h"

namespace archsim::sim {

enum class StopReason {
  Drained,      // no event left
  TimeLimit,    // the next event is at or after the end time
  EventBudget,  // the budget of events ran out
  Stopped,      // stop() was called from an event
};

const char* to_string(StopReason reason);

class Engine {
 public:
  Time now() const { return now_; }

  // Schedules an event at an absolute time, which must not be in the past;
  // the handle cancels it. Use post() for events never cancelled: cheaper.
  EventHandle schedule(Time at, Phase phase, EventTarget* target, std::uint32_t kind,
                       std::uint64_t data = 0) {
    assert(at >= now_ && "an event may not be scheduled in the past");
    assert(target != nullptr);
    return queue_.push(at, phase, target, kind, data);
  }
  EventHandle schedule_in(Time delay, Phase phase, EventTarget* target, std::uint32_t kind,
                          std::uint64_t data = 0) {
    return schedule(now_ + delay, phase, target, kind, data);
  }
  bool cancel(EventHandle handle) { return queue_.cancel(handle); }

  // Schedules an event that will not be cancelled.
  [[gnu::always_inline]] void post(Time at, Phase phase, EventTarget* target, std::uint32_t kind, std::uint64_t data = 0) {
    assert(at >= now_ && "an event may not be scheduled in the past");
    assert(target != nullptr);
    queue_.post(at, phase, target, kind, data);
  }
  [[gnu::always_inline]] void post_in(Time delay, Phase phase, EventTarget* target, std::uint32_t kind, std::uint64_t data = 0) {
    post(now_ + delay, phase, target, kind, data);
  }

  // A channel for events always posted the same delay ahead in the same
  // phase (a link or a step with a constant time). Posting on it is cheaper
  // than post_in and gives the same order. -1 when none is left: use post_in.
  int channel(Time delay, Phase phase) { return queue_.channel(delay, phase); }
  [[gnu::always_inline]] void post_on(int channel, EventTarget* target, std::uint32_t kind, std::uint64_t data = 0) {
    assert(target != nullptr);
    queue_.post_on(channel, target, kind, data);
  }

  // The same, for an event that may be cancelled (a timeout of a constant
  // length): a cancelled one waits in its lane, not in the heap, until it
  // would have run.
  EventHandle schedule_on(int channel, EventTarget* target, std::uint32_t kind, std::uint64_t data = 0) {
    assert(target != nullptr);
    return queue_.push_on(channel, target, kind, data);
  }

  // Runs every event with time < end, at most max_events of them, then moves
  // the clock to end (unless stopped early by the budget or stop()).
  StopReason run_until(Time end, std::uint64_t max_events);
  void stop() { stop_requested_ = true; }

  std::uint64_t events_processed() const { return processed_; }

  // The target and kind of the event being run (or just run) while
  // run_until is under way; a null target outside it. With running_here(),
  // lets a failed check say where it failed.
  const EventTarget* running_target() const { return running_target_; }
  std::uint32_t running_kind() const { return running_kind_; }
  // The engine whose run_until is under way on this thread, or null.
  static const Engine* running_here() { return running_here_; }
  std::size_t pending() const { return queue_.size(); }

 private:
  EventQueue queue_;
  Time now_{};
  std::uint64_t processed_ = 0;
  bool stop_requested_ = false;
  const EventTarget* running_target_ = nullptr;
  std::uint32_t running_kind_ = 0;
  static thread_local const Engine* running_here_;
};

}  // namespace archsim::sim
