// The autoscaling scenarios do what their descriptions say, run for their
// whole duration: the instance count follows a daily curve up and down, and
// lags behind a sudden spike by a decision and a start-up, failing requests
// meanwhile, then catches up and comes back down.
#include <doctest/doctest.h>

#include <string>

#include "models/simulation/series.h"
#include "tests/scenarios/scenario_runs.h"

namespace {

using namespace archsim::test_scenarios;

// The mean of a column over the rows whose intervals end in (from, to].
double mean_over(const Json& t, const Json& values, double from, double to) {
  double sum = 0;
  int n = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double at = t[i].get<double>();
    if (at > from && at <= to) {
      sum += values[i].get<double>();
      ++n;
    }
  }
  REQUIRE(n > 0);
  return sum / n;
}

}  // namespace

TEST_CASE("autoscaling-daily-curve: the instances follow the day's curve up and down, and latency holds") {
  const Json r = full_run("autoscaling-daily-curve");
  const Json t = column(r, "t_s"), serving = column(r, "components.web.instances_serving_mean");
  const Json utilization = column(r, "components.web.utilization");
  // Night (100 qps: 0.5 instances' worth at 60% busy): the minimum, 2.
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double at = t[i].get<double>();
    CAPTURE(at);
    if (at <= 360) CHECK(serving[i].get<double>() == 2);
  }
  // The morning ramp: more instances in each quarter of it than in the
  // one before; the plateau (1,500 qps: 12.5 instances' worth) at 13 or
  // so; the evening ramp down: fewer in each quarter.
  double before = 2;
  for (double from = 360; from < 720; from += 90) {
    const double now = mean_over(t, serving, from, from + 90);
    CAPTURE(from);
    CHECK(now > before);
    before = now;
  }
  const double plateau = mean_over(t, serving, 780, 1080);
  CHECK(plateau >= 12.5);
  CHECK(plateau <= 14);
  before = plateau;
  for (double from = 1080; from < 1440; from += 90) {
    const double now = mean_over(t, serving, from, from + 90);
    CAPTURE(from);
    CHECK(now < before);
    before = now;
  }
  // The policy holds utilization near its target where it is free to
  // (above the minimum), and every request is served.
  CHECK(mean_over(t, utilization, 780, 1080) == doctest::Approx(0.6).epsilon(0.1));
  const Json& web = r["components"]["web"];
  CHECK(web["rejected"] == 0);
  CHECK(r["summary"]["failed"]["total"] == 0);
  CHECK(web["latency_ms"]["p99"].get<double>() < 150);
  CHECK(web["scale_outs"].get<std::uint64_t>() >= 5);
  CHECK(web["scale_ins"].get<std::uint64_t>() >= 5);
}

TEST_CASE("autoscaling-spike: the instances lag behind the spike by at least startup_s; requests fail meanwhile") {
  const Json r = full_run("autoscaling-spike");
  const Json t = column(r, "t_s"), serving = column(r, "components.web.instances_serving_mean");
  const Json queue_full = column(r, "failed.queue_full");
  const double spike = 300, startup = 60, interval = 30, window = 30;
  // The first interval after the spike with more than the 3 instances
  // serving: no sooner than a start-up after it, no later than a window to
  // see it, a decision to act and a start-up.
  double joined = -1;
  for (std::size_t i = 0; i < t.size() && joined < 0; ++i)
    if (t[i].get<double>() > spike && serving[i].get<double>() > 3) joined = t[i].get<double>() - 5;  // the interval's start
  REQUIRE(joined > 0);
  CHECK(joined - spike >= startup);
  CHECK(joined - spike <= startup + interval + window);
  // Nothing fails before the spike; during the lag the three instances
  // take what they can and the rest fails queue_full.
  std::uint64_t before = 0, lag = 0, late = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double at = t[i].get<double>();
    const auto n = queue_full[i].get<std::uint64_t>();
    if (at <= spike) before += n;
    else if (at <= joined) lag += n;
    else if (at > 560) late += n;
  }
  CHECK(before == 0);
  // 1,500 qps offered, at most 600 served: at least 800 a second fail.
  CHECK(static_cast<double>(lag) >= 800 * (joined - spike - 5));
  // It catches up: nothing fails in the last 40 s of the spike, nor after.
  CHECK(late == 0);
  // Up to 13 (1,500 qps at 60% of 200 each), then back down to 3 once the
  // spike is over.
  CHECK(r["components"]["web"]["autoscaling"]["instances_serving"]["max"] == 13);
  CHECK(mean_over(t, serving, 850, 900) == 3);
}
