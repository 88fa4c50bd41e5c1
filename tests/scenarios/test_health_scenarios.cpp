// The scenarios of health checks and failover do what their descriptions
// say, run for their whole duration: the same crash with and without health
// checks, an active-passive pair failing over, and a stateful tier losing
// the sessions of a crashed replica while a stateless one loses none.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "models/simulation/series.h"
#include "sim/rng.h"
#include "tests/scenarios/scenario_runs.h"

namespace {

using namespace archsim::test_scenarios;

std::uint64_t crashed(const Json& r, const std::string& workload) {
  return r["workloads"][workload]["failed"]["crashed"].get<std::uint64_t>();
}

}  // namespace

TEST_CASE("crash-health-checks: without health checks a third fails for 30 s, with them for the 2.8 s to the ejection") {
  const Json r = full_run("crash-health-checks");
  const Json& plain = r["faults"]["timeline"][0];
  const Json& checked = r["faults"]["timeline"][1];
  REQUIRE(plain["target"] == "web-plain[1]");
  REQUIRE(checked["target"] == "web-checked[1]");
  // Nothing detects the crash behind lb-plain. Behind lb-checked the probes
  // of 31, 32 and 33 s are refused; the third's reply is back 0.5 ms later
  // (two hops): ejected at 33.0005 s.
  CHECK(plain["detection_s"].is_null());
  CHECK(checked["detected_by"] == "lb-checked");
  CHECK(checked["detection_s"].get<double>() == doctest::Approx(2.8005).epsilon(1e-9));
  // Round robin gives the dead replica a third of what is sent: for 30 s
  // without health checks, for 2.8 s with them. Poisson arrivals at 300 a
  // second: 9,000 and 840 sent in those times on average, standard
  // deviations 95 and 29; a third of them within 4 standard deviations (and
  // a few held at the crash).
  CHECK(std::fabs(static_cast<double>(crashed(r, "clients-plain")) - 3000) < 4 * 95 / 3.0 + 5);
  CHECK(std::fabs(static_cast<double>(crashed(r, "clients-checked")) - 280) < 4 * 29 / 3.0 + 5);
  const Json& lb = r["components"]["lb-checked"];
  CHECK(lb["ejections"] == 1);
  CHECK(lb["readmissions"] == 1);
  CHECK_FALSE(r["components"]["lb-plain"].contains("ejections"));
  // Three replicas in until 33 s, two until the re-admission by the good
  // probes of 61 and 62 s, three after.
  const Json t = column(r, "t_s"), healthy = column(r, "components.lb-checked.healthy_backends_mean");
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double at = t[i].get<double>();
    CAPTURE(at);
    if (at <= 33) CHECK(healthy[i] == 3);
    if (at > 34 && at <= 62) CHECK(healthy[i] == 2);
    if (at > 63) CHECK(healthy[i] == 3);
  }
  // Failures with health checks only between the crash and the ejection.
  const Json failed = column(r, "failed.crashed");
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double at = t[i].get<double>();
    if (at > 34 && at <= 60) CHECK(failed[i].get<double>() > 50);  // lb-plain's third, about 100 a second
  }
  CHECK(plain["recovery_s"] == 0.0);
  CHECK(checked["recovery_s"] == 0.0);
}

TEST_CASE("active-passive-failover: everything fails from the crash to the ejection, then the standby takes over") {
  const Json r = full_run("active-passive-failover");
  const Json& fault = r["faults"]["timeline"][0];
  // Probes every 500 ms: those of 20.5, 21 and 21.5 s are refused; ejected
  // 0.5 ms after 21.5 s.
  CHECK(fault["detection_s"].get<double>() == doctest::Approx(1.2005).epsilon(1e-9));
  // Every request sent in that gap fails: 200 a second for 1.2 s, 240 on
  // average, Poisson (standard deviation 15.5), within 4 of them, and the
  // few web[0] held at the crash.
  const double lost = r["summary"]["failed"]["crashed"].get<double>();
  CHECK(std::fabs(lost - 240) < 4 * 15.5 + 5);
  // Nothing fails outside the gap.
  const Json t = column(r, "t_s"), failed = column(r, "failed.crashed");
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double at = t[i].get<double>();
    CAPTURE(at);
    if (at <= 20 || at > 22) CHECK(failed[i] == 0);
  }
  // The standby served the requests from 21.5 s to its fail-back at 41 s.
  const Json& instances = r["components"]["web"]["instances"];
  const double standby = instances[1]["throughput_qps"].get<double>() * r["measured_s"].get<double>();
  CHECK(standby > 0.3 * r["summary"]["completed"].get<double>());
}

TEST_CASE("stateful-vs-stateless: a crash logs out the users of the replica's sessions; the shared store loses none") {
  const Json r = full_run("stateful-vs-stateless");
  const Json& stateful = r["components"]["web-stateful"];
  CHECK_FALSE(r["components"]["web-stateless"].contains("sessions_lost"));
  // The users whose sessions web-stateful[1] holds: those of its hash (of
  // 4,000) seen before the crash at 30.2 s. Each user sends 0.1 requests a
  // second, Poisson: seen by then with probability 1 - e^-3.02.
  double mine = 0;
  for (std::uint64_t u = 0; u < 4000; ++u) mine += archsim::sim::mix64(u) % 4 == 1 ? 1 : 0;
  const double p = 1 - std::exp(-3.02);
  const double expected = mine * p, sd = std::sqrt(mine * p * (1 - p));
  CAPTURE(mine);
  CHECK(std::fabs(stateful["sessions_lost"].get<double>() - expected) < 5 * sd);
  // Sent back to web-stateful[1] after its re-admission at 62 s, the users
  // who moved away find no session there: nearly as many misses.
  CHECK(stateful["session_misses"].get<double>() > 0.8 * expected);
  // The stateless tier pays a call to the store on every request: 0.3 ms
  // and two hops of 0.25 ms, 0.8 ms more on average.
  const double extra = r["workloads"]["users-stateless"]["latency_ms"]["mean"].get<double>() -
                       r["workloads"]["users-stateful"]["latency_ms"]["mean"].get<double>();
  CHECK(extra == doctest::Approx(0.8).epsilon(0.15));
  CHECK(r["components"]["session-store"]["arrivals"].get<double>() >
        0.99 * r["workloads"]["users-stateless"]["completed"].get<double>());
}
