// models/runtime/single_flight.h: request collapsing for a cache that calls
// what it copies. While one call for a key is out, the other misses on that
// key make no call of their own: they wait for the answer of the one under
// way, and all take it, in the order they came (single-flight). A cache
// server and each CDN edge own one.
//
// The owner makes the call and keeps the requests; this only remembers, by
// key, whether a call is out and which requests wait for it. It touches no
// field of theirs (Request::scratch is their sender's). By key, the map
// holds kOut | (first waiter + 1) << 32 | (last waiter + 1), 0 for no call
// out; the waiters are a list in an array grown to the most ever waiting at
// once and then reused through a free list. Map entries are never removed
// (sim::KeyMap): the map grows with the keys ever missed, out of line, and
// nothing is allocated per request once it and the array have grown.
//
// Not modelled here: a limit on the requests one call may carry, or a
// waiter that gives up on its own.
#pragma once

#include <cstdint>
#include <vector>

#include "models/runtime/request.h"
#include "sim/key_map.h"

namespace archsim::models {

class SingleFlight {
 public:
  // True when `request` is the first to miss `key`: it makes the call.
  // False when a call for the key is out: it waits for its answer, last in
  // line.
  bool join(std::uint64_t key, Request& request) {
    std::uint64_t& out = out_.at(key);
    if (out == 0) {
      out = kOut;
      return true;
    }
    std::uint32_t waiter = free_;
    if (waiter == kNone) {
      waiter = static_cast<std::uint32_t>(waiters_.size());
      waiters_.push_back(Waiter{});
    } else {
      free_ = waiters_[waiter].next;
    }
    waiters_[waiter] = Waiter{&request, kNone};
    const auto first = static_cast<std::uint32_t>(out >> 32 & 0x7FFFFFFF);
    const auto last = static_cast<std::uint32_t>(out & 0xFFFFFFFF);
    if (last != 0) waiters_[last - 1].next = waiter;
    out = kOut | std::uint64_t{first != 0 ? first : waiter + 1} << 32 | (waiter + 1);
    return false;
  }

  // The call for `key` has been answered: the key is free again, and
  // `answer` runs for each request that waited for it, in the order they
  // came. (The owner answers the request that made the call itself.)
  template <class F>
  void land(std::uint64_t key, F answer) {
    std::uint64_t& out = out_.at(key);
    std::uint32_t waiter = static_cast<std::uint32_t>(out >> 32 & 0x7FFFFFFF) - 1;  // kNone when none
    out = 0;
    while (waiter != kNone) {
      const Waiter w = waiters_[waiter];
      waiters_[waiter].next = free_;
      free_ = waiter;
      answer(*w.request);
      waiter = w.next;
    }
  }

  // Forgets every call out and every request waiting, for an owner that
  // has dealt with them itself (a crash fails them all, and drops the
  // calls' answers).
  void clear() {
    out_ = sim::KeyMap{};
    free_ = kNone;
    for (std::uint32_t w = static_cast<std::uint32_t>(waiters_.size()); w-- > 0;) {
      waiters_[w].next = free_;
      free_ = w;
    }
  }

 private:
  static constexpr std::uint64_t kOut = std::uint64_t{1} << 63;
  static constexpr std::uint32_t kNone = 0xFFFFFFFF;
  struct Waiter {
    Request* request = nullptr;
    std::uint32_t next = kNone;  // kNone: the last
  };
  sim::KeyMap out_;
  std::vector<Waiter> waiters_;
  std::uint32_t free_ = kNone;
};

}  // namespace archsim::models
