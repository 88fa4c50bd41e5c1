// `archsim validate FILE...` checks every file named, alone and with the
// same --set overrides: each gets its problems or `FILE: valid`, and a last
// line names the files that failed.
#include <doctest/doctest.h>

#include <string>

#include "cli/commands.h"
#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;

}  // namespace

TEST_CASE("validate checks every file named and names those with problems") {
  TempDir dir("validate");
  const auto a = dir.write("a.json", small_scenario().dump());
  Json broken = small_scenario();
  broken["components"][0]["workers"] = -4;
  const auto b = dir.write("b.json", broken.dump());
  Json twice_broken = small_scenario();
  twice_broken["components"][1]["workers"] = 0;
  twice_broken["duration_s"] = -1;
  const auto c = dir.write("c.json", twice_broken.dump());

  const Outcome o = run({"validate", a, b, c});
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.out == a + ": valid\n");
  CHECK(o.err == b + ": components[0].workers: must be an integer of at least 1, got -4\n"
                     "1 problem; nothing was run\n" +
                     c + ": duration_s: must be a number greater than 0, got -1\n" + c +
                     ": components[1].workers: must be an integer of at least 1, got 0\n"
                     "2 problems; nothing was run\n"
                     "2 of 3 files have problems: " +
                     b + ", " + c + "\n");

  // The order of the files is the order of the report; one failure is "has".
  const Outcome one = run({"validate", b, a});
  CHECK(one.code == archsim::cli::kExitInvalidScenario);
  CHECK(one.out == a + ": valid\n");
  CHECK(one.err == b + ": components[0].workers: must be an integer of at least 1, got -4\n"
                       "1 problem; nothing was run\n"
                       "1 of 2 files has problems: " +
                       b + "\n");
}

TEST_CASE("validate of several valid files prints each as valid and exits 0") {
  TempDir dir("validate");
  const auto a = dir.write("a.json", small_scenario().dump());
  const auto b = dir.write("b.json", balanced_scenario().dump());
  const Outcome o = run({"validate", a, b, "-"}, balanced_scenario().dump());
  CHECK(o.code == 0);
  CHECK(o.out == a + ": valid\n" + b + ": valid\n<stdin>: valid\n");
  CHECK(o.err.empty());
}

TEST_CASE("validate of one file prints no summary line, as before") {
  TempDir dir("validate");
  Json broken = small_scenario();
  broken["components"][0]["workers"] = -4;
  const auto b = dir.write("b.json", broken.dump());
  const Outcome o = run({"validate", b});
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.err == b + ": components[0].workers: must be an integer of at least 1, got -4\n1 problem; nothing was run\n");
}

TEST_CASE("validate applies each --set to every file") {
  TempDir dir("validate");
  const auto a = dir.write("a.json", small_scenario().dump());
  const auto b = dir.write("b.json", small_scenario().dump());
  const Outcome o = run({"validate", a, b, "--set", "components[0].workers=0"});
  CHECK(o.code == archsim::cli::kExitInvalidScenario);
  CHECK(o.out.empty());
  CHECK(o.err.find("2 of 2 files have problems: " + a + ", " + b + "\n") != std::string::npos);
}

TEST_CASE("validate: a file that cannot be read counts as a problem, and the exit code is 2") {
  TempDir dir("validate");
  const auto a = dir.write("a.json", small_scenario().dump());
  const auto missing = dir.file("missing.json");
  Json broken = small_scenario();
  broken["components"][0]["workers"] = -4;
  const auto b = dir.write("b.json", broken.dump());
  const Outcome o = run({"validate", missing, a, b});
  CHECK(o.code == archsim::cli::kExitUsage);
  CHECK(o.out == a + ": valid\n");
  CHECK(o.err.rfind("archsim: cannot read " + missing + "\n", 0) == 0);
  CHECK(o.err.find("\n2 of 3 files have problems: " + missing + ", " + b + "\n") != std::string::npos);
}

TEST_CASE("validate --print takes one file; standard input may be named once") {
  TempDir dir("validate");
  const auto a = dir.write("a.json", small_scenario().dump());
  const auto b = dir.write("b.json", balanced_scenario().dump());
  const Outcome p = run({"validate", "--print", a, b});
  CHECK(p.code == archsim::cli::kExitUsage);
  CHECK(p.out.empty());
  CHECK(p.err == "archsim validate: --print: expected one FILE, got 2; the completed scenario is one JSON document, "
                 "so print one file at a time\n(see archsim validate --help)\n");
  const Outcome s = run({"validate", "-", a, "-"});
  CHECK(s.code == archsim::cli::kExitUsage);
  CHECK(s.err == "archsim validate: - (standard input) is named more than once; it can be read only once\n"
                 "(see archsim validate --help)\n");
}
