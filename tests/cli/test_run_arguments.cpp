// The results record how the run was asked for: run.arguments (the scenario
// FILE as named, --seed, --duration, each --set, in that order) and
// run.overrides (the --set assignments), and the report's header shows them.
// Where the results go is not recorded, so the same run written to two
// places gives identical bytes.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli/commands.h"
#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;

Json run_json(std::vector<std::string> args) {
  args.insert(args.begin(), "run");
  args.insert(args.end(), {"--json", "-"});
  const Outcome o = run(args);
  REQUIRE(o.code == 0);
  return Json::parse(o.out);
}

}  // namespace

TEST_CASE("run.arguments holds the arguments that shape the results, in a fixed order") {
  TempDir dir("arguments");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Json r = run_json({"--set", "components.web.workers=4", "--quiet", file, "--duration", "3s", "--set",
                           "components.web.workers=5", "--seed=12"});
  CHECK(r["run"]["arguments"] == Json::array({file, "--seed", "12", "--duration", "3s", "--set",
                                              "components.web.workers=4", "--set", "components.web.workers=5"}));
  CHECK(r["run"]["overrides"] == Json::array({"components.web.workers=4", "components.web.workers=5"}));
  CHECK(r["components"]["web"]["workers"] == 5);  // the later --set wins, so their order is kept

  // Appended to "run", after the fields it had before.
  std::vector<std::string> keys;
  for (const auto& [key, _] : r["run"].items()) keys.push_back(key);
  REQUIRE(keys.size() >= 2);
  CHECK(keys[keys.size() - 2] == "arguments");
  CHECK(keys.back() == "overrides");

  const Json plain = run_json({file});
  CHECK(plain["run"]["arguments"] == Json::array({file}));
  CHECK(plain["run"]["overrides"] == Json::array());
}

TEST_CASE("archsim run with the recorded arguments repeats the run byte for byte") {
  TempDir dir("arguments");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Json first = run_json({file, "--seed", "3", "--set", "components[1].workers=2", "--duration", "4s"});
  std::vector<std::string> again;
  for (const auto& argument : first["run"]["arguments"]) again.push_back(argument.get<std::string>());
  CHECK(run_json(again).dump() == first.dump());
}

TEST_CASE("the same run written to two places, or with --quiet or --csv, gives identical bytes") {
  TempDir dir("arguments");
  const auto file = dir.write("small.json", small_scenario().dump());
  REQUIRE(run({"run", file, "--seed", "5", "--json", dir.file("a.json")}).code == 0);
  REQUIRE(run({"run", "--quiet", file, "--json", dir.file("b.json"), "--csv", dir.file("csv"), "--seed", "5"}).code == 0);
  const std::string a = read_file(dir.file("a.json"));
  CHECK(!a.empty());
  CHECK(a == read_file(dir.file("b.json")));
  CHECK(a == run({"run", file, "--seed=5", "--json", "-"}).out);
}

TEST_CASE("the report's header shows the command that repeats the run, quoted for a shell") {
  TempDir dir("arguments");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Outcome o = run({"run", file, "--seed", "5", "--set", "components[0].workers=4", "--set", "name=it's"});
  REQUIRE(o.code == 0);
  CHECK(o.out.rfind("archsim 0.1.0 · scenario \"it's\" · seed 5\n"
                    "command: archsim run " +
                        file + " --seed 5 --set 'components[0].workers=4' --set 'name=it'\\''s'\n"
                               "simulated 5.00 s ",
                    0) == 0);
  const Outcome plain = run({"run", file});
  CHECK(plain.out.rfind("archsim 0.1.0 · scenario \"small\" · seed 7\ncommand: archsim run " + file + "\n", 0) == 0);
}
