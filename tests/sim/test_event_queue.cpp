// tests/sim/test_event_queue.cpp: one suite run over every pending-event set
// implementation. The queue never calls its targets, so events are told apart
// by their data field and the target is left null. As in the engine, no event
// is pushed before the time of the last one popped.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <vector>

#include "sim/event_queue.h"
#include "sim/rng.h"

using archsim::sim::DaryEventQueue;
using archsim::sim::EventHandle;
using archsim::sim::Phase;
using archsim::sim::Rng;
using archsim::sim::Time;

namespace {

template <typename Queue>
EventHandle push(Queue& queue, std::int64_t at, Phase phase, std::uint64_t data) {
  return queue.push(Time{at}, phase, nullptr, 0, data);
}

// Pops every live event and returns their data fields in pop order.
template <typename Queue>
std::vector<std::uint64_t> drain(Queue& queue) {
  std::vector<std::uint64_t> order;
  while (queue.settle()) order.push_back(queue.pop().data);
  return order;
}

}  // namespace

#define EVENT_QUEUES DaryEventQueue<2>, DaryEventQueue<4>, DaryEventQueue<8>

TEST_CASE_TEMPLATE("events pop in time order", Queue, EVENT_QUEUES) {
  Queue queue;
  const std::int64_t times[] = {50, 10, 40, 5, 30, 20, 0, 45, 15, 35};
  for (std::int64_t t : times) push(queue, t, Phase::Arrival, static_cast<std::uint64_t>(t + 100));
  std::vector<std::int64_t> popped;
  while (queue.settle()) {
    const std::int64_t top = queue.top_time().ns;
    const auto event = queue.pop();
    CHECK(event.at.ns == top);
    CHECK(event.data == static_cast<std::uint64_t>(top + 100));
    popped.push_back(event.at.ns);
  }
  std::vector<std::int64_t> expected(std::begin(times), std::end(times));
  std::sort(expected.begin(), expected.end());
  CHECK(popped == expected);
}

TEST_CASE_TEMPLATE("at equal time, Boundary < Departure < Arrival < Timer", Queue, EVENT_QUEUES) {
  Queue queue;
  // Scheduled in the reverse of the order they must run in.
  push(queue, 7, Phase::Timer, 3);
  push(queue, 7, Phase::Arrival, 2);
  push(queue, 7, Phase::Departure, 1);
  push(queue, 7, Phase::Boundary, 0);
  CHECK(drain(queue) == std::vector<std::uint64_t>{0, 1, 2, 3});
}

TEST_CASE_TEMPLATE("departure at t runs before an arrival at t", Queue, EVENT_QUEUES) {
  Queue queue;
  push(queue, 100, Phase::Arrival, 1);
  push(queue, 100, Phase::Departure, 2);
  CHECK(drain(queue) == std::vector<std::uint64_t>{2, 1});
}

TEST_CASE_TEMPLATE("an earlier time wins over an earlier phase", Queue, EVENT_QUEUES) {
  Queue queue;
  push(queue, 2, Phase::Boundary, 2);
  push(queue, 1, Phase::Timer, 1);
  CHECK(drain(queue) == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE_TEMPLATE("events of equal time and phase run in schedule order", Queue, EVENT_QUEUES) {
  Queue queue;
  // Enough events for several heap levels in every arity, interleaved with
  // events at other times and phases so that sifting has work to do.
  std::vector<std::uint64_t> expected;
  for (std::uint64_t i = 0; i < 200; ++i) {
    push(queue, 5, Phase::Arrival, i);
    expected.push_back(i);
    push(queue, static_cast<std::int64_t>(i % 3 == 0 ? 9 : 1), Phase::Timer, 1000 + i);
    push(queue, 5, Phase::Timer, 2000 + i);
  }
  std::vector<std::uint64_t> at_five_arrival;
  while (queue.settle()) {
    const auto event = queue.pop();
    if (event.data < 1000) at_five_arrival.push_back(event.data);
  }
  CHECK(at_five_arrival == expected);
}

TEST_CASE_TEMPLATE("events pushed at the current time keep the (time, phase, seq) order", Queue,
                   EVENT_QUEUES) {
  // A queue may keep events pushed at the current time (the last pop's; a
  // zero-delay hop) apart from the rest; they must still interleave by key
  // with events at that time pushed earlier.
  Queue queue;
  push(queue, 5, Phase::Arrival, 1);  // all pushed at time 0, for time 5
  push(queue, 5, Phase::Arrival, 2);
  push(queue, 5, Phase::Timer, 3);
  push(queue, 6, Phase::Boundary, 4);
  REQUIRE(queue.settle());
  REQUIRE(queue.pop().data == 1);  // the current time is now 5
  push(queue, 5, Phase::Arrival, 10);    // after 2: same phase, scheduled later
  push(queue, 5, Phase::Departure, 11);  // before 2: earlier phase
  push(queue, 5, Phase::Timer, 12);      // after 3
  push(queue, 5, Phase::Boundary, 13);   // first of all
  push(queue, 5, Phase::Departure, 14);  // after 11
  REQUIRE(queue.settle());
  CHECK(queue.top_time().ns == 5);
  CHECK(queue.pop().data == 13);
  // Pushed while events of the current time are still pending.
  push(queue, 5, Phase::Boundary, 15);  // still before everything left
  push(queue, 5, Phase::Arrival, 16);   // after 10
  CHECK(drain(queue) == std::vector<std::uint64_t>{15, 11, 14, 2, 10, 16, 3, 12, 4});
}

TEST_CASE_TEMPLATE("events pushed at time zero before any pop run in key order", Queue, EVENT_QUEUES) {
  Queue queue;
  push(queue, 0, Phase::Timer, 1);
  push(queue, 1, Phase::Boundary, 2);
  push(queue, 0, Phase::Arrival, 3);
  push(queue, 0, Phase::Departure, 4);
  push(queue, 0, Phase::Arrival, 5);
  CHECK(drain(queue) == std::vector<std::uint64_t>{4, 3, 5, 1, 2});
}

TEST_CASE_TEMPLATE("cancel skips the event and succeeds only once", Queue, EVENT_QUEUES) {
  Queue queue;
  push(queue, 1, Phase::Arrival, 1);
  const EventHandle b = push(queue, 2, Phase::Arrival, 2);
  push(queue, 3, Phase::Arrival, 3);
  CHECK(queue.size() == 3);
  CHECK(queue.cancel(b));
  CHECK(queue.size() == 2);
  CHECK_FALSE(queue.cancel(b));
  CHECK(queue.size() == 2);
  CHECK(drain(queue) == std::vector<std::uint64_t>{1, 3});
}

TEST_CASE_TEMPLATE("cancelling the earliest event exposes the next one", Queue, EVENT_QUEUES) {
  Queue queue;
  const EventHandle first = push(queue, 1, Phase::Arrival, 1);
  push(queue, 2, Phase::Arrival, 2);
  CHECK(queue.cancel(first));
  REQUIRE(queue.settle());
  CHECK(queue.top_time().ns == 2);
  CHECK(queue.pop().data == 2);
  CHECK_FALSE(queue.settle());
}

TEST_CASE_TEMPLATE("an event pushed at the current time can be cancelled", Queue, EVENT_QUEUES) {
  Queue queue;
  push(queue, 3, Phase::Arrival, 1);
  push(queue, 4, Phase::Arrival, 2);
  REQUIRE(queue.settle());
  REQUIRE(queue.pop().data == 1);
  const EventHandle now_event = push(queue, 3, Phase::Arrival, 3);
  push(queue, 3, Phase::Timer, 4);
  CHECK(queue.size() == 3);
  CHECK(queue.cancel(now_event));
  CHECK_FALSE(queue.cancel(now_event));
  CHECK(queue.size() == 2);
  CHECK(drain(queue) == std::vector<std::uint64_t>{4, 2});
}

TEST_CASE_TEMPLATE("cancel of a popped event returns false", Queue, EVENT_QUEUES) {
  Queue queue;
  const EventHandle a = push(queue, 1, Phase::Arrival, 1);
  push(queue, 2, Phase::Arrival, 2);
  REQUIRE(queue.settle());
  CHECK(queue.pop().data == 1);
  CHECK_FALSE(queue.cancel(a));
  CHECK(queue.size() == 1);
  CHECK(drain(queue) == std::vector<std::uint64_t>{2});
}

TEST_CASE_TEMPLATE("a default handle names no event", Queue, EVENT_QUEUES) {
  Queue queue;
  push(queue, 1, Phase::Arrival, 1);
  CHECK_FALSE(EventHandle{}.valid());
  CHECK_FALSE(queue.cancel(EventHandle{}));
  // A slot that was never handed out.
  CHECK_FALSE(queue.cancel(EventHandle{12345, 1}));
  CHECK(queue.size() == 1);
}

TEST_CASE_TEMPLATE("a handle to a recycled slot cannot cancel the new event", Queue, EVENT_QUEUES) {
  Queue queue;
  SUBCASE("slot freed by pop") {
    const EventHandle old = push(queue, 1, Phase::Arrival, 1);
    REQUIRE(queue.settle());
    queue.pop();
    const EventHandle fresh = push(queue, 2, Phase::Arrival, 2);
    REQUIRE(fresh.slot == old.slot);  // the free list hands the slot back
    CHECK(fresh.generation != old.generation);
    CHECK_FALSE(queue.cancel(old));
    CHECK(queue.size() == 1);
    CHECK(drain(queue) == std::vector<std::uint64_t>{2});
  }
  SUBCASE("slot freed by a cancelled entry surfacing") {
    const EventHandle old = push(queue, 1, Phase::Arrival, 1);
    CHECK(queue.cancel(old));
    CHECK_FALSE(queue.settle());  // drops the cancelled entry, frees its slot
    const EventHandle fresh = push(queue, 2, Phase::Arrival, 2);
    REQUIRE(fresh.slot == old.slot);
    CHECK_FALSE(queue.cancel(old));
    CHECK(queue.size() == 1);
    CHECK(queue.cancel(fresh));
    CHECK(queue.empty());
  }
}

TEST_CASE_TEMPLATE("size counts only live events", Queue, EVENT_QUEUES) {
  Queue queue;
  CHECK(queue.empty());
  std::vector<EventHandle> handles;
  for (std::uint64_t i = 0; i < 10; ++i)
    handles.push_back(push(queue, static_cast<std::int64_t>(i), Phase::Timer, i));
  CHECK(queue.size() == 10);
  CHECK(queue.scheduled() == 10);
  for (std::size_t i = 0; i < 10; i += 2) CHECK(queue.cancel(handles[i]));
  CHECK(queue.size() == 5);
  CHECK_FALSE(queue.empty());
  REQUIRE(queue.settle());
  CHECK(queue.pop().data == 1);
  CHECK(queue.size() == 4);
  for (std::size_t i = 3; i < 10; i += 2) CHECK(queue.cancel(handles[i]));
  CHECK(queue.size() == 0);
  CHECK(queue.empty());
  CHECK_FALSE(queue.settle());
  CHECK(queue.scheduled() == 10);  // counts schedule() calls, not live events
}

// Pushes, cancels and pops at random, checking every result against a
// reference that keeps the pending events in a vector and takes the smallest
// (time, phase, seq) by a linear scan. New events are at the current time (the
// last pop's) with probability now_in_four / 4, otherwise up to `spread` ticks
// later. The queue fills to a few hundred events (several heap levels in every
// arity) and drains to a few, over and over, so the clock keeps moving. With
// `channels`, half the pushes go instead on one of six channels (fixed delays
// and phases, so six lanes besides the heap and the current time's).
template <typename Queue>
void check_against_reference(std::uint64_t seed, std::uint64_t now_in_four, std::uint64_t spread,
                             bool channels = false) {
  struct Pending {
    std::int64_t at;
    Phase phase;
    std::uint64_t seq;
  };
  auto key = [](const Pending& p) { return std::tuple(p.at, p.phase, p.seq); };
  auto by_key = [&](const Pending& a, const Pending& b) { return key(a) < key(b); };

  Queue queue;
  std::vector<Pending> reference;
  std::vector<EventHandle> every_handle;  // live, cancelled and popped alike
  std::vector<std::uint64_t> handle_seq;  // seq of every_handle[i]
  Rng rng(seed);
  std::uint64_t seq = 0;
  std::int64_t now = 0;
  bool filling = true;
  std::uint64_t pops = 0, cancels = 0, stale_cancels = 0, clock_moves = 0, channel_pushes = 0;
  constexpr int kChannels = 6;
  const std::int64_t delays[kChannels] = {1, 2, 3, 3, 7, 12};
  const Phase phases[kChannels] = {Phase::Departure, Phase::Arrival, Phase::Departure,
                                   Phase::Timer,     Phase::Arrival, Phase::Departure};
  int lanes[kChannels] = {};
  if (channels)
    for (int c = 0; c < kChannels; ++c) lanes[c] = queue.channel(Time{delays[c]}, phases[c]);

  for (int step = 0; step < 30000; ++step) {
    if (reference.size() >= 256) filling = false;
    if (reference.size() <= 4) filling = true;
    const std::uint64_t push_weight = filling ? 10 : 3;
    const std::uint64_t op = rng.below(16);
    if (op < push_weight) {
      std::int64_t at;
      Phase phase;
      EventHandle handle;
      if (channels && rng.below(2) == 0) {
        const auto c = rng.below(kChannels);
        at = now + delays[c];
        phase = phases[c];
        handle = queue.push_on(lanes[c], nullptr, 0, seq);
        ++channel_pushes;
      } else {
        at = rng.below(4) < now_in_four ? now : now + 1 + static_cast<std::int64_t>(rng.below(spread));
        phase = static_cast<Phase>(rng.below(4));
        handle = push(queue, at, phase, seq);
      }
      reference.push_back({at, phase, seq});
      every_handle.push_back(handle);
      handle_seq.push_back(seq);
      ++seq;
    } else if (op < push_weight + 3) {
      if (every_handle.empty()) continue;
      // Recent handles, so that a good share still name a pending event.
      const std::size_t recent = std::min<std::size_t>(every_handle.size(), 512);
      const std::size_t pick = every_handle.size() - 1 - rng.below(recent);
      auto it = std::find_if(reference.begin(), reference.end(),
                             [&](const Pending& p) { return p.seq == handle_seq[pick]; });
      const bool pending = it != reference.end();
      CHECK(queue.cancel(every_handle[pick]) == pending);
      if (pending) {
        reference.erase(it);
        ++cancels;
      } else {
        ++stale_cancels;
      }
    } else {
      const bool has_event = queue.settle();
      REQUIRE(has_event == !reference.empty());
      if (!has_event) continue;
      auto best = std::min_element(reference.begin(), reference.end(), by_key);
      CHECK(queue.top_time().ns == best->at);
      const auto event = queue.pop();
      REQUIRE(event.data == best->seq);
      CHECK(event.at.ns == best->at);
      clock_moves += best->at > now ? 1 : 0;
      now = best->at;
      reference.erase(best);
      ++pops;
    }
    REQUIRE(queue.size() == reference.size());
  }
  // Drain what is left, still in reference order.
  std::sort(reference.begin(), reference.end(), by_key);
  std::vector<std::uint64_t> expected;
  for (const auto& p : reference) expected.push_back(p.seq);
  CHECK(drain(queue) == expected);
  CHECK(queue.empty());
  // The mix really exercised every operation.
  CHECK(pops > 5000);
  CHECK(cancels > 1000);
  CHECK(stale_cancels > 1000);
  CHECK(clock_moves > 50);
  if (channels) CHECK(channel_pushes > 5000);
}

TEST_CASE_TEMPLATE("random pushes, cancels and pops match a sorted reference", Queue, EVENT_QUEUES) {
  check_against_reference<Queue>(20240601, 1, 15);
}

TEST_CASE_TEMPLATE("bursts of events at the current time match a sorted reference", Queue, EVENT_QUEUES) {
  // Mostly zero-delay hops, so hundreds of events share the current time.
  check_against_reference<Queue>(20240602, 3, 2);
}

TEST_CASE_TEMPLATE("pushes on channels, cancels and pops match a sorted reference", Queue, EVENT_QUEUES) {
  check_against_reference<Queue>(20261202, 1, 15, true);
}
