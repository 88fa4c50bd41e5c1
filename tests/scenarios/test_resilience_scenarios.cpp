// The resilience scenarios do what their descriptions say, run for their
// whole duration: a circuit breaker keeps a slow database's queue short and
// turns its callers' timeouts into fast failures; a bulkhead keeps a slow
// dependency from taking every worker of its caller.
#include <doctest/doctest.h>

#include <string>

#include "models/simulation/series.h"
#include "tests/scenarios/scenario_runs.h"

namespace {

using namespace archsim::test_scenarios;

std::uint64_t count(const Json& value) { return value.get<std::uint64_t>(); }

}  // namespace

TEST_CASE("circuit-breaker-slow-database: with the breaker the database's queue stays short and callers fail fast") {
  const Json r = full_run("circuit-breaker-slow-database");
  const Json& plain = r["workloads"]["plain-clients"]["failed"];
  const Json& guarded = r["workloads"]["guarded-clients"]["failed"];
  // Without the breaker every failure is a timeout after 100 ms; with it
  // most are circuit_open, failed at once, and the timeouts are a few.
  CHECK(count(plain["circuit_open"]) == 0);
  CHECK(count(plain["timeout"]) > 10000);
  CHECK(count(guarded["circuit_open"]) > count(guarded["timeout"]));
  CHECK(count(guarded["timeout"]) * 4 < count(plain["timeout"]));
  // And more requests succeed: the database's work is for someone.
  CHECK(count(r["workloads"]["guarded-clients"]["completed"]) > count(r["workloads"]["plain-clients"]["completed"]));
  CHECK(count(r["components"]["db-guarded"]["orphaned"]) * 4 < count(r["components"]["db-plain"]["orphaned"]));
  const Json& breaker = r["components"]["web-guarded"]["circuit_breakers"]["db-guarded"];
  CHECK(count(breaker["opens"]) > 5);
  CHECK(breaker["rejected"] == guarded["circuit_open"]);
  CHECK(count(breaker["open_at_end"]) == 0);
  // The breaker's first opening is the guarded slow-down's detection; the
  // plain database's goes undetected.
  const Json& faults = r["faults"]["timeline"];
  CHECK(faults[0]["detection_s"].is_null());
  CHECK(faults[1]["detected_by"] == "web-guarded");
  CHECK(faults[1]["detection_s"].get<double>() > 0);
  CHECK(faults[1]["detection_s"].get<double>() < 1);

  const Json t = column(r, "t_s");
  const Json plain_queue = column(r, "components.db-plain.queue_length_mean");
  const Json guarded_queue = column(r, "components.db-guarded.queue_length_max");
  const Json open = column(r, "components.web-guarded.circuit_breakers.db-guarded.open");
  const Json plain_goodput = column(r, "components.web-plain.goodput_qps");
  const Json guarded_goodput = column(r, "components.web-guarded.goodput_qps");
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double at = t[i].get<double>();
    CAPTURE(at);
    // Before the slow-down, and from a second after it (the breaker's last
    // open spell ends), the breaker is closed all the time.
    if (at <= 20 || at >= 42) CHECK(open[i].get<double>() == 0);
    if (at > 21 && at <= 40) {
      // Slowed: the plain database's queue grows past hundreds, and the
      // plain web serves nobody; the guarded database never holds more
      // than the guarded web's 64 workers' worth of calls (its queue drains
      // each time the breaker opens), and serves some.
      CHECK(plain_queue[i].get<double>() > 200);
      CHECK(guarded_queue[i].get<double>() < 100);
      CHECK(open[i].get<double>() > 0.3);
      CHECK(plain_goodput[i].get<double>() == 0);
      CHECK(guarded_goodput[i].get<double>() > 20);
    }
  }
}

TEST_CASE("bulkhead-slow-dependency: the bulkhead keeps the page views served while recommendations are slow") {
  const Json r = full_run("bulkhead-slow-dependency");
  const Json& plain = r["workloads"]["plain-users"]["failed"];
  const Json& guarded = r["workloads"]["guarded-users"]["failed"];
  // Without a bulkhead the slow calls take every worker and the web's queue
  // refuses page views and recommendations alike; with it, only the
  // recommendations beyond 24 in flight fail, at once.
  CHECK(count(plain["queue_full"]) > 1000);
  CHECK(count(guarded["queue_full"]) == 0);
  CHECK(count(guarded["timeout"]) == 0);
  CHECK(count(guarded["bulkhead_full"]) == count(guarded["total"]));
  const Json& bulkhead = r["components"]["web-guarded"]["bulkheads"]["recommendations-guarded"];
  CHECK(count(bulkhead["in_flight"]["max"]) == 24);
  CHECK(bulkhead["rejected"] == guarded["bulkhead_full"]);
  // Every page view of the guarded side reached the profile service: none
  // was refused on the way, so the web sent on all it got.
  CHECK(count(r["components"]["web-guarded"]["rejected"]) == 0);
  CHECK(count(r["components"]["web-plain"]["rejected"]) == count(plain["queue_full"]));

  const Json t = column(r, "t_s");
  const Json plain_waiting = column(r, "components.web-plain.waiting_on.recommendations-plain");
  const Json in_flight = column(r, "components.web-guarded.bulkheads.recommendations-guarded.in_flight_max");
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double at = t[i].get<double>();
    CAPTURE(at);
    CHECK(in_flight[i].get<std::int64_t>() <= 24);
    // Slowed: the plain web's workers nearly all wait on recommendations.
    if (at > 21 && at <= 40) CHECK(plain_waiting[i].get<double>() > 0.9);
  }
}

TEST_CASE("abandoned-work: the plain tier serves its backlog for nobody for seconds; dropping it recovers at once") {
  const Json r = full_run("abandoned-work");
  const Json t = column(r, "t_s");
  const Json plain_goodput = column(r, "components.web-plain.goodput_qps");
  const Json drop_goodput = column(r, "components.web-drop.goodput_qps");
  const Json plain_wasted = column(r, "components.web-plain.wasted_utilization");
  const Json dropped = column(r, "components.web-drop.abandoned_dropped");
  // The backlog of about 7,000 (1,400/s for 5 s) drains at the 400/s to
  // spare: about 17.5 s after the spike's end, every request served for
  // nobody. Judged with a second's margin either side.
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double at = t[i].get<double>();
    CAPTURE(at);
    if (at >= 23 && at <= 40) {
      CHECK(plain_goodput[i].get<double>() == 0);
      CHECK(plain_wasted[i].get<double>() > 0.95);
    }
    if (at >= 27) CHECK(drop_goodput[i].get<double>() > 1000);  // 1,200/s offered
    if (at >= 44) CHECK(plain_goodput[i].get<double>() > 1000);
    if (at <= 20 || at >= 27) CHECK(dropped[i].get<double>() == 0);
  }
  // Every dropped request had been given up on: the clients saw only their
  // own timeouts, never the cause abandoned.
  CHECK(count(r["components"]["web-drop"]["abandoned_dropped"]) > 5000);
  CHECK(count(r["workloads"]["drop-clients"]["failed"].value("abandoned", Json(0))) == 0);
  CHECK(count(r["workloads"]["drop-clients"]["completed"]) > count(r["workloads"]["plain-clients"]["completed"]) + 15000);
}
