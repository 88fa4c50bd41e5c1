#include "sim/engine.h"

#include <cassert>

namespace archsim::sim {

const char* to_string(StopReason reason) {
  switch (reason) {
    case StopReason::Drained: return "drained";
    case StopReason::TimeLimit: return "time_limit";
    case StopReason::EventBudget: return "event_budget";
    case StopReason::Stopped: return "stopped";
  }
  return "unknown";
}

EventHandle Engine::schedule(Time at, Phase phase, EventTarget* target, std::uint32_t kind,
                             std::uint64_t data) {
  assert(at >= now_ && "an event may not be scheduled in the past");
  assert(target != nullptr);
  return queue_.push(at, phase, target, kind, data);
}

StopReason Engine::run_until(Time end, std::uint64_t max_events) {
  stop_requested_ = false;
  std::uint64_t budget = max_events;
  while (queue_.settle()) {
    if (queue_.top_time() >= end) {
      now_ = end;
      return StopReason::TimeLimit;
    }
    if (budget == 0) return StopReason::EventBudget;
    --budget;
    const Event event = queue_.pop();
    now_ = event.at;
    ++processed_;
    event.target->on_event(event.kind, event.data);
    if (stop_requested_) return StopReason::Stopped;
  }
  if (now_ < end) now_ = end;
  return StopReason::Drained;
}

}  // namespace archsim::sim
