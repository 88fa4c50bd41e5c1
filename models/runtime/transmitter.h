// models/runtime/transmitter.h: one direction of a network card or of a
// link: a single server that puts messages on the wire one after another, in
// the order they are offered, each taking its size / bandwidth.
//
// A message offered while the transmitter is busy waits behind those before
// it (first come, first served), so a card or a link loaded near its
// bandwidth builds a queue of its own, and the time a message waits there
// is part of its latency. The transmitter keeps no list: with one server
// and FIFO order, the time it is next free says when every message offered
// so far is through.
//
// Not modelled here: packets (a message goes whole, store and forward),
// sharing the bandwidth between messages at once (TCP's fair share), losses
// and retransmission, a buffer limit.
#pragma once

#include <algorithm>
#include <cstdint>

#include "sim/time.h"

namespace archsim::models {

// Cumulative from time zero, like every counter.
struct TransmitterCounters {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::int64_t scheduled_ns = 0;  // transmission time of every message offered
  std::int64_t waited_ns = 0;     // time messages waited for the transmitter to be free
};

class Transmitter {
 public:
  Transmitter() = default;
  explicit Transmitter(double bytes_per_s) : bytes_per_s_(bytes_per_s) {}

  double bytes_per_s() const { return bytes_per_s_; }
  // A message of `bytes` offered at `now`: when its last byte is sent.
  sim::Time pass(sim::Time now, std::uint32_t bytes) {
    const sim::Time start = std::max(free_, now);
    const sim::Time duration = sim::Time::from_s(static_cast<double>(bytes) / bytes_per_s_);
    free_ = start + duration;  // saturates: a message that cannot be through within any run never is
    ++counters_.messages;
    counters_.bytes += bytes;
    counters_.scheduled_ns = sim::Time::saturating_add(counters_.scheduled_ns, duration.ns);
    counters_.waited_ns = sim::Time::saturating_add(counters_.waited_ns, (start - now).ns);
    return free_;
  }
  // Time spent sending from time zero to `now`: what was offered, less the
  // work still ahead of it (the transmitter works without pause until free).
  std::int64_t busy_ns(sim::Time now) const { return counters_.scheduled_ns - std::max<std::int64_t>(0, (free_ - now).ns); }
  const TransmitterCounters& counters() const { return counters_; }
  // Its figures at `now`, with the busy time so far in place of the
  // transmission time offered (for differences between two instants).
  TransmitterCounters snapshot(sim::Time now) const {
    TransmitterCounters c = counters_;
    c.scheduled_ns = busy_ns(now);
    return c;
  }

 private:
  double bytes_per_s_ = 0;
  sim::Time free_{};
  TransmitterCounters counters_;
};

}  // namespace archsim::models
