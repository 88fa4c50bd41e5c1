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

#include "models/format/spec.h"
#include "sim/time.h"

namespace archsim::models {

// What a transmitter has done from time zero to an instant (its snapshot).
struct TransmitterCounters {
  std::uint64_t messages = 0;  // offered
  std::uint64_t bytes = 0;     // offered
  std::int64_t busy_ns = 0;    // spent sending
  std::int64_t waited_ns = 0;  // spent by messages waiting for it to be free

  // The figures of the window from `start` to these counters, `seconds`
  // long: messages, bytes, bytes_per_s, utilization, wait_ms_mean.
  spec::Json window_since(const TransmitterCounters& start, double seconds) const;
  // The share of such a window spent sending.
  double busy_share_since(const TransmitterCounters& start, double seconds) const {
    return seconds > 0 ? static_cast<double>(busy_ns - start.busy_ns) / 1e9 / seconds : 0.0;
  }
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
    ++messages_;
    bytes_ += bytes;
    offered_ns_ = sim::Time::saturating_add(offered_ns_, duration.ns);
    waited_ns_ = sim::Time::saturating_add(waited_ns_, (start - now).ns);
    return free_;
  }
  // Time spent sending from time zero to `now`: what was offered, less the
  // work still ahead of it (the transmitter works without pause until free).
  std::int64_t busy_ns(sim::Time now) const { return offered_ns_ - std::max<std::int64_t>(0, (free_ - now).ns); }
  TransmitterCounters snapshot(sim::Time now) const { return {messages_, bytes_, busy_ns(now), waited_ns_}; }

 private:
  double bytes_per_s_ = 0;
  sim::Time free_{};
  std::uint64_t messages_ = 0;
  std::uint64_t bytes_ = 0;
  std::int64_t offered_ns_ = 0;  // the transmission time of every message offered
  std::int64_t waited_ns_ = 0;
};

}  // namespace archsim::models
