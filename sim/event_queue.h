// sim/event_queue.h: the pending-event set.
//
// Events are ordered by the key (at, phase, seq): time first, then the phase
// (a departure at t frees a worker before an arrival at t asks for one, and
// reporting boundaries come before both), then seq, which counts schedule()
// calls, so events of equal time and phase run in the order they were
// scheduled. The order is total: no two events share a seq.
//
// The set is an implicit d-ary heap of small keys; the payload lives in a slot
// table, recycled through a free list, so steady-state scheduling allocates
// nothing. Cancelling marks the slot; the queue skips it when it surfaces.
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

#include "sim/time.h"

namespace archsim::sim {

enum class Phase : std::uint8_t {
  Boundary = 0,   // reporting-interval and warm-up boundaries
  Departure = 1,  // work finishing: frees capacity
  Arrival = 2,    // messages arriving: asks for capacity
  Timer = 3,      // timeouts and other timers
};

class EventTarget {
 public:
  virtual void on_event(std::uint32_t kind, std::uint64_t data) = 0;

 protected:
  ~EventTarget() = default;
};

struct EventHandle {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;  // 0 never names a live event
  bool valid() const { return generation != 0; }
};

struct Event {
  Time at;
  EventTarget* target = nullptr;
  std::uint64_t data = 0;
  std::uint32_t kind = 0;
};

template <int Arity>
class DaryEventQueue {
  static_assert(Arity >= 2);

 public:
  EventHandle push(Time at, Phase phase, EventTarget* target, std::uint32_t kind,
                   std::uint64_t data) {
    std::uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(Slot{});
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    Slot& s = slots_[slot];
    s.target = target;
    s.data = data;
    s.kind = kind;
    s.live = true;
    if (++s.generation == 0) s.generation = 1;
    assert(seq_ < (std::uint64_t{1} << 56));
    const Key key{at.ns, (static_cast<std::uint64_t>(phase) << 56) | seq_++, slot};
    heap_.push_back(key);
    sift_up(heap_.size() - 1);
    ++live_;
    return EventHandle{slot, s.generation};
  }

  // Marks the event cancelled; true if it was still pending.
  bool cancel(EventHandle handle) {
    if (!handle.valid() || handle.slot >= slots_.size()) return false;
    Slot& s = slots_[handle.slot];
    if (!s.live || s.generation != handle.generation) return false;
    s.live = false;
    --live_;
    return true;
  }

  // Removes cancelled entries at the top; true if a live event remains.
  bool settle() {
    while (!heap_.empty()) {
      const std::uint32_t slot = heap_.front().slot;
      if (slots_[slot].live) return true;
      pop_top();
      free_.push_back(slot);
    }
    return false;
  }

  // Time of the earliest live event; call settle() first.
  Time top_time() const { return Time{heap_.front().at}; }

  // Takes the earliest live event; call settle() first.
  Event pop() {
    const Key top = heap_.front();
    Slot& s = slots_[top.slot];
    assert(s.live);
    s.live = false;
    --live_;
    Event event{Time{top.at}, s.target, s.data, s.kind};
    pop_top();
    free_.push_back(top.slot);
    return event;
  }

  std::size_t size() const { return live_; }
  bool empty() const { return live_ == 0; }
  std::uint64_t scheduled() const { return seq_; }
  void reserve(std::size_t n) {
    heap_.reserve(n);
    slots_.reserve(n);
    free_.reserve(n);
  }

 private:
  struct Key {
    std::int64_t at;
    std::uint64_t order;  // phase in the top 8 bits, seq below
    std::uint32_t slot;
  };
  struct Slot {
    EventTarget* target = nullptr;
    std::uint64_t data = 0;
    std::uint32_t kind = 0;
    std::uint32_t generation = 0;
    bool live = false;
  };

  static bool before(const Key& a, const Key& b) {
    return a.at < b.at || (a.at == b.at && a.order < b.order);
  }

  void sift_up(std::size_t i) {
    const Key key = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / Arity;
      if (!before(key, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = key;
  }

  void pop_top() {
    const Key last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return;
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = i * Arity + 1;
      if (first >= n) break;
      const std::size_t end = first + Arity < n ? first + Arity : n;
      std::size_t best = first;
      for (std::size_t c = first + 1; c < end; ++c)
        if (before(heap_[c], heap_[best])) best = c;
      if (!before(heap_[best], last)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
  }

  std::vector<Key> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint64_t seq_ = 0;
  std::size_t live_ = 0;
};

using EventQueue = DaryEventQueue<4>;

}  // namespace archsim::sim
