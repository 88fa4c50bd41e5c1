// Common random numbers: every component draws from its own stream, derived
// from (seed, component name), so adding a component that nothing calls
// leaves every other component's draws, and so every other result, unchanged.
// Designs compared under one seed then see the same traffic.
#include <doctest/doctest.h>

#include "models/simulation/series.h"

#include <string>

#include "tests/scenarios/scenario_runs.h"

namespace {

using namespace archsim::test_scenarios;

// scenarios/web-and-database.json with one more component that nothing calls.
Json with_unused(Json config, const Json& component, bool first) {
  auto& components = config["components"];
  if (first) components.insert(components.begin(), component);
  else components.push_back(component);
  return config;
}

}  // namespace

TEST_CASE("adding a component that nothing calls does not change the other components' results") {
  const auto file = source_dir() / "scenarios/web-and-database.json";
  const auto base = load(file);
  const Json before = run(base);

  const Json spare = Json::parse(R"({
    "type": "service", "name": "search", "workers": 4,
    "service_time": { "type": "exponential", "mean_ms": 5 }
  })");
  for (const bool first : {false, true}) {
    CAPTURE(first);  // placed before the others too: position must not matter either
    const Json after = run(load_json(with_unused(base.config, spare, first)));
    CHECK(after["components"].contains("search"));
    CHECK(after["components"]["search"]["arrivals"] == 0);
    CHECK(after["summary"].dump() == before["summary"].dump());
    CHECK(after["operations"].dump() == before["operations"].dump());
    CHECK(after["workloads"].dump() == before["workloads"].dump());
    for (const char* name : {"web", "db"}) {
      CAPTURE(name);
      CHECK(after["components"][name].dump() == before["components"][name].dump());
    }
    CHECK(archsim::models::series_column(after, "latency_mean_ms").dump() == archsim::models::series_column(before, "latency_mean_ms").dump());
  }
}

TEST_CASE("adding an unused load balancer in front of an unused pool changes nothing else either") {
  const auto file = source_dir() / "scenarios/web-and-database.json";
  const auto base = load(file);
  const Json before = run(base);
  Json config = base.config;
  config["components"].push_back(Json::parse(
      R"({ "type": "load_balancer", "name": "spare-lb", "backend": "spare", "policy": "random" })"));
  config["components"].push_back(Json::parse(R"({
    "type": "service", "name": "spare", "replicas": 3,
    "service_time": { "type": "lognormal", "mean_ms": 5, "cv": 2 }
  })"));
  const Json after = run(load_json(config));
  CHECK(after["summary"].dump() == before["summary"].dump());
  CHECK(after["components"]["web"].dump() == before["components"]["web"].dump());
  CHECK(after["components"]["db"].dump() == before["components"]["db"].dump());
}

TEST_CASE("changing one component leaves the traffic the workload sends unchanged") {
  // Same seed, a faster database: the users' arrivals and operation mix are
  // the same draws, so the offered counts are identical.
  const auto file = source_dir() / "scenarios/web-and-database.json";
  const Json before = run(load(file));
  const Json after = run(load(file, {"components.db.workers=16"}));
  CHECK(after["summary"]["offered"] == before["summary"]["offered"]);
  for (const char* op : {"read", "write"}) {
    CAPTURE(op);
    CHECK(after["operations"][op]["offered"] == before["operations"][op]["offered"]);
  }
  CHECK(after["components"]["db"].dump() != before["components"]["db"].dump());
}
