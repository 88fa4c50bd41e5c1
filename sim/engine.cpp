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

thread_local const Engine* Engine::running_here_ = nullptr;

StopReason Engine::run_until(Time end, std::uint64_t max_events) {
  stop_requested_ = false;
  std::uint64_t budget = max_events;
  Event event;
  // Marks this engine as running and, while an event runs, which one: both
  // are cleared on the way out, however the loop ends.
  struct Mark {
    Engine& engine;
    const Engine* outer;
    explicit Mark(Engine& e) : engine(e), outer(running_here_) { running_here_ = &e; }
    ~Mark() {
      engine.running_target_ = nullptr;
      running_here_ = outer;
    }
  } mark(*this);
  for (;;) {
    if (budget == 0) {
      // Out of budget: say so only if an event before `end` was still due.
      if (queue_.settle() && queue_.top_time() < end) return StopReason::EventBudget;
      break;
    }
    if (!queue_.pop_before(end, event)) break;
    --budget;
    now_ = event.at;
    ++processed_;
    // Two stores, not the event's address: taking it would keep the event
    // out of registers for the whole loop.
    running_target_ = event.target;
    running_kind_ = event.kind;
    event.target->on_event(event.kind, event.data);
    if (stop_requested_) return StopReason::Stopped;
  }
  const bool drained = queue_.empty();
  if (now_ < end) now_ = end;
  return drained ? StopReason::Drained : StopReason::TimeLimit;
}

}  // namespace archsim::sim
