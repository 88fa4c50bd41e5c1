// Mistakes in the options of every command get archsim's own messages: which
// option, what was expected, what was found, and for an unknown option the
// closest of the command's options. Each is a usage problem (exit 2) and
// ends with the line pointing to the command's help.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "tests/cli/cli_helpers.h"

namespace {

using namespace archsim::test_cli;

// What `archsim ARGS...` prints on standard error for a usage problem of COMMAND.
std::string usage_problem(const std::string& command, const std::string& message) {
  return "archsim " + command + ": " + message + "\n(see archsim " + command + " --help)\n";
}

struct Case {
  std::vector<std::string> args;
  std::string message;
};

void check_cases(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    std::string line;
    for (const auto& a : c.args) line += a + " ";
    CAPTURE(line);
    const Outcome o = run(c.args);
    CHECK(o.code == archsim::cli::kExitUsage);
    CHECK(o.out.empty());
    CHECK(o.err == usage_problem(c.args[0], c.message));
  }
}

const char* kSeed = "expected a whole number from 0 to 9007199254740991 (2^53 - 1)";
const char* kDuration = "expected a positive time such as 60s, 500ms, 2m or 1h, at most a year";
const char* kSet = "expected an assignment PATH=VALUE such as components.web.workers=16";

}  // namespace

TEST_CASE("an unknown option suggests the closest option of the same command") {
  TempDir dir("options");
  const auto file = dir.write("small.json", small_scenario().dump());
  check_cases({
      {{"run", file, "--sed", "3"}, "unknown option --sed; did you mean --seed?"},
      {{"run", file, "--durations", "3s"}, "unknown option --durations; did you mean --duration?"},
      {{"run", file, "--jsn", "out.json"}, "unknown option --jsn; did you mean --json?"},
      {{"run", file, "--cvs", "out"}, "unknown option --cvs; did you mean --csv?"},
      {{"run", file, "--quite"}, "unknown option --quite; did you mean --quiet?"},
      {{"run", file, "--sett", "seed=3"}, "unknown option --sett; did you mean --set?"},
      {{"run", file, "--bogus"}, "unknown option --bogus"},
      {{"run", file, "--print"}, "unknown option --print"},
      {{"validate", file, "--prnt"}, "unknown option --prnt; did you mean --print?"},
      {{"validate", file, "--seed", "3"}, "unknown option --seed; did you mean --set?"},
      {{"describe", "--markdwn"}, "unknown option --markdwn; did you mean --markdown?"},
      {{"describe", "--verbose"}, "unknown option --verbose"},
      {{"schema", "--hlep"}, "unknown option --hlep; did you mean --help?"},
      {{"run", file, "-s", "3"}, "unknown option -s"},
      {{"run", file, "--sed=3"}, "unknown option --sed; did you mean --seed?"},
  });
}

TEST_CASE("an option's value that cannot be read says what was expected and what was found") {
  TempDir dir("options");
  const auto file = dir.write("small.json", small_scenario().dump());
  check_cases({
      {{"run", file, "--seed", "-1"}, std::string("--seed: ") + kSeed + ", got \"-1\""},
      {{"run", file, "--seed", "lots"}, std::string("--seed: ") + kSeed + ", got \"lots\""},
      {{"run", file, "--seed", "3.5"}, std::string("--seed: ") + kSeed + ", got \"3.5\""},
      {{"run", file, "--seed", "+3"}, std::string("--seed: ") + kSeed + ", got \"+3\""},
      {{"run", file, "--seed", "99999999999999999999999"},
       std::string("--seed: ") + kSeed + ", got \"99999999999999999999999\""},
      {{"run", file, "--seed=x"}, std::string("--seed: ") + kSeed + ", got \"x\""},
      {{"run", file, "--duration", "abc"}, std::string("--duration: ") + kDuration + ", got \"abc\""},
      {{"run", file, "--duration=-1s"}, std::string("--duration: ") + kDuration + ", got \"-1s\""},
      {{"run", file, "--quiet=yes"}, "--quiet: expected no value, got \"yes\""},
      {{"validate", file, "--print=1"}, "--print: expected no value, got \"1\""},
      {{"describe", "--markdown=yes"}, "--markdown: expected no value, got \"yes\""},
      {{"schema", "--help=1"}, "--help: expected no value, got \"1\""},
      {{"run", file, "--json="}, "--json: expected a file name, or - for standard output, got \"\""},
      {{"run", file, "--csv", ""}, "--csv: expected a directory, got \"\""},
  });
}

TEST_CASE("an option missing its value says so, at the end of the line or before another option") {
  TempDir dir("options");
  const auto file = dir.write("small.json", small_scenario().dump());
  check_cases({
      {{"run", file, "--seed"}, std::string("--seed: ") + kSeed + ", got nothing"},
      {{"run", file, "--duration"}, std::string("--duration: ") + kDuration + ", got nothing"},
      {{"run", file, "--set"}, std::string("--set: ") + kSet + ", got nothing"},
      {{"run", file, "--json"}, "--json: expected a file name, or - for standard output, got nothing"},
      {{"run", file, "--csv"}, "--csv: expected a directory, got nothing"},
      {{"validate", file, "--set"}, std::string("--set: ") + kSet + ", got nothing"},
      {{"run", file, "--seed", "--quiet"}, std::string("--seed: ") + kSeed + ", got the option --quiet"},
      {{"run", file, "--json", "--quiet"}, "--json: expected a file name, or - for standard output, got the option --quiet"},
  });
}

TEST_CASE("an option that takes one value is refused twice; --set may repeat") {
  TempDir dir("options");
  const auto file = dir.write("small.json", small_scenario().dump());
  check_cases({
      {{"run", file, "--seed", "1", "--seed", "2"}, "--seed: given more than once; it takes one value"},
      {{"run", file, "--duration=2s", "--duration", "3s"}, "--duration: given more than once; it takes one value"},
      {{"run", file, "--quiet", "--quiet"}, "--quiet: given more than once; it takes one value"},
  });
  const Outcome o = run({"run", file, "--set", "seed=3", "--set", "duration_s=2", "--json", "-"});
  CHECK(o.code == 0);
  const auto r = archsim::spec::Json::parse(o.out);
  CHECK(r["seed"] == 3);
  CHECK(r["duration_s"] == 2);
}

TEST_CASE("arguments beyond those a command takes are refused, not ignored") {
  TempDir dir("options");
  const auto a = dir.write("a.json", small_scenario().dump());
  const auto b = dir.write("b.json", small_scenario().dump());
  check_cases({
      {{"run", a, b}, "expected one scenario FILE, got 2: " + a + ", " + b},
      {{"describe", "service", "workload"}, "expected at most one WHAT, got 2: service, workload"},
      {{"schema", "extra"}, "takes no arguments, got \"extra\""},
  });
}

TEST_CASE("run --csv - is refused before the run: the CSV output is three files, not one stream") {
  TempDir dir("options");
  const auto file = dir.write("small.json", small_scenario().dump());
  check_cases({{{"run", file, "--csv", "-"},
                "--csv: expected a directory, got \"-\"; the CSV output is three files (timeseries.csv, "
                "components.csv, operations.csv), so it cannot go to standard output: give a directory such as "
                "--csv out, or use --json - for the results on standard output"}});
  CHECK(!std::filesystem::exists("-"));
}
