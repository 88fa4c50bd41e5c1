// The retry scenarios do what their descriptions say, run for their whole
// duration: retries at two layers multiply the load on the bottom one, and
// a short slow period tips a system with retries into an overload that
// outlives it unless a retry budget stops the retries (a metastable
// failure). Each figure comes out of the run's time series.
#include <doctest/doctest.h>

#include <string>

#include "models/simulation/series.h"
#include "tests/scenarios/scenario_runs.h"

namespace {

using namespace archsim::test_scenarios;

// The sum of a series column over the intervals ending in (from, to].
double sum_over(const Json& results, const std::string& name, double from, double to) {
  const Json t = archsim::models::series_column(results, "t_s");
  const Json c = archsim::models::series_column(results, name);
  REQUIRE(c.is_array());
  double sum = 0;
  for (std::size_t i = 0; i < t.size(); ++i)
    if (t[i].get<double>() > from && t[i].get<double>() <= to && !c[i].is_null()) sum += c[i].get<double>();
  return sum;
}

}  // namespace

TEST_CASE("metastable-retries: without a budget the collapse outlives the slow period; with one the system recovers") {
  const Json r = full_run("metastable-retries");
  // Goodput per second, summed over 1 s intervals and divided by their count.
  const auto goodput = [&](const std::string& web, double from, double to) {
    return sum_over(r, "components." + web + ".goodput_qps", from, to) / (to - from);
  };
  // Before the slow period both stacks serve their 600 requests/s (the
  // database 75 % busy, far from its timeout): at least 90 % of it, with
  // room for the Poisson noise of 6,000 requests (about 1.3 %).
  CHECK(goodput("web-plain", 10, 20) >= 540);
  CHECK(goodput("web-budget", 10, 20) >= 540);
  // From 40 s, 15 s after the slow period ended, to the end. Without a
  // budget db-plain is offered up to 3 attempts per request (1,800/s)
  // against the 800/s it can serve: its queue stays at its bound of 5,000,
  // 6 s of waiting against a timeout of 100 ms, so next to no attempt is
  // answered in time. We ask for less than 5 % of the offered load (30/s):
  // a system that had recovered, even partly, would be far above it.
  CHECK(goodput("web-plain", 40, 60) < 30);
  CHECK(sum_over(r, "components.db-plain.queue_length_mean", 40, 60) / 20 > 4000);
  // With the budget the retries stopped once it ran dry, db-budget saw one
  // attempt per request (600/s of 800/s), drained the backlog of the slow
  // period at about 200/s (under 10 s) and serves the load again, with at
  // most a retry per ten successes: at least 90 % of the offered load, as
  // before the slow period.
  CHECK(goodput("web-budget", 40, 60) >= 540);
  CHECK(sum_over(r, "components.db-budget.queue_length_mean", 40, 60) / 20 < 10);
  const Json& plain = r["components"]["web-plain"]["retries"]["db-plain"];
  const Json& budget = r["components"]["web-budget"]["retries"]["db-budget"];
  CHECK(plain["denied_by_budget"] == 0);
  CHECK(budget["denied_by_budget"].get<std::uint64_t>() > 0);
  CHECK(budget["amplification"].get<double>() < 1.05);
}

TEST_CASE("retry-storm: three attempts at each of two layers reach the database up to nine times per request") {
  const Json r = full_run("retry-storm");
  // While the database is slow (20 to 30 s) every naive attempt fails: each
  // client request makes 3 attempts at web, each of them 3 at the
  // database, 9 in all (a full queue refuses at once, so the attempts come
  // fast). We ask for more than 6 per request, between 3 (one layer
  // retrying) and 9.
  const double storm_requests = sum_over(r, "components.api-naive.arrivals", 21, 30);
  CHECK(sum_over(r, "components.db-naive.arrivals", 21, 30) / storm_requests > 6);
  // With backoff, jitter and budgets the budgets run dry within the first
  // second, and the database sees little more than one attempt per request.
  const double careful_requests = sum_over(r, "components.api-careful.arrivals", 21, 30);
  CHECK(sum_over(r, "components.db-careful.arrivals", 21, 30) / careful_requests < 1.2);
  // And the end-to-end figure multiplies the per-hop ones.
  const Json& c = r["components"];
  const double api = c["api-naive"]["retries"]["web-naive"]["amplification"].get<double>();
  const double web = c["web-naive"]["retries"]["db-naive"]["amplification"].get<double>();
  CHECK(c["db-naive"]["arrivals_per_request"].get<double>() == doctest::Approx(api * web).epsilon(0.01));
  CHECK(c["db-careful"]["arrivals_per_request"].get<double>() < 1.05);
}

TEST_CASE("hedged-requests: hedging cuts the clients' p99 and p99.9 for about a tenth more backend work") {
  const Json r = full_run("hedged-requests");
  const Json& plain = r["workloads"]["plain-clients"]["latency_ms"];
  const Json& hedged = r["workloads"]["hedged-clients"]["latency_ms"];
  // The tail comes from the backend's slow one in a hundred: a hedge after
  // the 95th percentile usually finds a replica that answers in the
  // common 3 to 6 ms.
  CHECK(hedged["p99"].get<double>() < 0.75 * plain["p99"].get<double>());
  CHECK(hedged["p999"].get<double>() < 0.75 * plain["p999"].get<double>());
  // The budget holds the hedges to about a tenth of the calls (the bucket
  // starts with 10 tokens), and each hedge leaves one loser working for
  // nobody at the backend.
  const Json& h = r["components"]["web-hedged"]["hedges"]["backend-hedged"];
  CHECK(h["hedge_rate"].get<double>() <= 0.1 + 10.0 / h["calls"].get<double>());
  CHECK(h["hedge_rate"].get<double>() > 0.05);
  CHECK(h["won_by_hedge"].get<std::uint64_t>() > h["hedges"].get<std::uint64_t>() / 2);
  CHECK(h["losers"] == h["hedges"]);
  // The losers still at work when the run ends are not counted yet.
  const auto orphaned = r["components"]["backend-hedged"]["orphaned"].get<std::uint64_t>();
  CHECK(orphaned <= h["losers"].get<std::uint64_t>() + 10);
  CHECK(orphaned + 100 >= h["losers"].get<std::uint64_t>());
  CHECK(r["components"]["backend-plain"]["orphaned"].get<std::uint64_t>() == 0);
}
