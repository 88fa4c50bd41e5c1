// tests/models/runtime/test_retry_policy.cpp: retries of failed calls. Short
// timelines with constant times, checked by hand: the attempts' times under
// fixed and exponential backoff with a cap, the retry budget running out at
// an exact attempt, a late reply to an earlier attempt dropped and not
// counted twice; and the jitter formulas' ranges and means, checked
// statistically against their exact values.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "models/runtime/retry_policy.h"
#include "sim/rng.h"
#include "tests/models/model_helpers.h"

using archsim::models::RetryConfig;
using archsim::models::RetryPolicy;
using archsim::test_models::count;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// One request a second (at 1, 2, ... 9 s) to "front", whose only step calls
// "back" with `retry`; the network takes 1 ms a hop. "back" crashes at 0 s
// and stays down, so every attempt is refused (crashed) when it reaches it,
// and the refusal takes 1 ms to come back: an attempt costs 2 ms.
std::string against_a_dead_back(const std::string& retry) {
  std::string s = R"({
    "duration_s": 10,
    "network": { "hop_latency": { "type": "constant", "value_ms": 1 } },
    "workloads": [{ "name": "clients", "target": "front",
                    "arrival": { "type": "constant", "rate_qps": 1 } }],
    "components": [
      { "type": "service", "name": "front", "workers": 1,
        "handlers": { "request": [ { "call": "back", "retry": )";
  s += retry;
  s += R"( } ] } },
      { "type": "service", "name": "back", "workers": 1,
        "service_time": { "type": "constant", "value_ms": 1 } }
    ],
    "faults": { "timeline": [ { "at_s": 0, "action": "crash", "target": "back" } ] }
  })";
  return s;
}

}  // namespace

TEST_CASE("fixed backoff without jitter: attempts 2 ms apart plus the wait, as many as max_attempts") {
  // Attempts at 0, 12, 24, 36 ms after front takes the request, each failing
  // 2 ms later: front's step ends at 38 ms (the client's latency counts
  // successes only).
  const auto r = run_scenario(against_a_dead_back(
      R"({ "max_attempts": 4, "backoff": "fixed", "base_ms": 10, "jitter": "none", "retry_on": ["crashed"] })"));
  CHECK(count(r["summary"]["offered"]) == 9);
  CHECK(count(r["summary"]["failed"]["crashed"]) == 9);
  const auto& front = r["components"]["front"];
  CHECK(number(front["latency_ms"]["mean"]) == ms(38));
  const auto& hop = front["retries"]["back"];
  CHECK(count(hop["calls"]) == 9);
  CHECK(count(hop["attempts"]) == 36);
  CHECK(count(hop["retries"]) == 27);
  CHECK(number(hop["amplification"]) == 4);
  CHECK(count(hop["exhausted"]) == 9);
  CHECK(count(hop["denied_by_budget"]) == 0);
  // End to end: every attempt reached back, 4 per client request.
  CHECK(count(r["components"]["back"]["arrivals"]) == 36);
  CHECK(number(r["components"]["back"]["arrivals_per_request"]) == 4);
  CHECK(number(r["components"]["front"]["arrivals_per_request"]) == 1);
}

TEST_CASE("exponential backoff doubles the wait up to its cap") {
  // Waits 10, 20, 25, 25 ms (40 capped at 25) between five attempts of
  // 2 ms each: 80 + 10 = 90 ms at front.
  const auto r = run_scenario(against_a_dead_back(
      R"({ "max_attempts": 5, "backoff": "exponential", "base_ms": 10, "cap_ms": 25, "jitter": "none" })"));
  CHECK(number(r["components"]["front"]["latency_ms"]["mean"]) == ms(90));
  CHECK(number(r["components"]["front"]["latency_ms"]["max"]) == ms(90));
  CHECK(count(r["components"]["back"]["arrivals"]) == 45);
}

TEST_CASE("a cause the policy does not retry fails the call at its first attempt") {
  const auto r = run_scenario(against_a_dead_back(R"({ "max_attempts": 5, "retry_on": ["timeout", "queue_full"] })"));
  CHECK(count(r["components"]["back"]["arrivals"]) == 9);
  CHECK(number(r["components"]["front"]["latency_ms"]["mean"]) == ms(2));
  CHECK(count(r["components"]["front"]["retries"]["back"]["exhausted"]) == 0);
}

TEST_CASE("the retry budget runs out at the exact attempt its tokens allow") {
  // 12 tokens, 5 a retry, no success to refund any: the first request makes
  // two retries (12 -> 7 -> 2) and its third is refused; every later
  // request is refused its first retry. Back sees 3 + 8 attempts.
  const auto r = run_scenario(against_a_dead_back(
      R"({ "max_attempts": 10, "backoff": "fixed", "base_ms": 10, "jitter": "none",
           "budget": { "tokens": 12, "retry_cost": 5 } })"));
  const auto& hop = r["components"]["front"]["retries"]["back"];
  CHECK(count(hop["calls"]) == 9);
  CHECK(count(hop["attempts"]) == 11);
  CHECK(count(hop["denied_by_budget"]) == 9);
  CHECK(count(hop["exhausted"]) == 0);
  CHECK(count(r["components"]["back"]["arrivals"]) == 11);
  // The first request: 3 attempts and 2 waits of 10 ms; the others 2 ms.
  CHECK(number(r["components"]["front"]["latency_ms"]["max"]) == ms(26));
  CHECK(number(r["components"]["front"]["latency_ms"]["mean"]) == ms((26.0 + 8 * 2) / 9));
}

TEST_CASE("the budget: successes refund tokens, a refused retry leaves the bucket as it was") {
  archsim::models::RetryBudget b({10, 5, 8, 1});
  CHECK(b.take(false));   // 5 left
  CHECK(!b.take(true));   // a timeout's retry needs 8: refused, nothing taken
  CHECK(b.tokens() == 5);
  b.succeeded(1, false);  // a first attempt: +1
  CHECK(b.tokens() == 6);
  b.succeeded(2, true);   // a retry after a timeout gives back its 8, up to the capacity
  CHECK(b.tokens() == 10);
  CHECK(b.take(true));
  CHECK(b.tokens() == 2);
}

TEST_CASE("a late reply to a timed-out attempt is dropped: the retry's reply is the one counted") {
  // Requests every 100 ms (at 0.1 .. 0.9 s) to front, which calls back (2
  // workers, 3 ms a request) with a 5 ms timeout and one retry at once. No
  // network delay. Until 0.102 s back is three times slower, so the first
  // request's first attempt takes 9 ms: it times out at 0.105 s, the retry
  // takes back's second worker at once and replies at 0.108 s (3 ms: the
  // slow-down is over), and the first attempt's reply at 0.109 s is late.
  const auto r = run_scenario(R"({
    "duration_s": 1,
    "workloads": [{ "name": "clients", "target": "front",
                    "arrival": { "type": "constant", "rate_qps": 10 } }],
    "components": [
      { "type": "service", "name": "front", "workers": 4,
        "handlers": { "request": [ { "call": "back", "timeout_ms": 5,
                                     "retry": { "max_attempts": 2, "backoff": "fixed", "base_ms": 0, "jitter": "none" } } ] } },
      { "type": "service", "name": "back", "workers": 2,
        "service_time": { "type": "constant", "value_ms": 3 } }
    ],
    "faults": { "timeline": [ { "at_s": 0, "until_s": 0.102, "action": "slow_down", "target": "back", "factor": 3 } ] }
  })");
  const auto& s = r["summary"];
  CHECK(count(s["offered"]) == 9);
  CHECK(count(s["completed"]) == 9);  // once each, not twice for the first
  CHECK(count(s["failed"]["total"]) == 0);
  CHECK(number(s["latency_ms"]["max"]) == ms(8));
  CHECK(number(s["latency_ms"]["mean"]) == ms((8.0 + 8 * 3) / 9));
  const auto& front = r["components"]["front"];
  CHECK(count(front["late_replies"]) == 1);
  CHECK(count(front["completed"]) == 9);
  CHECK(count(front["failed"]) == 0);
  CHECK(count(front["retries"]["back"]["attempts"]) == 10);
  const auto& back = r["components"]["back"];
  CHECK(count(back["completed"]) == 10);
  CHECK(count(back["orphaned"]) == 1);  // the first attempt's work, done for nobody
}

TEST_CASE("a client's retries: each attempt is a new request, the request is counted once") {
  // The client retries a refused request twice, 10 ms apart (fixed, no
  // jitter); front is down: 3 attempts reach it per request.
  const auto r = run_scenario(R"({
    "duration_s": 10,
    "network": { "hop_latency": { "type": "constant", "value_ms": 1 } },
    "workloads": [{ "name": "clients", "target": "front",
                    "arrival": { "type": "constant", "rate_qps": 1 },
                    "retry": { "max_attempts": 3, "backoff": "fixed", "base_ms": 10, "jitter": "none" } }],
    "components": [
      { "type": "service", "name": "front", "workers": 1, "service_time": { "type": "constant", "value_ms": 1 } }
    ],
    "faults": { "timeline": [ { "at_s": 0, "action": "crash", "target": "front" } ] }
  })");
  CHECK(count(r["summary"]["offered"]) == 9);
  CHECK(count(r["summary"]["failed"]["crashed"]) == 9);
  const auto& w = r["workloads"]["clients"]["retries"];
  CHECK(count(w["calls"]) == 9);
  CHECK(count(w["attempts"]) == 27);
  CHECK(count(w["exhausted"]) == 9);
  CHECK(count(r["components"]["front"]["arrivals"]) == 27);
  CHECK(number(r["components"]["front"]["arrivals_per_request"]) == 3);
}

namespace {

// n draws of the backoff before retry k, their mean and range.
struct Draws {
  double mean_ms = 0, min_ms = 1e300, max_ms = -1;
};
Draws draw(RetryConfig::Jitter jitter, std::uint32_t k, archsim::sim::Time previous, int n) {
  RetryConfig c;
  c.backoff = RetryConfig::Backoff::Exponential;
  c.base_ms = 100;
  c.cap_ms = 1000;
  c.jitter = jitter;
  RetryPolicy policy(c, archsim::sim::RandomStreams(11).for_component("jitter"));
  Draws d;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const double t = policy.backoff(k, previous).to_ms();
    sum += t;
    d.min_ms = std::min(d.min_ms, t);
    d.max_ms = std::max(d.max_ms, t);
  }
  d.mean_ms = sum / n;
  return d;
}

}  // namespace

TEST_CASE("jitter: each formula's draws lie in its range and average its exact mean") {
  // Retry 3 of an exponential backoff from 100 ms: t = 400 ms (under the
  // cap of 1,000). Each formula draws a uniform on an interval of width w,
  // whose mean has standard error w / sqrt(12 n); the tolerance is 4 of
  // them (a false alarm about once in 16,000 runs of the seed, and the seed
  // is fixed). The draws are truncated to whole nanoseconds: a bias of at
  // most 1e-6 ms, far below the tolerance.
  const int n = 100000;
  const auto tolerance = [n](double width_ms) { return 4 * width_ms / std::sqrt(12.0 * n); };
  const archsim::sim::Time none{};

  const Draws plain = draw(RetryConfig::Jitter::None, 3, none, 10);
  CHECK(plain.min_ms == 400);
  CHECK(plain.max_ms == 400);

  const Draws full = draw(RetryConfig::Jitter::Full, 3, none, n);  // uniform(0, 400)
  CHECK(full.min_ms >= 0);
  CHECK(full.max_ms < 400);
  CHECK(std::fabs(full.mean_ms - 200) <= tolerance(400));

  const Draws equal = draw(RetryConfig::Jitter::Equal, 3, none, n);  // 200 + uniform(0, 200)
  CHECK(equal.min_ms >= 200);
  CHECK(equal.max_ms < 400);
  CHECK(std::fabs(equal.mean_ms - 300) <= tolerance(200));

  // Decorrelated after a previous wait of 250 ms: uniform(100, 750), under
  // the cap; after 500 ms: uniform(100, 1500) capped at 1,000, whose mean
  // is (100 + 1000) / 2 * 900/1400 + 1000 * 500/1400 = 710.714... ms, and
  // whose standard deviation is at most the uncapped one (min(x, cap) moves
  // no two draws further apart).
  const Draws decorrelated = draw(RetryConfig::Jitter::Decorrelated, 2, archsim::sim::Time::from_ms(250), n);
  CHECK(decorrelated.min_ms >= 100);
  CHECK(decorrelated.max_ms < 750);
  CHECK(std::fabs(decorrelated.mean_ms - 425) <= tolerance(650));
  const Draws capped = draw(RetryConfig::Jitter::Decorrelated, 2, archsim::sim::Time::from_ms(500), n);
  CHECK(capped.max_ms == 1000);
  CHECK(std::fabs(capped.mean_ms - (550.0 * 900 / 1400 + 1000.0 * 500 / 1400)) <= tolerance(1400));
  // The first retry grows from base: uniform(100, 300).
  const Draws first = draw(RetryConfig::Jitter::Decorrelated, 1, none, n);
  CHECK(first.min_ms >= 100);
  CHECK(first.max_ms < 300);
  CHECK(std::fabs(first.mean_ms - 200) <= tolerance(200));
}

TEST_CASE("the exponential backoff is capped, and the cap bounds a full jitter's draws") {
  const Draws late = draw(RetryConfig::Jitter::None, 10, {}, 3);  // 100 * 2^9 = 51,200 ms, capped
  CHECK(late.max_ms == 1000);
  const Draws full = draw(RetryConfig::Jitter::Full, 10, {}, 1000);
  CHECK(full.max_ms < 1000);
}

TEST_CASE("a client's latency runs from its first attempt") {
  // front is down until 1.005 s; one request a second, 1 ms a hop. The
  // request of 1 s is refused at 1.001 s and hears it at 1.002 s; its retry,
  // 10 ms later, reaches front at 1.013 s, up again, and is answered at
  // 1.015 s: 15 ms from the first attempt. The others take 3 ms.
  const auto r = run_scenario(R"({
    "duration_s": 10,
    "network": { "hop_latency": { "type": "constant", "value_ms": 1 } },
    "workloads": [{ "name": "clients", "target": "front",
                    "arrival": { "type": "constant", "rate_qps": 1 },
                    "retry": { "max_attempts": 3, "backoff": "fixed", "base_ms": 10, "jitter": "none" } }],
    "components": [
      { "type": "service", "name": "front", "workers": 1, "service_time": { "type": "constant", "value_ms": 1 } }
    ],
    "faults": { "timeline": [ { "at_s": 0, "until_s": 1.005, "action": "crash", "target": "front" } ] }
  })");
  CHECK(count(r["summary"]["completed"]) == 9);
  CHECK(number(r["summary"]["latency_ms"]["max"]) == ms(15));
  CHECK(number(r["summary"]["latency_ms"]["mean"]) == ms((15.0 + 8 * 3) / 9));
  CHECK(count(r["workloads"]["clients"]["retries"]["attempts"]) == 10);
}
