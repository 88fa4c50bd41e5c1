// archsim analyze: theory beside the simulation (docs/analyze.md). On the
// validation scenarios every theory row agrees with the simulated figure
// within its stated noise (4 standard errors by batch means, 190 or more
// measured intervals of 1 s, each of hundreds to tens of thousands of
// requests, far longer than the queues' correlation times); where theory
// does not apply the command says why instead of printing a number; bad
// input is refused cleanly.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using archsim::test_cli::contains;
using archsim::test_cli::run;

std::string scenario(const std::string& name) { return (archsim::test_cli::source_dir() / "scenarios" / name).string(); }

// `archsim analyze FILE --duration 200s --json -` (and more arguments), parsed.
Json analyze(const std::string& file, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"analyze", file, "--duration", "200s", "--json", "-"};
  args.insert(args.end(), more.begin(), more.end());
  const auto o = run(args);
  INFO(o.err);
  REQUIRE(o.code == 0);
  return Json::parse(o.out);
}

const Json& station(const Json& doc, const std::string& name) {
  for (const auto& s : doc["stations"])
    if (s["name"] == name) return s;
  FAIL("no station " << name);
  static const Json none;
  return none;
}

// Every row of the station has a noise estimate and is within it.
void expect_rows_agree(const Json& doc, const std::string& name, const std::string& model, std::size_t rows) {
  const Json& s = station(doc, name);
  INFO(doc["scenario"].get<std::string>() << " " << name << ": " << s.dump());
  CHECK(s["model"] == model);
  CHECK(s["reason"] == "");
  CHECK(s["rows"].size() == rows);
  for (const auto& r : s["rows"]) {
    INFO(r.dump());
    CHECK(r["se"].is_number());
    CHECK(r["within_noise"] == true);
  }
  // Little's law holds on the simulated figures to within a part in 1000
  // (what is left are the requests inside at the ends of the window).
  CHECK(std::fabs(s["little"]["relative_difference"].get<double>()) < 1e-3);
}

double theory_of(const Json& s, const std::string& figure) {
  for (const auto& r : s["rows"])
    if (r["figure"] == figure) return r["theory"].get<double>();
  FAIL("no row " << figure);
  return 0;
}

}  // namespace

TEST_CASE("analyze: M/M/1, M/M/16, M/D/1 and lognormal M/G/1 theory rows agree with the run within the noise") {
  const Json mm1 = analyze(scenario("mm1.json"));
  expect_rows_agree(mm1, "server", "M/M/1", 5);
  CHECK(theory_of(station(mm1, "server"), "mean response (ms)") == doctest::Approx(5.0));
  CHECK(mm1["noise"]["batches"] == 190);

  const Json mmc = analyze(scenario("mmc.json"));
  expect_rows_agree(mmc, "pool", "M/M/16", 5);

  const Json md1 = analyze(scenario("md1.json"));
  expect_rows_agree(md1, "server", "M/D/1", 5);
  CHECK(theory_of(station(md1, "server"), "mean wait (ms)") == doctest::Approx(2.0));

  // E[S^2] from the declaration: mean 1 ms, cv 1.5, so P-K gives 0.7 x 3.25 / 0.6 ms.
  const Json mg1 = analyze(scenario("mg1-lognormal.json"));
  expect_rows_agree(mg1, "server", "M/G/1", 5);
  CHECK(theory_of(station(mg1, "server"), "mean wait (ms)") == doctest::Approx(0.7 * 3.25 / 0.6));
}

TEST_CASE("analyze: a finite queue is M/M/c/K with its blocking probability") {
  const Json doc = analyze(scenario("bounded-queue-mmck.json"));
  expect_rows_agree(doc, "pool", "M/M/4/10", 6);
  CHECK(theory_of(station(doc, "pool"), "blocking probability") == doctest::Approx(0.1559).epsilon(0.001));
  // Offered utilization is printed beside: lambda E[S] / c = 1.1.
  CHECK(station(doc, "pool")["offered_utilization"].get<double>() == doctest::Approx(1.1));
}

TEST_CASE("analyze: a tandem of forwards is an open Jackson network, a closed loop is exact MVA") {
  const Json tandem = analyze(scenario("tandem-three-stations.json"));
  for (const char* name : {"station-1", "station-2", "station-3"}) expect_rows_agree(tandem, name, "Jackson M/M/1", 5);
  CHECK(tandem["system"]["model"] == "open Jackson network");
  REQUIRE(tandem["system"]["rows"].size() == 1);
  CHECK(tandem["system"]["rows"][0]["theory"].get<double>() == doctest::Approx(2.5 + 5 + 1 / 0.65));
  CHECK(tandem["system"]["rows"][0]["within_noise"] == true);

  const Json closed = analyze(scenario("closed-network-mva.json"));
  for (const char* name : {"station-1", "station-2", "station-3"}) expect_rows_agree(closed, name, "MVA M/M/1", 5);
  CHECK(closed["system"]["model"] == "exact MVA, 12 users");
  REQUIRE(closed["system"]["rows"].size() == 2);
  for (const auto& r : closed["system"]["rows"]) CHECK(r["within_noise"] == true);
  CHECK(closed["system"]["rows"][1]["theory"].get<double>() == doctest::Approx(813.7).epsilon(0.001));
}

TEST_CASE("analyze: where theory does not apply it says why and prints no theory row") {
  const auto o = run({"analyze", scenario("closed-loop-interactive.json"), "--duration", "60s"});
  INFO(o.err);
  REQUIRE(o.code == 0);
  CHECK(contains(o.out, "app · 2 x 4 workers"));
  CHECK(contains(o.out, "theory does not apply: load balancer lb picks replicas by least_connections"));
  CHECK(contains(o.out, "a worker stays held while it waits on its call to db (not product form"));
  CHECK(contains(o.out, "theory does not apply: arrivals are the calls of app"));
  CHECK(contains(o.out, "utilization law X E[S] / c"));
  CHECK(contains(o.out, "Little's law: L = "));
  CHECK_FALSE(contains(o.out, "mean wait (ms)"));

  // Evenly spaced arrivals are not Poisson: utilization only.
  const Json constant = analyze(scenario("mm1.json"), {"--set", "workloads[0].arrival.type=constant"});
  const Json& s = station(constant, "server");
  CHECK(contains(s["reason"].get<std::string>(), "evenly spaced requests, not a Poisson stream"));
  CHECK(s["rows"].empty());
  CHECK(s["offered_utilization"].get<double>() == doctest::Approx(0.8));

  // A schedule's rate, or one a closed loop sets beside open traffic, is not
  // known: no utilization is made up from it.
  const std::string mixed = R"({ "name": "mix", "duration_s": 30, "warmup_s": 1,
    "workloads": [ { "name": "a", "target": "s", "arrival": { "type": "poisson", "rate_qps": 100 } },
      { "name": "b", "target": "s",
        "arrival": { "type": "closed", "users": 3, "think_time": { "type": "exponential", "mean_ms": 10 } } } ],
    "components": [ { "type": "service", "name": "s", "service_time": { "type": "exponential", "mean_ms": 1 } } ] })";
  const auto o2 = run({"analyze", "-", "--json", "-"}, mixed);
  REQUIRE(o2.code == 0);
  const Json doc = Json::parse(o2.out);
  const Json& mixed_station = station(doc, "s");
  CHECK(contains(mixed_station["reason"].get<std::string>(), "workload b is a closed loop of users"));
  CHECK(mixed_station["arrival_rate_qps"].is_null());
  CHECK(mixed_station["offered_utilization"].is_null());
  CHECK(contains(doc["scenario_reasons"][0].get<std::string>(), "closed workloads beside other workloads"));
}

TEST_CASE("analyze: round robin over replicas is flagged, and the simulated wait is below theory's, beyond the noise") {
  const std::string text = R"({ "name": "rr", "duration_s": 200, "warmup_s": 10,
    "workloads": [ { "name": "clients", "target": "lb", "arrival": { "type": "poisson", "rate_qps": 3200 } } ],
    "components": [
      { "type": "load_balancer", "name": "lb", "backend": "web", "policy": "POLICY" },
      { "type": "service", "name": "web", "replicas": 4, "workers": 1,
        "service_time": { "type": "exponential", "mean_ms": 1 } } ] })";
  auto with_policy = [&](const std::string& policy) {
    std::string s = text;
    s.replace(s.find("POLICY"), 6, policy);
    const auto o = run({"analyze", "-", "--json", "-"}, s);
    INFO(o.err);
    REQUIRE(o.code == 0);
    return Json::parse(o.out);
  };
  // Random splitting keeps each replica's arrivals Poisson: M/M/1 per replica.
  expect_rows_agree(with_policy("random"), "web", "M/M/1 per replica", 5);

  const Json rr = with_policy("round_robin");
  const Json& s = station(rr, "web");
  CHECK(contains(s["caveat"].get<std::string>(), "theory overestimates the wait"));
  for (const auto& r : s["rows"]) {
    if (r["figure"] != "mean wait (ms)") continue;
    CHECK(r["within_noise"] == false);
    CHECK(r["simulated"].get<double>() < r["theory"].get<double>());
    CHECK(contains(r["note"].get<std::string>(), "round robin"));
  }
}

TEST_CASE("analyze: bad input is refused with a clear message") {
  {
    const auto o = run({"analyze", "no-such-file.json"});
    CHECK(o.code == 2);
    CHECK(contains(o.err, "cannot read no-such-file.json"));
    CHECK(o.out.empty());
  }
  {
    const auto o = run({"analyze"});
    CHECK(o.code == 2);
    CHECK(contains(o.err, "missing the scenario FILE"));
  }
  {
    const auto o = run({"analyze", "-"}, R"({"workloads": [], "components": []})");
    CHECK(o.code == 1);
  }
  {
    const auto o = run({"analyze", scenario("mm1.json"), "--duration", "5s"});
    CHECK(o.code == 2);
    CHECK(contains(o.err, "not longer than the scenario's warmup_s"));
  }
  {
    const auto o = run({"analyze", scenario("mm1.json"), "--replications", "3"});
    CHECK(o.code == 2);
    CHECK(contains(o.err, "unknown option --replications"));
  }
  {
    const auto o = run({"analyze", "--help"});
    CHECK(o.code == 0);
    CHECK(contains(o.out, "--json"));
  }
}

TEST_CASE("run --theory puts after the report exactly what analyze prints, and nothing with --json -") {
  const std::string file = (archsim::test_cli::source_dir() / "scenarios" / "mm1.json").string();
  const auto analyzed = run({"analyze", file, "--duration", "30s"});
  const auto ran = run({"run", file, "--duration", "30s", "--theory"});
  REQUIRE(analyzed.code == 0);
  REQUIRE(ran.code == 0);
  const std::size_t at = ran.out.find("theory beside the simulation");
  REQUIRE(at != std::string::npos);
  CHECK(ran.out.substr(at) == analyzed.out);
  CHECK(contains(ran.out.substr(0, at), "Bottleneck: server"));
  const auto as_json = run({"run", file, "--duration", "30s", "--theory", "--json", "-"});
  CHECK(as_json.code == 0);
  CHECK(!contains(as_json.out, "theory beside the simulation"));
}

TEST_CASE("run --theory with --replications is refused, not ignored") {
  const std::string file = (archsim::test_cli::source_dir() / "scenarios" / "mm1.json").string();
  const auto o = run({"run", file, "--theory", "--replications", "3"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "--theory compares one run with theory; it does not combine with --replications"));
}
