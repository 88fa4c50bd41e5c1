// `--set PATH=VALUE`: changes a scenario field before validation. The path is
// written as in error messages (`components[1].workers`), or with a named
// item (`components.web.workers`); the value is read as JSON, else taken as a
// string; the result is validated exactly like the file.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli/commands.h"
#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;

// The results of `archsim run FILE --json - --quiet` with the given options.
Json run_json(const std::string& file, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"run", file, "--json", "-", "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  const Outcome o = run(args);
  REQUIRE(o.code == 0);
  return Json::parse(o.out);
}

// The completed scenario printed by `archsim validate FILE --print --set ...`.
Json printed(const std::string& file, const std::vector<std::string>& sets) {
  std::vector<std::string> args = {"validate", file, "--print"};
  for (const auto& s : sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  const Outcome o = run(args);
  REQUIRE(o.code == 0);
  return Json::parse(o.out);
}

}  // namespace

TEST_CASE("--set by index changes the run") {
  TempDir dir("set");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Json before = run_json(file);
  const Json after = run_json(file, {"--set", "components[1].workers=1"});
  CHECK(before["components"]["db-primary"]["workers"] == 8);
  CHECK(after["components"]["db-primary"]["workers"] == 1);
  // One database worker instead of eight: requests queue there.
  CHECK(after["components"]["db-primary"]["queue_length"]["mean"].get<double>() >
        before["components"]["db-primary"]["queue_length"]["mean"].get<double>());
  CHECK(after["summary"]["latency_ms"]["mean"].get<double>() > before["summary"]["latency_ms"]["mean"].get<double>());
}

TEST_CASE("--set by name is the same as --set by index") {
  TempDir dir("set");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Json by_index = run_json(file, {"--set", "components[0].workers=4"});
  const Json by_name = run_json(file, {"--set", "components.web.workers=4"});
  const Json by_quoted_name = run_json(file, {"--set", "components[\"web\"].workers=4"});
  CHECK(by_index["components"]["web"]["workers"] == 4);
  CHECK(without_arguments(by_name).dump() == without_arguments(by_index).dump());
  CHECK(without_arguments(by_quoted_name).dump() == without_arguments(by_index).dump());
  CHECK(without_arguments(by_name).dump() != without_arguments(run_json(file)).dump());
  // The results still record which words asked for them.
  CHECK(by_name["run"]["overrides"] == Json::array({"components.web.workers=4"}));
  CHECK(by_index["run"]["overrides"] == Json::array({"components[0].workers=4"}));
}

TEST_CASE("--set values are read as JSON: numbers, objects and arrays keep their type") {
  TempDir dir("set");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Json s = printed(file, {"components.db-primary.workers=3", "duration_s=2.5",
                                "components.web.service_time={\"type\":\"constant\",\"value_ms\":0.5}",
                                "workloads[0].operations=[{\"name\":\"read\"},{\"name\":\"write\",\"weight\":3},{\"name\":\"browse\"}]"});
  CHECK(s["components"][1]["workers"].is_number_integer());
  CHECK(s["components"][1]["workers"] == 3);
  CHECK(s["duration_s"] == 2.5);
  CHECK(s["components"][0]["service_time"] == Json{{"type", "constant"}, {"value_ms", 0.5}});
  // The array was validated and completed with defaults like one in the file.
  // (browse has no handler: web serves it with the service_time just set.)
  CHECK(s["workloads"][0]["operations"] ==
        Json::parse(R"([{"name":"read","weight":1,"access":"read"},{"name":"write","weight":3,"access":"read"},{"name":"browse","weight":1,"access":"read"}])"));
}

TEST_CASE("--set values that are not JSON are taken as strings; quoted JSON strings too") {
  TempDir dir("set");
  const auto file = dir.write("small.json", small_scenario().dump());
  CHECK(printed(file, {"name=hello world"})["name"] == "hello world");
  CHECK(printed(file, {"name=\"42\""})["name"] == "42");
  CHECK(printed(file, {"components[1].handlers.select[0].compute.type=constant",
                       "components[1].handlers.select[0].compute={\"type\":\"constant\",\"value_ms\":1}"})
            ["components"][1]["handlers"]["select"][0]["compute"]["value_ms"] == 1);
}

TEST_CASE("--set overrides apply in order: the last one wins") {
  TempDir dir("set");
  const auto file = dir.write("small.json", small_scenario().dump());
  CHECK(printed(file, {"components.web.workers=3", "components[0].workers=5"})["components"][0]["workers"] == 5);
}

TEST_CASE("--set seed changes the run's seed and its numbers") {
  TempDir dir("set");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Json a = run_json(file, {"--set", "seed=99"});
  CHECK(a["seed"] == 99);
  // Counts alone may coincide between two seeds; the whole summary, with its
  // latency figures, does not.
  CHECK(a["summary"].dump() != run_json(file)["summary"].dump());
}

TEST_CASE("an invalid --set value is validated like the file: its JSON path, exit 1, nothing run") {
  TempDir dir("set");
  const auto file = dir.write("small.json", small_scenario().dump());
  Outcome o = run({"run", file, "--set", "components.web.workers=-4"});
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.out.empty());
  CHECK(o.err == file + ": components[0].workers: must be an integer of at least 1, got -4\n1 problem; nothing was run\n");

  o = run({"validate", file, "--set", "components[0].workers=many"});
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.err == file + ": components[0].workers: must be an integer, got a string \"many\"\n1 problem; nothing was run\n");

  o = run({"validate", file, "--set", "components.web.policy=round_robin"});
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.err == file + ": components[0]: unknown key \"policy\"\n1 problem; nothing was run\n");
}

TEST_CASE("a --set path into nothing is refused with a clear message naming the assignment") {
  TempDir dir("set");
  const auto file = dir.write("small.json", small_scenario().dump());
  struct Case {
    std::string assignment;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"components.nosuch.workers=3", "components: no item \"nosuch\" in the array"},
      {"components[5].workers=3", "components: no item \"5\" in the array"},
      {"components[0].handlers.read[7].call=web", "components[0].handlers.read: no item \"7\" in the array"},
      {"name[0]=x", "name: is not an array"},
      {"components[0].name.first=x", "components[0].name: is not an object"},
      {"workers", "expected PATH=VALUE, got \"workers\""},
      {"=4", "expected PATH=VALUE, got \"=4\""},
      {"components[0=4", "unbalanced [ in path \"components[0\""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.assignment);
    const Outcome o = run({"validate", file, "--set", c.assignment});
    CHECK(o.code == archsim::cli::kExitInvalidScenario);
    CHECK(o.out.empty());
    CHECK(o.err == file + ": --set " + c.assignment + ": " + c.message + "\n1 problem; nothing was run\n");
  }
}

TEST_CASE("a --set path to a key that does not exist yet adds it, and validation reports it if unknown") {
  TempDir dir("set");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Outcome o = run({"validate", file, "--set", "workloads[0].arrival.burst.size=1"});
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.err == file + ": workloads[0].arrival: unknown key \"burst\"\n1 problem; nothing was run\n");
  // A known optional key is simply added.
  CHECK(printed(file, {"workloads[0].timeout_ms=250"})["workloads"][0]["timeout_ms"] == 250);
}

TEST_CASE("every bad --set is reported at once") {
  TempDir dir("set");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Outcome o = run({"validate", file, "--set", "components.nosuch.workers=3", "--set", "name[0]=x"});
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.err == file + ": --set components.nosuch.workers=3: components: no item \"nosuch\" in the array\n" + file +
                     ": --set name[0]=x: name: is not an array\n2 problems; nothing was run\n");
}

TEST_CASE("a --set index too large for any array is refused, not a crash") {
  const auto o = run({"validate", (source_dir() / "scenarios" / "mm1.json").string(), "--set",
                      "components[99999999999999999999999].workers=3"});
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.err.find("no item \"99999999999999999999999\" in the array") != std::string::npos);
}

TEST_CASE("a --set path with an empty key is refused") {
  const auto o = run({"validate", (source_dir() / "scenarios" / "mm1.json").string(), "--set", "components..workers=3"});
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.err.find("empty key in path \"components..workers\"") != std::string::npos);
}
