// models/runtime/rate_limit.h: the five rate-limiting algorithms, one class
// each behind one interface, and the bounded table of keys they keep state
// for. The building block of the rate_limiter component type.
//
// Each algorithm keeps its state in arrays of one entry per slot (a key
// tracked), allocated when it is built: a decision allocates nothing. Times
// are integer nanoseconds; an algorithm's decisions are exact for its
// definition:
//   token_bucket      a bucket of `burst` tokens, refilled continuously at
//                     `rate_qps`; a request takes one token or is refused.
//                     Kept as the instant the bucket is full again (the
//                     "theoretical arrival time" of GCRA, the same
//                     algorithm): a request is admitted when the tokens
//                     missing, in time, are at most (burst - 1) / rate.
//   leaky_bucket      a FIFO queue of `queue_capacity` requests drained at
//                     `rate_qps`: each admitted request leaves the queue
//                     1 / rate after the one before it (at once if the
//                     queue was empty and the last left that long ago); a
//                     request finding the queue full is refused. A decision
//                     gives the instant the request leaves.
//   fixed_window      at most `limit` admitted requests in each window of
//                     `window_ms`, windows aligned to time zero.
//   sliding_log       at most `limit` admitted requests in any window of
//                     `window_ms` ending now: the log of the admitted
//                     requests' times in (now - window, now], a ring of
//                     `limit` entries per key.
//   sliding_window    the estimate of the requests admitted in the window of
//                     `window_ms` ending now: the current fixed window's
//                     count plus the previous window's count weighted by the
//                     share of it the sliding window still covers; a request
//                     is admitted when the estimate is below `limit`.
// Only admitted requests are counted or logged (a refused request uses
// nothing up), in every algorithm.
//
// The interval 1 / rate is rounded to the nanosecond. Not modelled here:
// requests costing more than one token, clock drift between limiters.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/time.h"

namespace archsim::models {

struct RateLimitConfig {
  // In the order of the declaration's choices (rate_limiter.cpp).
  enum class Algorithm { TokenBucket, LeakyBucket, FixedWindow, SlidingLog, SlidingWindow };
  Algorithm algorithm = Algorithm::TokenBucket;
  double rate_qps = 0;              // token_bucket, leaky_bucket
  std::int64_t burst = 0;           // token_bucket
  std::int64_t queue_capacity = 0;  // leaky_bucket
  std::int64_t limit = 0;           // the window algorithms
  double window_ms = 0;             // the window algorithms
};

const std::vector<std::string>& rate_limit_algorithms();  // the names, in enum order

// One algorithm's state for `slots` keys. A slot is reused for a new key
// after `forget`.
class RateLimit {
 public:
  // What decide() returns for a refused request.
  static constexpr sim::Time kRefused = sim::Time::max();

  virtual ~RateLimit() = default;
  // Decides on a request of the key in `slot` arriving at `now`: the instant
  // it may go on (now, or later for a leaky bucket's queue), or kRefused.
  // Calls come in non-decreasing `now`.
  virtual sim::Time decide(std::size_t slot, sim::Time now) = 0;
  // The slot's key is dropped: the next key starts as if nothing came before.
  virtual void forget(std::size_t slot) = 0;
};

// Builds the configured algorithm for `slots` keys.
std::unique_ptr<RateLimit> make_rate_limit(const RateLimitConfig& config, std::size_t slots);

// Keys (user ids, clients) to slots, for at most `max_keys` keys at once.
// A key seen for the first time takes a free slot; once all are taken, it
// takes the slot of the least recently seen key, which is forgotten (its
// next request starts afresh, as nginx's limit_req does when its zone is
// full). Open addressing with linear probing over a table at most half
// full, and an LRU list over the slots, all allocated when it is built.
class KeyTable {
 public:
  explicit KeyTable(std::size_t max_keys);
  struct Found {
    std::size_t slot = 0;
    bool fresh = false;  // the key was not tracked: its slot starts afresh
  };
  Found find(std::uint64_t key);
  std::size_t tracked() const { return used_; }
  std::uint64_t evictions() const { return evictions_; }
  // The key in a slot in use.
  std::uint64_t key_of(std::size_t slot) const { return slot_key_[slot]; }
  void check_invariants() const;

 private:
  static constexpr std::uint32_t kEmpty = 0xFFFFFFFFu;
  std::size_t home(std::uint64_t key) const;
  void erase(std::uint64_t key);
  void unlink(std::uint32_t slot);
  void push_front(std::uint32_t slot);

  std::size_t mask_ = 0;
  std::vector<std::uint32_t> table_;  // slot or kEmpty, by position
  std::vector<std::uint64_t> slot_key_;
  std::vector<std::uint32_t> newer_, older_;  // the LRU list; kEmpty ends it
  std::uint32_t newest_ = kEmpty, oldest_ = kEmpty;
  std::size_t used_ = 0;
  std::uint64_t evictions_ = 0;
};

}  // namespace archsim::models
