// sim/event_queue.h: the pending-event set.
//
// Events are ordered by the key (at, phase, seq): time first, then the phase
// (a departure at t frees a worker before an arrival at t asks for one, and
// reporting boundaries come before both), then seq, which counts the events
// scheduled, so events of equal time and phase run in the order they were
// scheduled. The order is total: no two events share a seq.
//
// The set is an implicit d-ary heap whose entries carry their payload, so
// steady-state scheduling allocates nothing and running an event reads
// nothing else. Only cancellable events (push) also own a slot, recycled
// through a free list, holding their live flag: cancelling clears it and the
// queue drops the entry when it surfaces. Events never cancelled (post) have
// no slot.
//
// Two kinds of events skip the heap and go to FIFO lanes instead, because
// they arrive already sorted:
// - events for the current time (zero-latency hops, the common case), one
//   lane per phase: every event in such a lane has the current time and its
//   phase, and lanes fill in schedule order;
// - events scheduled a fixed delay ahead on a channel (a link or a step with a
//   constant time): the current time never decreases, so now + delay and seq
//   both grow along the lane.
// Each lane is thus sorted by the key; the earliest event is the least of the
// heap's top and the lanes' fronts, and the order is exactly the heap's.
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

#include "sim/ring_buffer.h"
#include "sim/time.h"

namespace archsim::sim {

enum class Phase : std::uint8_t {
  Boundary = 0,   // reporting-interval and warm-up boundaries
  Departure = 1,  // work finishing (a compute step ending, a reply arriving): frees capacity
  Arrival = 2,    // requests arriving: ask for capacity
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
  // Schedules an event that can be cancelled through the returned handle.
  EventHandle push(Time at, Phase phase, EventTarget* target, std::uint32_t kind, std::uint64_t data) {
    const std::uint32_t slot = take_slot();
    insert(at, phase, target, kind, data, slot);
    return EventHandle{slot, slots_[slot].generation};
  }

  // Schedules an event that is never cancelled: no slot, nothing to look up
  // when it runs. Most events are of this kind.
  [[gnu::always_inline]] void post(Time at, Phase phase, EventTarget* target, std::uint32_t kind, std::uint64_t data) {
    insert(at, phase, target, kind, data, kNoSlot);
  }

  // A lane for events scheduled `delay` ahead in `phase`; -1 when the lanes
  // are all taken (the caller then schedules through post()). Lanes are
  // shared by every caller with the same delay and phase.
  int channel(Time delay, Phase phase) {
    assert(delay.ns >= 0);
    if (delay.ns == 0) return static_cast<int>(phase);
    for (int i = kPhases; i < lane_count_; ++i)
      if (lane_delay_[i] == delay.ns && lane_phase_[i] == phase) return i;
    if (lane_count_ == kMaxLanes) return -1;
    lane_delay_[lane_count_] = delay.ns;
    lane_phase_[lane_count_] = phase;
    return lane_count_++;
  }

  // Posts an event on a channel: at the current time plus its delay.
  [[gnu::always_inline]] void post_on(int channel, EventTarget* target, std::uint32_t kind, std::uint64_t data) {
    assert(channel >= 0 && channel < lane_count_);
    assert(seq_ < (std::uint64_t{1} << 56));
    push_lane(channel, Key{Time::saturating_add(now_, lane_delay_[channel]),
                           (static_cast<std::uint64_t>(lane_phase_[channel]) << 56) | seq_++, target, data, kind,
                           kNoSlot});
    ++live_;
  }

  // The same, for an event that may be cancelled: the handle cancels it.
  EventHandle push_on(int channel, EventTarget* target, std::uint32_t kind, std::uint64_t data) {
    assert(channel >= 0 && channel < lane_count_);
    assert(seq_ < (std::uint64_t{1} << 56));
    const std::uint32_t slot = take_slot();
    push_lane(channel, Key{Time::saturating_add(now_, lane_delay_[channel]),
                           (static_cast<std::uint64_t>(lane_phase_[channel]) << 56) | seq_++, target, data, kind, slot});
    ++live_;
    return EventHandle{slot, slots_[slot].generation};
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
    for (;;) {
      const Key* top = find_top();
      if (top == nullptr) return false;
      if (top->slot == kNoSlot || slots_[top->slot].live) return true;
      const std::uint32_t slot = top->slot;
      remove_top();
      free_.push_back(slot);
    }
  }

  // Time of the earliest live event; call settle() first.
  Time top_time() { return Time{find_top()->at}; }

  // Takes the earliest live event; call settle() first. The queue's notion of
  // the current time moves to the event's time.
  Event pop() {
    const Key top = *find_top();
    if (top.slot != kNoSlot) {
      assert(slots_[top.slot].live);
      slots_[top.slot].live = false;
      free_.push_back(top.slot);
    }
    --live_;
    remove_top();
    now_ = top.at;
    return Event{Time{top.at}, top.target, top.data, top.kind};
  }

  // The engine's step: takes the earliest live event if its time is before
  // `end`; false when the set is empty or the next event is at or after end.
  bool pop_before(Time end, Event& out) {
    for (;;) {
      const Key* top = find_top();
      if (top == nullptr) return false;
      if (top->slot != kNoSlot) {
        Slot& s = slots_[top->slot];
        if (!s.live) {  // cancelled: drop it and look again
          const std::uint32_t slot = top->slot;
          remove_top();
          free_.push_back(slot);
          continue;
        }
        if (top->at >= end.ns) return false;
        s.live = false;
        free_.push_back(top->slot);
      } else if (top->at >= end.ns) {
        return false;
      }
      out = Event{Time{top->at}, top->target, top->data, top->kind};
      now_ = top->at;
      --live_;
      remove_top();
      return true;
    }
  }

  std::size_t size() const { return live_; }
  bool empty() const { return live_ == 0; }
  std::uint64_t scheduled() const { return seq_; }

 private:
  static constexpr std::uint32_t kNoSlot = 0xFFFFFFFFu;

  // An entry carries its payload, so running an event reads nothing else;
  // only cancellable events also own a slot, for their live flag.
  struct Key {
    std::int64_t at;
    std::uint64_t order;  // phase in the top 8 bits, seq below
    EventTarget* target;
    std::uint64_t data;
    std::uint32_t kind;
    std::uint32_t slot;   // kNoSlot: cannot be cancelled
  };
  struct Slot {
    std::uint32_t generation = 0;
    bool live = false;
  };

  // Times are never negative, so (at, order) compares as one 128-bit number:
  // a compare and a subtract-with-borrow, no branch.
  static unsigned __int128 rank(const Key& k) {
    return (static_cast<unsigned __int128>(static_cast<std::uint64_t>(k.at)) << 64) | k.order;
  }
  static bool before(const Key& a, const Key& b) { return rank(a) < rank(b); }

  std::uint32_t take_slot() {
    std::uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(Slot{});
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    Slot& s = slots_[slot];
    s.live = true;
    if (++s.generation == 0) s.generation = 1;
    return slot;
  }

  [[gnu::always_inline]] void insert(Time at, Phase phase, EventTarget* target, std::uint32_t kind, std::uint64_t data,
              std::uint32_t slot) {
    assert(seq_ < (std::uint64_t{1} << 56));
    assert(at.ns >= now_);
    const Key key{at.ns, (static_cast<std::uint64_t>(phase) << 56) | seq_++, target, data, kind, slot};
    if (at.ns == now_) {
      push_lane(static_cast<int>(phase), key);
    } else {
      if (heap_size_ == heap_capacity_) [[unlikely]] grow_heap();
      place_up(heap_size_++, key);
    }
    ++live_;
  }

  // A lane's front changes only when an event joins an empty lane or leaves
  // the lane's front, so the least front is kept up to date there (in
  // front_rank_ and best_lane_) and the step reads one rank, not every
  // lane's front.
  [[gnu::always_inline]] void push_lane(int lane, const Key& key) {
    if (lanes_[lane].empty()) {
      const unsigned __int128 r = rank(key);
      front_rank_[lane] = r;
      nonempty_ |= 1u << lane;
      if (best_lane_ < 0 || r < front_rank_[best_lane_]) best_lane_ = lane;
    }
    lanes_[lane].push_back(key);
  }

  // The least key among the heap's top and the lanes' fronts; remembers where
  // it came from for remove_top(). Null when the set is empty.
  const Key* find_top() {
    const Key* best = heap_size_ == 0 ? nullptr : &heap_[0];
    top_lane_ = -1;
    if (best_lane_ >= 0 && (best == nullptr || front_rank_[best_lane_] < rank(*best))) {
      top_lane_ = best_lane_;
      best = &lanes_[best_lane_].front();
    }
    return best;
  }

  void remove_top() {
    if (top_lane_ >= 0) {
      RingBuffer<Key>& lane = lanes_[top_lane_];
      lane.pop_front();
      if (lane.empty())
        nonempty_ &= ~(1u << top_lane_);
      else
        front_rank_[top_lane_] = rank(lane.front());
      best_lane_ = -1;
      for (std::uint32_t bits = nonempty_; bits != 0; bits &= bits - 1) {
        const int i = __builtin_ctz(bits);
        if (best_lane_ < 0 || front_rank_[i] < front_rank_[best_lane_]) best_lane_ = i;
      }
    } else {
      pop_top();
    }
  }

  // Puts `key` at hole i or above, moving larger parents down. The key comes
  // in a register, not read back from the slot just written (which would
  // stall on store forwarding).
  void place_up(std::size_t i, const Key& key) {
    while (i > 0) {
      const std::size_t parent = (i - 1) / Arity;
      if (!before(key, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = key;
  }

  // Bottom-up deletion (Floyd): the hole at the top sinks to a leaf along the
  // smallest children, then the last key rises from there. The last key
  // nearly always belongs near the bottom, so this takes about half the
  // comparisons of sifting it down from the top.
  void pop_top() {
    const std::size_t n = --heap_size_;
    const Key last = heap_[n];
    if (n == 0) return;
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = i * Arity + 1;
      if (first >= n) break;
      std::size_t best = first;
      if (first + Arity <= n) {
        for (std::size_t c = first + 1; c < first + Arity; ++c)
          if (before(heap_[c], heap_[best])) best = c;
      } else {
        for (std::size_t c = first + 1; c < n; ++c)
          if (before(heap_[c], heap_[best])) best = c;
      }
      heap_[i] = heap_[best];
      i = best;
    }
    place_up(i, last);
  }

  static constexpr int kPhases = 4;
  // Lanes 0-3 hold events for the current time, by phase; the others are
  // channels with a fixed delay. Few enough that scanning them is cheap.
  static constexpr int kMaxLanes = 16;
  // The heap is heap_[0, heap_size_); the vector only grows, out of the way
  // of insert, so that insert stays small enough to inline. Its size is kept
  // apart too (heap_capacity_): for a Key of 40 bytes, the vector's size
  // costs a division.
  [[gnu::noinline]] void grow_heap() {
    heap_.resize(heap_.empty() ? 1024 : heap_.size() * 2);
    heap_capacity_ = heap_.size();
  }
  std::vector<Key> heap_;
  std::size_t heap_size_ = 0;
  std::size_t heap_capacity_ = 0;
  RingBuffer<Key> lanes_[kMaxLanes];
  std::int64_t lane_delay_[kMaxLanes] = {};
  Phase lane_phase_[kMaxLanes] = {Phase::Boundary, Phase::Departure, Phase::Arrival, Phase::Timer};
  int lane_count_ = kPhases;
  std::uint32_t nonempty_ = 0;  // bit i: lane i holds events
  unsigned __int128 front_rank_[kMaxLanes] = {};  // rank of each nonempty lane's front
  int best_lane_ = -1;  // the nonempty lane with the least front; -1: none
  int top_lane_ = -1;
  std::int64_t now_ = 0;  // time of the last event taken
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint64_t seq_ = 0;
  std::size_t live_ = 0;
};

using EventQueue = DaryEventQueue<4>;

}  // namespace archsim::sim
