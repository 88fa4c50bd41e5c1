#include "models/runtime/retry_policy.h"

#include <cassert>
#include <cmath>

#include "models/format/params.h"
#include "models/runtime/component.h"

namespace archsim::models {

using spec::Json;
using spec::Spec;

const std::vector<std::string>& retryable_cause_names() {
  // Every cause a callee or the way to it gives, registered somewhere in
  // models/: the worker pool's queue_full, a caller's timeout, a fault's
  // crashed, link_down and error, a database without a primary, a key-value
  // store short of a quorum, a service's shed, a load balancer with no
  // healthy backend, a rate limiter's refusal, a full broker. Not the
  // caller's own refusals (circuit_open, bulkhead_full): those calls were
  // never made, and are not retried.
  static const std::vector<std::string> names = {"timeout", "queue_full",         "crashed",      "link_down",
                                                 "no_primary", "no_quorum",        "error",        "shed",
                                                 "no_healthy_backend", "rate_limited", "broker_full"};
  return names;
}

spec::NodeRef retry_spec() {
  static const spec::NodeRef node = [] {
    using Config = RetryConfig;
    Spec budget = Spec::object("A token bucket of retries shared by every call of this step (the AWS SDKs' standard "
                               "mode): a retry takes tokens, a success gives some back, no retry without enough");
    budget.optional("tokens", Spec::integer("The bucket's capacity; it starts full").min(1).max(1e9).default_value(500))
        .to(&RetryBudgetConfig::tokens)
        .optional("retry_cost", Spec::integer("Tokens a retry takes after a failure other than a timeout")
                                    .min(0)
                                    .max(1e9)
                                    .default_value(5))
        .to(&RetryBudgetConfig::retry_cost)
        .optional("timeout_retry_cost",
                  Spec::integer("Tokens a retry takes after a timeout").min(0).max(1e9).default_value(10))
        .to(&RetryBudgetConfig::timeout_retry_cost)
        .optional("success_refund", Spec::integer("Tokens a call that succeeds at its first attempt gives back (a retry "
                                                  "that succeeds gives back what it took)")
                                        .min(0)
                                        .max(1e9)
                                        .default_value(1))
        .to(&RetryBudgetConfig::success_refund);
    const spec::NodeRef budget_node = budget.build();

    Spec cause = Spec::enumeration("A failure cause", retryable_cause_names());
    Spec retry = Spec::object("Retry a failed call: each attempt is a new call, after a backoff");
    retry
        .optional("max_attempts", Spec::integer("Attempts in all, the first one included (1: no retry)")
                                      .min(1)
                                      .max(100)
                                      .default_value(3))
        .to(&Config::max_attempts)
        .optional("backoff", Spec::enumeration("fixed waits base_ms before every retry; exponential multiplies the wait "
                                               "by multiplier at each retry, up to cap_ms",
                                               {"fixed", "exponential"})
                                 .default_value("exponential"))
        .to(&Config::backoff)
        .optional("base_ms", Spec::number("The wait before the first retry, before jitter").unit("ms").min(0).max(kMaxMilliseconds).default_value(100))
        .to(&Config::base_ms)
        .optional("cap_ms", Spec::number("The longest wait before a retry, before jitter").unit("ms").min(0).max(kMaxMilliseconds).default_value(10000))
        .to(&Config::cap_ms)
        .optional("multiplier", Spec::number("Growth of the exponential backoff per retry").min(1).max(100).default_value(2))
        .to(&Config::multiplier)
        .optional("jitter", Spec::enumeration("none waits the backoff t; full a uniform draw in [0, t); equal t/2 plus a "
                                              "uniform draw in [0, t/2); decorrelated min(cap, uniform(base, 3 x the "
                                              "previous wait))",
                                              {"none", "full", "equal", "decorrelated"})
                                .default_value("full"))
        .to(&Config::jitter)
        .optional("retry_on", Spec::array("The failure causes retried; the others end the call at once", cause).items(1, 32),
                  Json::array({"timeout", "queue_full", "crashed", "link_down"}))
        .to(&Config::retry_on)
        .optional("budget", budget_node)
        .store<Config>([budget_node](const Json& v, Config& c) { c.budget = spec::read<RetryBudgetConfig>(v, *budget_node); });
    retry.check([](const Json& v, const spec::Path& path, spec::Errors& errors) {
      if (v["cap_ms"].get<double>() < v["base_ms"].get<double>())
        errors.add(path / "cap_ms", "must be at least base_ms (" + spec::format_number(v["base_ms"].get<double>()) +
                                        " ms), got " + spec::format_number(v["cap_ms"].get<double>()));
      if (v["jitter"] == "decorrelated" && v["backoff"] == "fixed")
        errors.add(path / "jitter", "decorrelated jitter grows its own waits from base_ms up to cap_ms: use backoff "
                                    "exponential with it, or another jitter");
      const auto& causes = v["retry_on"];
      for (std::size_t i = 0; i < causes.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
          if (causes[i] == causes[j]) errors.add((path / "retry_on")[i], causes[i].dump() + " is listed twice");
    });
    return retry.build();
  }();
  return node;
}

Json retry_figures(const RetryCounters& end, const RetryCounters& start) {
  Json out = Json::object();
  const std::uint64_t calls = end.calls - start.calls;
  const std::uint64_t attempts = end.attempts - start.attempts;
  out["calls"] = calls;
  out["attempts"] = attempts;
  out["retries"] = attempts - calls;
  out["amplification"] = calls > 0 ? Json(static_cast<double>(attempts) / static_cast<double>(calls)) : Json(nullptr);
  out["denied_by_budget"] = end.denied - start.denied;
  out["exhausted"] = end.exhausted - start.exhausted;
  return out;
}

RetryConfig read_retry(const Json& value) { return spec::read<RetryConfig>(value, *retry_spec()); }

RetryPolicy::RetryPolicy(RetryConfig config, sim::Rng rng)
    : config_(std::move(config)),
      rng_(rng),
      base_(sim::Time::from_ms(config_.base_ms)),
      cap_(sim::Time::from_ms(config_.cap_ms)) {
  assert(config_.max_attempts >= 1 && config_.max_attempts <= 100 && cap_ >= base_);
  if (config_.budget) budget_.emplace(*config_.budget);
}

void RetryPolicy::connect(Wiring& wiring) {
  retry_on_ = 0;
  for (const auto& name : config_.retry_on) retry_on_ |= 1U << wiring.failure_cause(name).id;
}

std::optional<sim::Time> RetryPolicy::after_failure(const Request& attempt, Failure cause, bool timed_out) {
  assert(cause);
  if (!retries(cause)) return std::nullopt;
  if (attempt.attempt >= config_.max_attempts) {
    ++counters_->exhausted;
    return std::nullopt;
  }
  if (budget_ && !budget_->take(timed_out)) {
    ++counters_->denied;
    return std::nullopt;
  }
  ++counters_->attempts;
  return backoff(attempt.attempt, attempt.backoff);
}

sim::Time RetryPolicy::backoff(std::uint32_t k, sim::Time previous) {
  assert(k >= 1);
  const double base = static_cast<double>(base_.ns);
  const double cap = static_cast<double>(cap_.ns);
  if (config_.jitter == RetryConfig::Jitter::Decorrelated) {
    // s_0 = base; s_k = min(cap, uniform(base, 3 s_{k-1})).
    const double before = k == 1 ? base : static_cast<double>(previous.ns);
    const double drawn = base + rng_.uniform() * (3 * before - base);
    return sim::Time::from_ns(static_cast<std::int64_t>(std::min(cap, drawn)));
  }
  // pow of an integer exponent is exact for the multipliers people write
  // (2, 1.5, 3), and min() with the cap keeps it finite.
  const double t = config_.backoff == RetryConfig::Backoff::Fixed
                       ? base
                       : std::min(cap, base * std::pow(config_.multiplier, static_cast<double>(k - 1)));
  switch (config_.jitter) {
    case RetryConfig::Jitter::None:
      return sim::Time::from_ns(static_cast<std::int64_t>(t));
    case RetryConfig::Jitter::Full:
      return sim::Time::from_ns(static_cast<std::int64_t>(rng_.uniform() * t));
    case RetryConfig::Jitter::Equal:
      return sim::Time::from_ns(static_cast<std::int64_t>(t / 2 + rng_.uniform() * (t / 2)));
    case RetryConfig::Jitter::Decorrelated:
      break;
  }
  assert(false);
  return sim::Time{};
}

}  // namespace archsim::models
