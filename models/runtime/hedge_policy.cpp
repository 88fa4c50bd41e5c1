#include "models/runtime/hedge_policy.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "models/format/params.h"

namespace archsim::models {

using spec::Json;
using spec::Spec;

spec::NodeRef hedge_spec() {
  static const spec::NodeRef node = [] {
    using Config = HedgeConfig;
    Spec hedge = Spec::object(
        "Hedge the call: while no attempt has answered after a delay, send another to the callee (its next replica); "
        "the first success answers, the others' work goes on for nobody");
    hedge
        .optional("delay_ms", Spec::number("The wait before each hedge; with at_percentile, the wait until window "
                                           "successful attempts have been seen")
                                  .unit("ms")
                                  .greater_than(0)
                                  .max(kMaxMilliseconds)
                                  .default_value(10))
        .to(&Config::delay_ms)
        .optional("at_percentile",
                  Spec::number("Hedge after this percentile of the latencies of the last window successful attempts "
                               "through this call (each from its own sending); 0: after delay_ms always")
                      .unit("percent")
                      .min(0)
                      .max(99.9)
                      .default_value(0))
        .to(&Config::at_percentile)
        .optional("window", Spec::integer("The successful attempts at_percentile is taken over; it is taken again "
                                          "each time a tenth of them are new")
                                .unit("attempts")
                                .min(10)
                                .max(1'000'000)
                                .default_value(1000))
        .to(&Config::window)
        .optional("max_attempts", Spec::integer("Attempts in all, the first one included").min(2).max(HedgePolicy::kMaxAttempts).default_value(2))
        .to(&Config::max_attempts)
        .optional("max_fraction", Spec::number("The budget: hedges at most about this share of the calls (a token "
                                               "bucket earning this much per call, a hedge taking one)")
                                      .unit("fraction")
                                      .greater_than(0)
                                      .max(3)
                                      .default_value(0.1))
        .to(&Config::max_fraction)
        .optional("burst", Spec::number("The budget's bucket holds at most this many tokens; it starts full")
                               .unit("hedges")
                               .min(1)
                               .max(1e9)
                               .default_value(10))
        .to(&Config::burst);
    hedge.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      if (v["at_percentile"].get<double>() > 0 && v["at_percentile"].get<double>() < 50)
        errors.add(path / "at_percentile", "hedges after most calls have answered, so at least 50 (the tail), got " +
                                               spec::format_number(v["at_percentile"].get<double>()) +
                                               "; 0 hedges after delay_ms");
    });
    return hedge.build();
  }();
  return node;
}

HedgeConfig read_hedge(const Json& value) { return spec::read<HedgeConfig>(value, *hedge_spec()); }

Json hedge_figures(const HedgeCounters& end, const HedgeCounters& start, double delay_ms) {
  Json out = Json::object();
  const std::uint64_t calls = end.calls - start.calls;
  const std::uint64_t hedges = end.hedges - start.hedges;
  out["calls"] = calls;
  out["hedges"] = hedges;
  out["hedge_rate"] = calls > 0 ? Json(static_cast<double>(hedges) / static_cast<double>(calls)) : Json(nullptr);
  out["won_by_hedge"] = end.won - start.won;
  out["denied_by_budget"] = end.denied - start.denied;
  out["losers"] = end.losers - start.losers;
  out["delay_ms"] = delay_ms;
  return out;
}

HedgePolicy::HedgePolicy(const HedgeConfig& config)
    : config_(config), delay_(sim::Time::from_ms(config.delay_ms)), tokens_(config.burst), index_(64, 0) {
  assert(config.max_attempts >= 2 && config.max_attempts <= kMaxAttempts);
  if (config_.at_percentile > 0) {
    recent_.reserve(static_cast<std::size_t>(config_.window));
    sorted_.reserve(static_cast<std::size_t>(config_.window));
  }
}

std::size_t HedgePolicy::bucket(const Request* parent) const {
  // A multiplicative hash of the address; the table's size is a power of 2.
  const auto a = reinterpret_cast<std::uintptr_t>(parent);
  return static_cast<std::size_t>((a >> 4) * 0x9E3779B97F4A7C15ULL >> 20) & (index_.size() - 1);
}

void HedgePolicy::index_insert(const Request* parent, std::uint32_t slot) {
  if ((index_used_ + 1) * 2 > index_.size()) index_grow();
  std::size_t i = bucket(parent);
  while (index_[i] != 0) i = (i + 1) & (index_.size() - 1);
  index_[i] = slot + 1;
  ++index_used_;
}

void HedgePolicy::index_grow() {
  std::vector<std::uint32_t> old(index_.size() * 2, 0);
  old.swap(index_);
  index_used_ = 0;
  for (std::uint32_t entry : old)
    if (entry != 0) index_insert(calls_[entry - 1].parent, entry - 1);
}

void HedgePolicy::index_erase(const Request* parent) {
  const std::size_t mask = index_.size() - 1;
  std::size_t i = bucket(parent);
  while (calls_[index_[i] - 1].parent != parent) i = (i + 1) & mask;
  // Backward-shift deletion: the entries after it in its run move up when
  // their home bucket allows, so that no lookup stops short.
  std::size_t hole = i;
  for (std::size_t j = (i + 1) & mask; index_[j] != 0; j = (j + 1) & mask) {
    const std::size_t home = bucket(calls_[index_[j] - 1].parent);
    const bool between = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (between) continue;
    index_[hole] = index_[j];
    hole = j;
  }
  index_[hole] = 0;
  --index_used_;
}

HedgePolicy::Call& HedgePolicy::call_of(const Request& attempt) {
  std::size_t i = bucket(attempt.parent);
  for (;;) {
    assert(index_[i] != 0);
    Call& c = calls_[index_[i] - 1];
    if (c.parent == attempt.parent) return c;
    i = (i + 1) & (index_.size() - 1);
  }
}

HedgePolicy::Call& HedgePolicy::open(Request& first, Dependency& dependency, sim::Time now) {
  Request* parent = first.parent;
  // A call left open by a parent that went away meanwhile (failed on
  // another call of a parallel step, or crashed): its attempts are late for
  // good, and the address is reused now.
  for (std::size_t i = bucket(parent); index_[i] != 0; i = (i + 1) & (index_.size() - 1)) {
    if (calls_[index_[i] - 1].parent == parent) {
      close(calls_[index_[i] - 1]);
      break;
    }
  }
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(calls_.size());
    calls_.emplace_back();
  }
  Call& c = calls_[slot];
  c = Call{};
  c.parent = parent;
  c.dependency = &dependency;
  c.parent_generation = first.parent_generation;
  c.slot = slot;
  c.sent = 1;
  c.out = 1;
  c.attempts[0] = &first;
  c.sent_at[0] = now;
  c.created = first.created;
  c.scratch = first.scratch;
  first.attempt = 1;
  index_insert(parent, slot);
  ++counters_->calls;
  tokens_ = std::min(config_.burst, tokens_ + config_.max_fraction);
  return c;
}

bool HedgePolicy::allow_hedge() {
  if (tokens_ < 1) {
    ++counters_->denied;
    return false;
  }
  tokens_ -= 1;
  return true;
}

void HedgePolicy::sent_hedge(Call& c, Request& attempt, sim::Time now) {
  assert(c.sent < kMaxAttempts);
  attempt.attempt = static_cast<std::uint8_t>(c.sent + 1);
  c.attempts[c.sent] = &attempt;
  c.sent_at[c.sent] = now;
  ++c.sent;
  ++c.out;
  ++counters_->hedges;
}

void HedgePolicy::ended(Call& c, const Request& attempt) {
  for (std::uint8_t k = 0; k < c.sent; ++k)
    if (c.attempts[k] == &attempt) {
      c.attempts[k] = nullptr;
      assert(c.out > 0);
      --c.out;
      return;
    }
  assert(false);
}

void HedgePolicy::won(Call& c, const Request& winner, sim::Time now) {
  if (winner.attempt > 1) ++counters_->won;
  for (std::uint8_t k = 0; k < c.sent; ++k) {
    Request* other = c.attempts[k];
    if (other == nullptr || other == &winner) continue;
    // Still out: its reply will come late, and is dropped.
    other->abandoned = true;
    c.attempts[k] = nullptr;
    ++counters_->losers;
  }
  c.out = 0;
  if (config_.at_percentile > 0) observe(now - c.sent_at[winner.attempt - 1]);
}

void HedgePolicy::close(Call& c) {
  index_erase(c.parent);
  c.parent = nullptr;
  free_.push_back(c.slot);
}

void HedgePolicy::observe(sim::Time latency) {
  const auto window = static_cast<std::size_t>(config_.window);
  if (recent_.size() < window) {
    recent_.push_back(latency.ns);
  } else {
    recent_[recent_next_] = latency.ns;
    recent_next_ = recent_next_ + 1 == window ? 0 : recent_next_ + 1;
  }
  // Taken again each time a tenth of the window is new, once it is full.
  if (recent_.size() < window || ++since_update_ < std::max<std::size_t>(1, window / 10)) return;
  since_update_ = 0;
  sorted_.assign(recent_.begin(), recent_.end());
  // The nearest-rank percentile: the smallest latency with at least p % of
  // the window at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(config_.at_percentile / 100 * static_cast<double>(window)));
  const std::size_t k = std::min(window - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(sorted_.begin(), sorted_.begin() + static_cast<std::ptrdiff_t>(k), sorted_.end());
  delay_ = sim::Time::from_ns(std::max<std::int64_t>(1, sorted_[k]));
}

}  // namespace archsim::models
