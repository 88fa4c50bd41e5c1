#include "models/runtime/rate_limit.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "sim/rng.h"

namespace archsim::models {

const std::vector<std::string>& rate_limit_algorithms() {
  static const std::vector<std::string> names = {"token_bucket", "leaky_bucket", "fixed_window", "sliding_log",
                                                 "sliding_window"};
  return names;
}

namespace {

// 1 / rate in nanoseconds, at least one; at most 1e18 (rates of at least
// 1e-9 per second, as declared), so that sums of a few stay in range.
std::int64_t interval_ns(double rate_qps) {
  assert(rate_qps >= 1e-9);
  return std::max<std::int64_t>(1, std::llround(1e9 / rate_qps));
}

// Far enough ahead to refuse for the rest of any run, and far from overflow.
constexpr std::int64_t kFar = std::int64_t{1} << 61;

class TokenBucket final : public RateLimit {
 public:
  TokenBucket(const RateLimitConfig& c, std::size_t slots)
      : interval_(interval_ns(c.rate_qps)),
        slack_(static_cast<std::int64_t>(
            std::min<__int128>(static_cast<__int128>(c.burst - 1) * interval_, kFar))),
        full_at_(slots, 0) {
    assert(c.burst >= 1);
  }
  sim::Time decide(std::size_t slot, sim::Time now) override {
    // The bucket lacks (full_at - now) * rate tokens; a request needs one
    // left: at most burst - 1 missing, i.e. (burst - 1) / rate in time.
    std::int64_t& full_at = full_at_[slot];
    if (full_at - now.ns > slack_) return kRefused;
    full_at = std::max(full_at, now.ns) + interval_;
    return now;
  }
  void forget(std::size_t slot) override { full_at_[slot] = 0; }  // full: runs start at time zero

 private:
  std::int64_t interval_;
  std::int64_t slack_;
  std::vector<std::int64_t> full_at_;
};

class LeakyBucket final : public RateLimit {
 public:
  LeakyBucket(const RateLimitConfig& c, std::size_t slots)
      : interval_(interval_ns(c.rate_qps)), capacity_(c.queue_capacity), last_leave_(slots, kLongAgo) {
    assert(c.queue_capacity >= 1);
  }
  sim::Time decide(std::size_t slot, sim::Time now) override {
    // The requests still queued leave at last_leave, last_leave - T, ...
    // (consecutive ones, exactly T apart: each found the one before still
    // queued), those after now; one leaving exactly now has left.
    std::int64_t& last = last_leave_[slot];
    // last <= kFar + 1e18 and interval <= 1e18: the sum stays below 2^63.
    const std::int64_t ahead = last > now.ns ? (last - now.ns + interval_ - 1) / interval_ : 0;
    if (ahead >= capacity_) return kRefused;
    // A queue at a vanishing rate may reach past any run: kFar then.
    last = std::max(now.ns, std::min(last, kFar) + interval_);
    return sim::Time{last};
  }
  void forget(std::size_t slot) override { last_leave_[slot] = kLongAgo; }

 private:
  // Far enough back that the next request leaves at once, and far from overflow.
  static constexpr std::int64_t kLongAgo = std::numeric_limits<std::int64_t>::min() / 2;
  std::int64_t interval_;
  std::int64_t capacity_;
  std::vector<std::int64_t> last_leave_;
};

class FixedWindow final : public RateLimit {
 public:
  FixedWindow(const RateLimitConfig& c, std::size_t slots)
      : window_(sim::Time::from_ms(c.window_ms).ns), limit_(static_cast<std::uint64_t>(c.limit)), state_(slots) {
    assert(window_ > 0 && c.limit >= 1);
  }
  sim::Time decide(std::size_t slot, sim::Time now) override {
    State& s = state_[slot];
    const std::int64_t window = now.ns / window_;
    if (window != s.window) {
      s.window = window;
      s.count = 0;
    }
    if (s.count >= limit_) return kRefused;
    ++s.count;
    return now;
  }
  void forget(std::size_t slot) override { state_[slot] = State{}; }

 private:
  struct State {
    std::int64_t window = -1;
    std::uint64_t count = 0;
  };
  std::int64_t window_;
  std::uint64_t limit_;
  std::vector<State> state_;
};

class SlidingLog final : public RateLimit {
 public:
  SlidingLog(const RateLimitConfig& c, std::size_t slots)
      : window_(sim::Time::from_ms(c.window_ms).ns),
        limit_(static_cast<std::size_t>(c.limit)),
        times_(slots * limit_),
        state_(slots) {
    assert(window_ > 0 && c.limit >= 1);
  }
  sim::Time decide(std::size_t slot, sim::Time now) override {
    // The ring holds the admitted requests' times, oldest at head; those
    // at or before now - window have left the window.
    State& s = state_[slot];
    std::int64_t* ring = times_.data() + slot * limit_;
    while (s.size > 0 && ring[s.head] <= now.ns - window_) {
      s.head = s.head + 1 == limit_ ? 0 : s.head + 1;
      --s.size;
    }
    if (s.size == limit_) return kRefused;
    std::size_t tail = s.head + s.size;
    if (tail >= limit_) tail -= limit_;
    ring[tail] = now.ns;
    ++s.size;
    return now;
  }
  void forget(std::size_t slot) override { state_[slot] = State{}; }

 private:
  struct State {
    std::size_t head = 0;
    std::size_t size = 0;
  };
  std::int64_t window_;
  std::size_t limit_;
  std::vector<std::int64_t> times_;  // limit_ entries per slot
  std::vector<State> state_;
};

class SlidingWindow final : public RateLimit {
 public:
  SlidingWindow(const RateLimitConfig& c, std::size_t slots)
      : window_(sim::Time::from_ms(c.window_ms).ns), limit_(c.limit), state_(slots) {
    assert(window_ > 0 && c.limit >= 1);
  }
  sim::Time decide(std::size_t slot, sim::Time now) override {
    State& s = state_[slot];
    const std::int64_t window = now.ns / window_;
    if (window != s.window) {
      s.previous = window == s.window + 1 ? s.current : 0;
      s.current = 0;
      s.window = window;
    }
    // estimate = previous * (window - elapsed) / window + current < limit,
    // multiplied out by the window's length to stay in integers.
    const std::int64_t elapsed = now.ns - window * window_;
    const __int128 estimate = static_cast<__int128>(s.previous) * (window_ - elapsed) +
                              static_cast<__int128>(s.current) * window_;
    if (estimate >= static_cast<__int128>(limit_) * window_) return kRefused;
    ++s.current;
    return now;
  }
  void forget(std::size_t slot) override { state_[slot] = State{}; }

 private:
  struct State {
    std::int64_t window = -2;  // not the one before any real window
    std::int64_t previous = 0;
    std::int64_t current = 0;
  };
  std::int64_t window_;
  std::int64_t limit_;
  std::vector<State> state_;
};

}  // namespace

std::unique_ptr<RateLimit> make_rate_limit(const RateLimitConfig& config, std::size_t slots) {
  using A = RateLimitConfig::Algorithm;
  switch (config.algorithm) {
    case A::TokenBucket: return std::make_unique<TokenBucket>(config, slots);
    case A::LeakyBucket: return std::make_unique<LeakyBucket>(config, slots);
    case A::FixedWindow: return std::make_unique<FixedWindow>(config, slots);
    case A::SlidingLog: return std::make_unique<SlidingLog>(config, slots);
    case A::SlidingWindow: return std::make_unique<SlidingWindow>(config, slots);
  }
  assert(false);
  return nullptr;
}

// KeyTable

KeyTable::KeyTable(std::size_t max_keys) : slot_key_(max_keys), newer_(max_keys, kEmpty), older_(max_keys, kEmpty) {
  assert(max_keys >= 1 && max_keys < kEmpty);
  std::size_t size = 2;
  while (size < 2 * max_keys) size *= 2;
  table_.assign(size, kEmpty);
  mask_ = size - 1;
}

std::size_t KeyTable::home(std::uint64_t key) const { return static_cast<std::size_t>(sim::mix64(key)) & mask_; }

KeyTable::Found KeyTable::find(std::uint64_t key) {
  std::size_t i = home(key);
  for (; table_[i] != kEmpty; i = (i + 1) & mask_) {
    const std::uint32_t slot = table_[i];
    if (slot_key_[slot] == key) {
      if (slot != newest_) {
        unlink(slot);
        push_front(slot);
      }
      return {slot, false};
    }
  }
  std::uint32_t slot;
  if (used_ < slot_key_.size()) {
    slot = static_cast<std::uint32_t>(used_++);
  } else {
    // Full: the least recently seen key gives up its slot.
    slot = oldest_;
    erase(slot_key_[slot]);
    unlink(slot);
    ++evictions_;
    // The erase may have moved entries: find the key's place again.
    i = home(key);
    while (table_[i] != kEmpty) i = (i + 1) & mask_;
  }
  table_[i] = slot;
  slot_key_[slot] = key;
  push_front(slot);
  return {slot, true};
}

void KeyTable::erase(std::uint64_t key) {
  std::size_t i = home(key);
  while (slot_key_[table_[i]] != key) {
    i = (i + 1) & mask_;
    assert(table_[i] != kEmpty);
  }
  // Backward-shift deletion: move up each later entry of the run whose home
  // does not lie between the hole and it, so that no probe meets a gap.
  for (std::size_t j = (i + 1) & mask_; table_[j] != kEmpty; j = (j + 1) & mask_) {
    const std::size_t h = home(slot_key_[table_[j]]);
    if (((j - h) & mask_) >= ((j - i) & mask_)) {
      table_[i] = table_[j];
      i = j;
    }
  }
  table_[i] = kEmpty;
}

void KeyTable::unlink(std::uint32_t slot) {
  const std::uint32_t newer = newer_[slot], older = older_[slot];
  if (newer != kEmpty) older_[newer] = older;
  else newest_ = older;
  if (older != kEmpty) newer_[older] = newer;
  else oldest_ = newer;
  newer_[slot] = older_[slot] = kEmpty;
}

void KeyTable::push_front(std::uint32_t slot) {
  older_[slot] = newest_;
  newer_[slot] = kEmpty;
  if (newest_ != kEmpty) newer_[newest_] = slot;
  newest_ = slot;
  if (oldest_ == kEmpty) oldest_ = slot;
}

void KeyTable::check_invariants() const {
  std::size_t indexed = 0;
  for (std::size_t i = 0; i < table_.size(); ++i) {
    if (table_[i] == kEmpty) continue;
    ++indexed;
    assert(table_[i] < used_);
  }
  std::size_t listed = 0;
  for (std::uint32_t s = newest_; s != kEmpty; s = older_[s]) ++listed;
  assert(indexed == used_ && listed == used_);
  (void)indexed;
  (void)listed;
}

}  // namespace archsim::models
