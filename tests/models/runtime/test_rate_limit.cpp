// tests/models/runtime/test_rate_limit.cpp: each rate-limiting algorithm on
// short timelines, checked by hand against its definition
// (models/runtime/rate_limit.h), and the bounded table of keys.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <vector>

#include "models/runtime/rate_limit.h"
#include "sim/rng.h"

using archsim::models::KeyTable;
using archsim::models::make_rate_limit;
using archsim::models::RateLimit;
using archsim::models::RateLimitConfig;
using archsim::sim::Time;
using Algorithm = RateLimitConfig::Algorithm;

namespace {

Time ms(double v) { return Time::from_ms(v); }

RateLimitConfig token_bucket(double rate_qps, std::int64_t burst) {
  RateLimitConfig c;
  c.algorithm = Algorithm::TokenBucket;
  c.rate_qps = rate_qps;
  c.burst = burst;
  return c;
}
RateLimitConfig leaky_bucket(double rate_qps, std::int64_t queue_capacity) {
  RateLimitConfig c;
  c.algorithm = Algorithm::LeakyBucket;
  c.rate_qps = rate_qps;
  c.queue_capacity = queue_capacity;
  return c;
}
RateLimitConfig windowed(Algorithm a, std::int64_t limit, double window_ms) {
  RateLimitConfig c;
  c.algorithm = a;
  c.limit = limit;
  c.window_ms = window_ms;
  return c;
}

// Decides `n` requests at `at` on slot 0; returns how many were admitted.
int admitted_at(RateLimit& limit, Time at, int n) {
  int admitted = 0;
  for (int i = 0; i < n; ++i)
    if (limit.decide(0, at) != RateLimit::kRefused) ++admitted;
  return admitted;
}

}  // namespace

TEST_CASE("token bucket: a burst of b at once, then one request per 1/r") {
  auto limit = make_rate_limit(token_bucket(10, 3), 1);  // a token every 100 ms
  CHECK(admitted_at(*limit, ms(0), 5) == 3);             // the full bucket
  // Every 50 ms from then on: only those a new token has come for, every 100 ms.
  for (int k = 1; k <= 20; ++k) {
    const bool admitted = limit->decide(0, ms(50.0 * k)) != RateLimit::kRefused;
    CHECK_MESSAGE(admitted == (k % 2 == 0), "at " << 50 * k << " ms");
  }
  // A long idle refills the bucket to b tokens, not more.
  CHECK(admitted_at(*limit, ms(10'000), 5) == 3);
  // One token back after exactly 1/r: at 10.1 s, not a nanosecond before.
  CHECK(limit->decide(0, Time::from_ns(ms(10'100).ns - 1)) == RateLimit::kRefused);
  CHECK(limit->decide(0, ms(10'100)) == ms(10'100));
}

TEST_CASE("leaky bucket: a queue drained at constant spacing, refusing when full") {
  auto limit = make_rate_limit(leaky_bucket(10, 3), 1);  // one leaves every 100 ms
  // A burst of 6 at 0: the first leaves at once (the bucket was idle), three
  // wait their turn, 100 ms apart; the queue is then full.
  std::vector<Time> leaves;
  for (int i = 0; i < 6; ++i) leaves.push_back(limit->decide(0, ms(0)));
  CHECK(leaves[0] == ms(0));
  CHECK(leaves[1] == ms(100));
  CHECK(leaves[2] == ms(200));
  CHECK(leaves[3] == ms(300));
  CHECK(leaves[4] == RateLimit::kRefused);
  CHECK(leaves[5] == RateLimit::kRefused);
  // At 150 ms two are still queued (leaving at 200 and 300): one more fits.
  CHECK(limit->decide(0, ms(150)) == ms(400));
  CHECK(limit->decide(0, ms(150)) == RateLimit::kRefused);
  // At 200 ms the one leaving then has left: room for one, after the 400 ms one.
  CHECK(limit->decide(0, ms(200)) == ms(500));
  // Whatever the arrivals, what leaves is spaced by at least 1/r, exactly
  // 1/r while a queue lasts.
  archsim::sim::Rng rng(7);
  auto bursty = make_rate_limit(leaky_bucket(100, 20), 1);
  Time now = ms(1000), last = Time::from_ns(-1'000'000'000);
  std::int64_t exact = 0, admitted = 0;
  for (int i = 0; i < 20000; ++i) {
    now = now + Time::from_ns(static_cast<std::int64_t>(rng.below(20'000'000)));  // mean 10 ms: rate ~ r
    const Time leave = bursty->decide(0, now);
    if (leave == RateLimit::kRefused) continue;
    ++admitted;
    CHECK(leave >= now);
    CHECK(leave - last >= ms(10));
    if (leave > now) {
      CHECK(leave - last == ms(10));  // it waited: it left right after the one before
      ++exact;
    }
    last = leave;
  }
  CHECK(exact > admitted / 4);  // the queue was busy a good share of the time
}

TEST_CASE("fixed window: the window's limit, and twice it across a window's edge") {
  auto limit = make_rate_limit(windowed(Algorithm::FixedWindow, 5, 1000), 1);
  // Six in the last 100 ms of the first window, six in the first 100 ms of
  // the next: 5 + 5 admitted within 200 ms, twice the limit.
  int admitted = 0;
  for (int i = 0; i < 6; ++i) admitted += limit->decide(0, ms(900 + 10 * i)) != RateLimit::kRefused;
  CHECK(admitted == 5);
  admitted = 0;
  for (int i = 0; i < 6; ++i) admitted += limit->decide(0, ms(1000 + 10 * i)) != RateLimit::kRefused;
  CHECK(admitted == 5);
  // Windows are aligned to time zero: 1999.999 ms is still the second.
  CHECK(limit->decide(0, Time::from_ns(ms(2000).ns - 1)) == RateLimit::kRefused);
  CHECK(limit->decide(0, ms(2000)) == ms(2000));
}

TEST_CASE("sliding log: never more than the limit in any window, and exactly when one leaves") {
  auto limit = make_rate_limit(windowed(Algorithm::SlidingLog, 5, 1000), 1);
  CHECK(admitted_at(*limit, ms(900), 5) == 5);
  // The fixed window's edge burst does not get through.
  CHECK(admitted_at(*limit, ms(1000), 5) == 0);
  CHECK(admitted_at(*limit, Time::from_ns(ms(1900).ns - 1), 1) == 0);
  // At 1900 ms the five of 900 ms have left the window (now - window, now].
  CHECK(admitted_at(*limit, ms(1900), 6) == 5);

  // On a random timeline the log admits exactly what the definition does:
  // a request is admitted when fewer than `limit` admitted ones lie in
  // (t - window, t]. The reference keeps every admitted time.
  archsim::sim::Rng rng(11);
  auto log = make_rate_limit(windowed(Algorithm::SlidingLog, 7, 250), 1);
  std::vector<std::int64_t> kept;
  std::int64_t t = 0;
  int differences = 0, refused = 0;
  for (int i = 0; i < 20000; ++i) {
    t += static_cast<std::int64_t>(rng.below(60'000'000));  // mean 30 ms, 8.3 per window
    int inside = 0;
    for (auto it = kept.rbegin(); it != kept.rend() && *it > t - 250'000'000; ++it) ++inside;
    const bool reference = inside < 7;
    const bool admitted = log->decide(0, Time::from_ns(t)) != RateLimit::kRefused;
    if (reference) kept.push_back(t);
    differences += reference != admitted;
    refused += !admitted;
  }
  CHECK(differences == 0);
  CHECK(refused > 1000);  // the limit did bite
}

TEST_CASE("sliding window counter: the previous window's count weighted by its overlap") {
  auto limit = make_rate_limit(windowed(Algorithm::SlidingWindow, 10, 1000), 1);
  CHECK(admitted_at(*limit, ms(500), 8) == 8);  // the first window: 8 of 10
  // At 1300 ms the sliding window still covers 70% of the first: the
  // estimate is 8 x 0.7 + current = 5.6 + current; admitted while below 10:
  // current 0..4 (5.6 .. 9.6), then 10.6 is refused.
  CHECK(admitted_at(*limit, ms(1300), 7) == 5);
  // At 1500 ms: 8 x 0.5 + 5 = 9 admits one more (current 6); 10 refuses.
  CHECK(admitted_at(*limit, ms(1500), 3) == 1);
  // At 2000 ms the previous window is the second (6 admitted), wholly
  // covered: 6 + 0 ... 9 admit four.
  CHECK(admitted_at(*limit, ms(2000), 6) == 4);
  // Two windows later nothing of those remains.
  CHECK(admitted_at(*limit, ms(4000), 12) == 10);
}

TEST_CASE("forget makes a slot's next key start afresh, and slots are apart") {
  for (auto a : {Algorithm::TokenBucket, Algorithm::LeakyBucket, Algorithm::FixedWindow, Algorithm::SlidingLog,
                 Algorithm::SlidingWindow}) {
    RateLimitConfig c = windowed(a, 2, 1000);
    c.rate_qps = 1;
    c.burst = 2;
    c.queue_capacity = 1;
    auto limit = make_rate_limit(c, 2);
    int first = 0;
    for (int i = 0; i < 4; ++i) first += limit->decide(0, ms(10)) != RateLimit::kRefused;
    CHECK(first == 2);
    CHECK(limit->decide(1, ms(10)) != RateLimit::kRefused);  // slot 1 untouched by slot 0
    limit->forget(0);
    CHECK(limit->decide(0, ms(10)) == ms(10));
  }
}

TEST_CASE("key table: new keys take free slots, then the least recently seen key's") {
  KeyTable keys(2);
  auto a = keys.find(100);
  CHECK(a.fresh);
  auto b = keys.find(200);
  CHECK(b.fresh);
  CHECK(b.slot != a.slot);
  CHECK(!keys.find(100).fresh);  // 100 now the most recent; 200 the least
  auto c = keys.find(300);
  CHECK(c.fresh);
  CHECK(c.slot == b.slot);
  CHECK(keys.evictions() == 1);
  CHECK(!keys.find(100).fresh);
  CHECK(keys.find(200).fresh);  // was evicted: starts afresh, evicting 300
  CHECK(keys.evictions() == 2);
  CHECK(keys.tracked() == 2);
  keys.check_invariants();
}

TEST_CASE("key table: agrees with a plain LRU model on a random stream of keys") {
  KeyTable keys(50);
  std::map<std::uint64_t, std::uint64_t> last_seen;  // key -> step, the model
  std::map<std::uint64_t, std::size_t> slot_of;
  archsim::sim::Rng rng(3);
  int mismatches = 0;
  for (std::uint64_t step = 0; step < 100000; ++step) {
    const std::uint64_t key = rng.below(120) * 0x9E3779B97F4A7C15ULL;  // collide in the table's low bits
    const bool model_fresh = last_seen.count(key) == 0;
    if (model_fresh && last_seen.size() == 50) {
      auto oldest = last_seen.begin();
      for (auto it = last_seen.begin(); it != last_seen.end(); ++it)
        if (it->second < oldest->second) oldest = it;
      last_seen.erase(oldest);
    }
    last_seen[key] = step;
    const KeyTable::Found found = keys.find(key);
    mismatches += found.fresh != model_fresh;
    if (!found.fresh) mismatches += slot_of[key] != found.slot;
    slot_of[key] = found.slot;
    if (step % 997 == 0) keys.check_invariants();
  }
  CHECK(mismatches == 0);
  keys.check_invariants();
}
