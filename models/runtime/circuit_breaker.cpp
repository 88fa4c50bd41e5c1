#include "models/runtime/circuit_breaker.h"

#include <cassert>
#include <algorithm>
#include <cmath>

#include "models/format/params.h"

namespace archsim::models {

using spec::Json;
using spec::Spec;

spec::NodeRef circuit_breaker_spec() {
  static const spec::NodeRef node = [] {
    Spec b = Spec::object(
        "A circuit breaker on these calls, one per replica of the caller: it opens on too many failures (timeouts "
        "and failed replies), fails the calls at once with circuit_open while open, then lets probes through");
    b.optional("consecutive_failures",
               Spec::integer("Opens at this many failed calls in a row; 0: this rule is not used")
                   .unit("calls")
                   .min(0)
                   .max(1'000'000)
                   .default_value(0))
        .to(&CircuitBreakerConfig::consecutive_failures)
        .optional("failure_rate",
                  Spec::number("Opens when at least this share of the calls ended in the window failed (once "
                               "minimum_calls have ended in it); 0: this rule is not used")
                      .unit("fraction")
                      .min(0)
                      .max(1)
                      .default_value(0))
        .to(&CircuitBreakerConfig::failure_rate)
        .optional("window_s", Spec::number("The span of time over which failure_rate is judged").unit("s").greater_than(0).max(86400).default_value(10))
        .to(&CircuitBreakerConfig::window_s)
        .optional("window_buckets",
                  Spec::integer("Buckets the window is cut into; the window moves on a bucket at a time").min(1).max(1000).default_value(10))
        .to(&CircuitBreakerConfig::window_buckets)
        .optional("minimum_calls",
                  Spec::integer("Calls that must have ended in the window before failure_rate is judged").unit("calls").min(1).max(1'000'000'000).default_value(20))
        .to(&CircuitBreakerConfig::minimum_calls)
        .optional("open_ms", Spec::number("How long it stays open, failing every call at once, before it lets probes through")
                                 .unit("ms")
                                 .greater_than(0)
                                 .max(kMaxMilliseconds)
                                 .default_value(5000))
        .to(&CircuitBreakerConfig::open_ms)
        .optional("half_open_probes",
                  Spec::integer("Calls let through once it has been open for open_ms; it closes when all of them "
                                "succeed, and opens again at the first that fails")
                      .unit("calls")
                      .min(1)
                      .max(1'000'000)
                      .default_value(1))
        .to(&CircuitBreakerConfig::half_open_probes);
    b.check([](const Json& value, const spec::Path& path, spec::Errors& errors) {
      const bool by_count = value["consecutive_failures"].get<std::int64_t>() > 0;
      const bool by_rate = value["failure_rate"].get<double>() > 0;
      if (!by_count && !by_rate)
        errors.add(path, "never opens as given: set consecutive_failures (failures in a row), failure_rate (a share of "
                         "failures over the window), or both");
      // The window's parameters mean nothing without the rule they serve.
      const CircuitBreakerConfig defaults;
      const bool window_set = value["window_s"].get<double>() != defaults.window_s ||
                              value["window_buckets"].get<std::int64_t>() != defaults.window_buckets ||
                              value["minimum_calls"].get<std::int64_t>() != defaults.minimum_calls;
      if (!by_rate && by_count && window_set)
        errors.add(path, "sets window_s, window_buckets or minimum_calls, which only failure_rate uses, and "
                         "failure_rate is not set: set it, or remove them");
      // A bucket shorter than a millisecond would make the window's steps
      // finer than anything it judges, and its ring needlessly long.
      const double bucket_ms = value["window_s"].get<double>() * 1000 / value["window_buckets"].get<double>();
      if (by_rate && bucket_ms < 1)
        errors.add(path / "window_buckets", "cuts the window into buckets of " + spec::format_number(bucket_ms) +
                                                " ms: each must last at least 1 ms; use fewer buckets or a longer window_s");
      // The time an open breaker waits before it probes again is its probe
      // interval: a window shorter than it judges a blip briefer than the
      // outage of calls the blip then causes.
      const double window_ms = value["window_s"].get<double>() * 1000;
      const double open_ms = value["open_ms"].get<double>();
      if (by_rate && window_ms < open_ms)
        errors.warn(path / "window_s",
                    "judges failure_rate over " + spec::format_number(window_ms) + " ms, less than the " +
                        spec::format_number(open_ms) + " ms (open_ms) it then stays open before a probe: a burst of "
                        "failures shorter than that outage opens it; make window_s at least open_ms / 1000, or "
                        "shorten open_ms");
    });
    return b.build();
  }();
  return node;
}

CircuitBreakers::CircuitBreakers(const CircuitBreakerConfig& config, std::size_t parts, sim::Engine& engine)
    : config_(config),
      open_for_(sim::Time::from_ms(config.open_ms)),
      bucket_ns_(std::max<std::int64_t>(
          1, std::llround(config.window_s * 1e9 / static_cast<double>(config.window_buckets)))),
      parts_(parts),
      buckets_(parts * static_cast<std::size_t>(config.window_buckets)),
      engine_(engine) {
  assert(parts > 0 && config.half_open_probes >= 1 && config.window_buckets >= 1);
}

void CircuitBreakers::advance(Part& part, std::size_t p, sim::Time now) {
  const std::int64_t index = now.ns / bucket_ns_;
  if (index <= part.head) return;
  const std::int64_t n = config_.window_buckets;
  Bucket* ring = buckets(p);
  // The buckets between the last written and now hold outcomes older than
  // the window: at most a ring's worth is emptied.
  for (std::int64_t k = std::max(part.head + 1, index - n + 1); k <= index; ++k) {
    Bucket& b = ring[k % n];
    if (b.index >= 0) {
      part.calls -= b.calls;
      part.failures -= b.failures;
    }
    b = Bucket{k, 0, 0};
  }
  part.head = index;
}

bool CircuitBreakers::allow(std::size_t p, sim::Time now, std::uint32_t& ticket) {
  Part& part = parts_[p];
  switch (part.state) {
    case State::Closed:
      ticket = part.epoch;
      return true;
    case State::Open:
      if (now < part.open_until) break;
      to_half_open(part, part.open_until);
      [[fallthrough]];
    case State::HalfOpen:
      if (part.probes_let < config_.half_open_probes) {
        ++part.probes_let;
        ticket = part.epoch;
        return true;
      }
      break;
  }
  ++rejected_;
  return false;
}

bool CircuitBreakers::record(std::size_t p, std::uint32_t ticket, bool failed, sim::Time now) {
  Part& part = parts_[p];
  // Let through in another state than this one: it tells nothing of now.
  if (ticket != part.epoch) return false;
  switch (part.state) {
    case State::Closed: {
      part.in_a_row = failed ? part.in_a_row + 1 : 0;
      if (config_.consecutive_failures > 0 && part.in_a_row >= config_.consecutive_failures) {
        trip(part, now, p);
        return true;
      }
      if (config_.failure_rate <= 0) return false;
      advance(part, p, now);
      Bucket& b = buckets(p)[part.head % config_.window_buckets];
      ++b.calls;
      ++part.calls;
      if (failed) {
        ++b.failures;
        ++part.failures;
      }
      if (part.calls < static_cast<std::uint64_t>(config_.minimum_calls) ||
          static_cast<double>(part.failures) < config_.failure_rate * static_cast<double>(part.calls))
        return false;
      trip(part, now, p);
      return true;
    }
    case State::HalfOpen:
      if (failed) {
        trip(part, now, p);
        return true;
      }
      if (++part.probes_ok == config_.half_open_probes) close(part, p, now);
      return false;
    case State::Open:
      assert(false && "a ticket of an open breaker: no call is let through while open");
      return false;
  }
  return false;
}

void CircuitBreakers::set_state(Part& part, State state, sim::Time now) {
  if (part.state == State::Open) open_.add(now, -1);
  if (part.state == State::HalfOpen) half_open_.add(now, -1);
  part.state = state;
  ++part.epoch;
  if (state == State::Open) open_.add(now, +1);
  if (state == State::HalfOpen) half_open_.add(now, +1);
}

void CircuitBreakers::trip(Part& part, sim::Time now, std::size_t p) {
  set_state(part, State::Open, now);
  ++opens_;
  part.open_until = now + open_for_;
  engine_.post_in(open_for_, sim::Phase::Timer, this, 0, p);
}

void CircuitBreakers::to_half_open(Part& part, sim::Time at) {
  set_state(part, State::HalfOpen, at);
  part.probes_let = 0;
  part.probes_ok = 0;
}

void CircuitBreakers::close(Part& part, std::size_t p, sim::Time now) {
  set_state(part, State::Closed, now);
  part.in_a_row = 0;
  part.calls = 0;
  part.failures = 0;
  part.head = -1;
  Bucket* ring = buckets(p);
  for (std::int64_t k = 0; k < config_.window_buckets; ++k) ring[k] = Bucket{};
}

void CircuitBreakers::reset(std::size_t p, sim::Time now) { close(parts_[p], p, now); }

void CircuitBreakers::on_event(std::uint32_t, std::uint64_t data) {
  Part& part = parts_[data];
  // A call at the same instant may have found it due already; and it may
  // have opened again since, with an end of its own still to come.
  if (part.state == State::Open && engine_.now() >= part.open_until) to_half_open(part, part.open_until);
}

std::uint64_t CircuitBreakers::window_calls(std::size_t p, sim::Time now) {
  advance(parts_[p], p, now);
  return parts_[p].calls;
}

std::uint64_t CircuitBreakers::window_failures(std::size_t p, sim::Time now) {
  advance(parts_[p], p, now);
  return parts_[p].failures;
}

void CircuitBreakers::declare_metrics(MetricSet& metrics, const std::string& prefix) {
  const auto parts = static_cast<double>(parts_.size());
  metrics.share(prefix + ".open", "Time-average of its breakers open (failing every call at once), over them", &open_,
                [parts] { return parts; });
  metrics.series_only();
  metrics.share(prefix + ".half_open", "Time-average of its breakers half-open (letting probes through), over them",
                &half_open_, [parts] { return parts; });
  metrics.series_only();
  metrics.count(prefix + ".opens", "times", "Times one of its breakers opened", &opens_);
  metrics.series_only();
  metrics.count(prefix + ".rejected", "calls", "Calls failed at once by an open breaker (circuit_open), never made",
                &rejected_);
  metrics.series_only();
}

spec::Json CircuitBreakers::summary(sim::Time start, sim::Time end) const {
  const double parts = static_cast<double>(parts_.size());
  Json out = Json::object();
  out["opens"] = opens_ - opens_at_window_;
  out["rejected"] = rejected_ - rejected_at_window_;
  out["open_fraction"] = sim::window_mean(open_at_window_, open_.integral(end), start, end) / parts;
  out["half_open_fraction"] = sim::window_mean(half_open_at_window_, half_open_.integral(end), start, end) / parts;
  out["open_at_end"] = open_.value();
  out["half_open_at_end"] = half_open_.value();
  return out;
}

void CircuitBreakers::on_window_begin(sim::Time now) {
  opens_at_window_ = opens_;
  rejected_at_window_ = rejected_;
  open_at_window_ = open_.integral(now);
  half_open_at_window_ = half_open_.integral(now);
}

}  // namespace archsim::models
