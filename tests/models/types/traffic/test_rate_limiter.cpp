// tests/models/types/traffic/test_rate_limiter.cpp: the rate limiter in a
// run: as a gateway in front of a service, per client, as a service's call
// step, with a leaky bucket's queue, with its counters in a shared cache;
// on short timelines with constant times, checked by hand. And the token
// bucket's rejection probability under Poisson arrivals against the exact
// blocking probability of the M/D/1/K queue it is equivalent to.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/models/model_helpers.h"

using archsim::test_models::count;
using archsim::test_models::count_from_rate;
using archsim::test_models::Json;
using archsim::test_models::ms;
using archsim::test_models::number;
using archsim::test_models::run_scenario;

namespace {

// A measured window of exactly 1 s (arrivals at 1.00 s to 1.99 s).
const std::string kOneSecondWindow = R"("duration_s": 2, "warmup_s": 1,)";

std::string constant_client(const std::string& name, double rate_qps, const std::string& target) {
  std::string s = R"({ "name": ")";
  s += name;
  s += R"(", "target": ")";
  s += target;
  s += R"(", "arrival": { "type": "constant", "rate_qps": )";
  s += std::to_string(rate_qps);
  s += " } }";
  return s;
}

const std::string kBackend = R"({ "type": "service", "name": "svc", "workers": 100,
                                  "service_time": { "type": "constant", "value_ms": 1 } })";

}  // namespace

TEST_CASE("a token bucket gateway refuses what its rate does not cover, with rate_limited") {
  // 100 requests per second, one every 10 ms, into a bucket of one token
  // refilled every 20 ms: every other request goes through.
  std::string text = "{";
  text += kOneSecondWindow;
  text += R"("workloads": [)" + constant_client("clients", 100, "gateway") + R"(],
    "components": [
      { "type": "rate_limiter", "name": "gateway", "backend": "svc",
        "algorithm": "token_bucket", "rate_qps": 50, "burst": 1 }, )" +
          kBackend + "]}";
  const Json r = run_scenario(text);
  const Json& g = r["components"]["gateway"];
  CHECK(count(g["arrivals"]) == 100);
  CHECK(count(g["admitted"]) == 50);
  CHECK(count(g["rate_limited"]) == 50);
  CHECK(count(g["rejected"]) == 50);  // turned away at once
  CHECK(number(g["rate_limited_fraction"]) == doctest::Approx(0.5));
  CHECK(count(r["summary"]["failed"]["rate_limited"]) == 50);
  CHECK(count_from_rate(r, r["components"]["svc"]["throughput_qps"]) == 50);
  CHECK(r["summary"]["latency_ms"]["mean"].get<double>() == ms(1));  // admitted ones: the service's 1 ms
}

TEST_CASE("a limiter keyed by client counts each client apart") {
  // heavy: every 10 ms; light: every 100 ms; 20 tokens per second per client, burst 1.
  std::string text = "{";
  text += kOneSecondWindow;
  text += R"("workloads": [)" + constant_client("heavy", 100, "gateway") + ", " +
          constant_client("light", 10, "gateway") + R"(],
    "components": [
      { "type": "rate_limiter", "name": "gateway", "backend": "svc", "key": "client",
        "algorithm": "token_bucket", "rate_qps": 20, "burst": 1 }, )" +
          kBackend + "]}";
  const Json r = run_scenario(text);
  const Json& g = r["components"]["gateway"];
  CHECK(count(g["rate_limited"]) == 80);
  CHECK(count(g["rate_limited_by_client"]["heavy"]) == 80);
  CHECK(count(g["rate_limited_by_client"]["light"]) == 0);
  CHECK(count(g["keys_tracked"]) == 2);
  CHECK(count(g["keys_evicted"]) == 0);
  CHECK(count(r["workloads"]["light"]["failed"]["total"]) == 0);
}

TEST_CASE("a limiter keyed by user id past max_keys forgets the least recently seen user") {
  // Four users in turn (user_id population of 4, round robin is not
  // available: a constant stream of users drawn uniformly), two tracked:
  // every new user evicts one. With a fixed window of 1 per second per user
  // and room for all four, three of every four requests in a second would
  // be refused; with two slots, a user evicted since its last request
  // starts afresh and gets through.
  auto run = [](int max_keys) {
    std::string text = "{";
    text += kOneSecondWindow;
    text += R"("workloads": [{ "name": "clients", "target": "gateway",
        "arrival": { "type": "constant", "rate_qps": 100 },
        "users": { "count": 4, "popularity": { "type": "uniform" } } }],
      "components": [
        { "type": "rate_limiter", "name": "gateway", "backend": "svc", "key": "user_id", "max_keys": )";
    text += std::to_string(max_keys);
    text += R"(, "algorithm": "fixed_window", "limit": 1, "window_ms": 1000 }, )" + kBackend + "]}";
    return run_scenario(text);
  };
  const Json all = run(4);
  CHECK(count(all["components"]["gateway"]["admitted"]) == 4);  // one per user in the second
  CHECK(count(all["components"]["gateway"]["keys_evicted"]) == 0);
  const Json two = run(2);
  CHECK(count(two["components"]["gateway"]["keys_evicted"]) > 10);
  CHECK(count(two["components"]["gateway"]["admitted"]) > 4);  // forgotten users start afresh
  CHECK(count(two["components"]["gateway"]["keys_tracked"]) == 2);
}

TEST_CASE("a service's call step to a limiter without backend fails the handler when refused") {
  // 100 requests per second; the quota admits 30 per fixed second.
  std::string text = "{";
  text += kOneSecondWindow;
  text += R"("workloads": [)" + constant_client("clients", 100, "api") + R"(],
    "components": [
      { "type": "service", "name": "api", "workers": 10,
        "handlers": { "request": [ { "call": "quota" }, { "compute": { "type": "constant", "value_ms": 2 } } ] } },
      { "type": "rate_limiter", "name": "quota", "algorithm": "fixed_window", "limit": 30, "window_ms": 1000 }
    ]})";
  const Json r = run_scenario(text);
  CHECK(count(r["components"]["quota"]["admitted"]) == 30);
  CHECK(count(r["components"]["quota"]["rate_limited"]) == 70);
  CHECK(count(r["components"]["api"]["failed"]) == 70);
  CHECK(count(r["summary"]["failed"]["rate_limited"]) == 70);
  CHECK(r["summary"]["latency_ms"]["mean"].get<double>() == ms(2));  // the admitted: the compute step only
}

TEST_CASE("a limiter deep in the architecture still knows each request's client") {
  // Both workloads call the api, whose handler asks the quota, keyed by
  // client: the client is found by walking up the calls.
  std::string text = "{";
  text += kOneSecondWindow;
  text += R"("workloads": [)" + constant_client("heavy", 100, "api") + ", " + constant_client("light", 10, "api") + R"(],
    "components": [
      { "type": "service", "name": "api", "workers": 10,
        "handlers": { "request": [ { "call": "quota" } ] } },
      { "type": "rate_limiter", "name": "quota", "key": "client",
        "algorithm": "sliding_log", "limit": 20, "window_ms": 1000 }
    ]})";
  const Json r = run_scenario(text);
  const Json& q = r["components"]["quota"];
  CHECK(count(q["rate_limited_by_client"]["heavy"]) == 80);
  CHECK(count(q["rate_limited_by_client"]["light"]) == 0);
  CHECK(count(r["workloads"]["heavy"]["failed"]["rate_limited"]) == 80);
}

TEST_CASE("a leaky bucket gateway holds requests in its queue and lets one through per 1/r") {
  // 100 per second into a bucket draining 50 per second, 5 places: the
  // queue stays full, half the requests are refused, and what leaves is
  // one every 20 ms: the service sees 50 per second.
  std::string text = "{";
  text += R"("duration_s": 3, "warmup_s": 1,)";
  text += R"("workloads": [)" + constant_client("clients", 100, "gateway") + R"(],
    "components": [
      { "type": "rate_limiter", "name": "gateway", "backend": "svc",
        "algorithm": "leaky_bucket", "rate_qps": 50, "queue_capacity": 5 }, )" +
          kBackend + "]}";
  const Json r = run_scenario(text);
  const Json& g = r["components"]["gateway"];
  CHECK(count(g["arrivals"]) == 200);
  CHECK(count(g["admitted"]) == 100);
  CHECK(count(g["rate_limited"]) == 100);
  CHECK(count_from_rate(r, r["components"]["svc"]["throughput_qps"]) == 100);
  CHECK(count(g["queue_length"]["max"]) == 5);
  // Arrivals on a 10 ms grid, departures on a 20 ms one: a request is
  // admitted just as one leaves (a departure at t has left before an
  // arrival at t is counted), with 4 ahead leaving 20 .. 80 ms later; it
  // leaves 100 ms after it came. The one 10 ms later finds 5 ahead.
  CHECK(g["wait_ms"]["mean"].get<double>() == ms(100));
  CHECK(r["summary"]["latency_ms"]["mean"].get<double>() == ms(101));
}

TEST_CASE("with a counter store every decision is a round trip to the cache") {
  // Hops of 0.5 ms; the cache writes in 0.2 ms. An admitted request:
  // client -> gateway 0.5, gateway -> cache -> gateway 0.5 + 0.2 + 0.5,
  // gateway -> svc 0.5, 1 ms, back 0.5 + 0.5: 4.2 ms.
  std::string text = "{";
  text += kOneSecondWindow;
  text += R"("network": { "hop_latency": { "type": "constant", "value_ms": 0.5 } },
    "workloads": [)" + constant_client("clients", 100, "gateway") + R"(],
    "components": [
      { "type": "rate_limiter", "name": "gateway", "backend": "svc", "counter_store": "counters",
        "algorithm": "token_bucket", "rate_qps": 50, "burst": 1 },
      { "type": "cache", "name": "counters", "capacity_keys": 10, "workers": 1,
        "hit_time": { "type": "constant", "value_ms": 0.1 },
        "write_time": { "type": "constant", "value_ms": 0.2 } }, )" +
          kBackend + "]}";
  const Json r = run_scenario(text);
  const Json& g = r["components"]["gateway"];
  CHECK(count(g["store_calls"]) == 100);
  CHECK(count(g["store_failures"]) == 0);
  CHECK(count(g["admitted"]) == 50);
  CHECK(count(g["rate_limited"]) == 50);
  CHECK(count(g["rejected"]) == 0);  // each was inside for its store call
  CHECK(count(r["components"]["counters"]["arrivals"]) == 100);
  CHECK(r["summary"]["latency_ms"]["mean"].get<double>() == ms(4.2));
}

// The reference: the blocking probability of the M/D/1/K queue, solved by
// its chain embedded at departures (Gross & Harris, the M/G/1/K queue).
// With a_k = P(k arrivals in one service time D) = e^-rho rho^k / k!, rho =
// lambda D, the number left behind by a departure, 0 .. K-1, is a Markov
// chain; its stationary law pi gives the time-average law by
// p_j = pi_j / (pi_0 + rho), j < K, and the blocking probability (PASTA)
// p_K = 1 - 1 / (pi_0 + rho).
double md1k_blocking(double rho, int K) {
  std::vector<double> a(static_cast<std::size_t>(K) + 1);
  double term = std::exp(-rho);
  for (int k = 0; k <= K; ++k) {
    a[static_cast<std::size_t>(k)] = term;
    term *= rho / (k + 1);
  }
  // P[i][j]: from i left behind to j left behind by the next departure.
  const auto n = static_cast<std::size_t>(K);
  std::vector<std::vector<double>> P(n, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t base = i == 0 ? 0 : i - 1;  // in system when the next service starts, less one
    double rest = 1;
    for (std::size_t j = base; j + 1 < n; ++j) {
      P[i][j] = a[j - base];
      rest -= a[j - base];
    }
    P[i][n - 1] = rest;  // arrivals beyond the room are refused
  }
  // pi = pi P, by power iteration (the chain is aperiodic: a_0 > 0).
  std::vector<double> pi(n, 1.0 / static_cast<double>(n)), next(n);
  for (int iteration = 0; iteration < 100000; ++iteration) {
    std::fill(next.begin(), next.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) next[j] += pi[i] * P[i][j];
    double change = 0;
    for (std::size_t j = 0; j < n; ++j) change += std::fabs(next[j] - pi[j]);
    pi.swap(next);
    if (change < 1e-15) break;
  }
  return 1 - 1 / (pi[0] + rho);
}

TEST_CASE("the M/D/1/K reference matches known values") {
  // K = 1 is M/D/1/1, a loss system: blocking = rho / (1 + rho).
  CHECK(md1k_blocking(0.5, 1) == doctest::Approx(0.5 / 1.5).epsilon(1e-12));
  CHECK(md1k_blocking(2.0, 1) == doctest::Approx(2.0 / 3.0).epsilon(1e-12));
  // As K grows below saturation, blocking vanishes; above it, it tends to 1 - 1/rho.
  CHECK(md1k_blocking(0.5, 40) < 1e-12);
  CHECK(md1k_blocking(2.0, 60) == doctest::Approx(0.5).epsilon(1e-9));
}

TEST_CASE("token bucket under Poisson arrivals refuses with the M/D/1/K blocking probability") {
  // A token bucket of b tokens refilled at r admits a request exactly when
  // an M/D/1/K queue with K = b and service 1/r would: the tokens missing,
  // in time, are that queue's unfinished work, and a token is left when
  // fewer than K are in it. Poisson arrivals at lambda = 0.9 r (and 1.2 r);
  // the limiter answers itself (no backend). The run is cut into
  // reporting intervals of 20 s, 100 batches; the tolerance is four
  // standard errors of the batch means.
  struct Case {
    double lambda, rate;
    int burst;
  };
  for (const Case c : {Case{90, 100, 5}, Case{120, 100, 3}}) {
    std::string text = R"({ "seed": 5, "duration_s": 2020, "warmup_s": 20, "report_interval_s": 20,
      "workloads": [{ "name": "clients", "target": "limiter",
                      "arrival": { "type": "poisson", "rate_qps": )";
    text += std::to_string(c.lambda);
    text += R"( } }],
      "components": [{ "type": "rate_limiter", "name": "limiter", "algorithm": "token_bucket", "rate_qps": )";
    text += std::to_string(c.rate);
    text += R"(, "burst": )";
    text += std::to_string(c.burst);
    text += " }]}";
    const Json r = run_scenario(text);
    const Json& columns = r["timeseries"]["columns"];
    std::size_t arrivals = 0, refused = 0, measured = 0;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const std::string name = columns[i]["name"].get<std::string>();
      if (name == "components.limiter.arrivals") arrivals = i;
      if (name == "components.limiter.rate_limited") refused = i;
      if (name == "measured") measured = i;
    }
    REQUIRE(arrivals > 0);
    REQUIRE(refused > 0);
    std::vector<double> batches;
    for (const auto& row : r["timeseries"]["rows"]) {
      if (!row[measured].get<bool>()) continue;
      batches.push_back(row[refused].get<double>() / row[arrivals].get<double>());
    }
    REQUIRE(batches.size() == 100);
    double mean = 0;
    for (double b : batches) mean += b;
    mean /= static_cast<double>(batches.size());
    double variance = 0;
    for (double b : batches) variance += (b - mean) * (b - mean);
    variance /= static_cast<double>(batches.size() - 1);
    const double standard_error = std::sqrt(variance / static_cast<double>(batches.size()));
    const double exact = md1k_blocking(c.lambda / c.rate, c.burst);
    INFO("lambda " << c.lambda << ", r " << c.rate << ", b " << c.burst << ": simulated " << mean << ", exact "
                   << exact << ", standard error " << standard_error);
    CHECK(std::fabs(mean - exact) <= 4 * standard_error);
    CHECK(standard_error < 0.05 * exact);  // the test has teeth
  }
}
