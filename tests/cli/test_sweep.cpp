// archsim sweep and merge: a grid's rows in order, with intervals when
// replications are asked; slices run through GNU parallel and merged to the
// bytes of the unsharded sweep; and every refusal of bad input: a path the
// scenario does not have, a list or range that does not parse, a shard out
// of range, slices of different sweeps, a metric that is not in the results.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;

std::string small_file(const TempDir& dir) {
  Json scenario = small_scenario();
  scenario["duration_s"] = 2;
  scenario["warmup_s"] = 0.5;
  return dir.write("small.json", scenario.dump());
}

const std::vector<std::string> kGrid = {"--vary", "components.web.workers=1,2,4", "--vary",
                                        "workloads.users.arrival.rate_qps=100..200:100"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST_CASE("a sweep has one row per point of the grid, the first --vary outermost") {
  TempDir dir("sweep-grid");
  const std::string file = small_file(dir);
  const auto o = run(with({"sweep", file}, kGrid));
  REQUIRE(o.code == 0);
  CHECK(count_lines(o.out) == 7);
  CHECK(o.out.rfind("components.web.workers,workloads.users.arrival.rate_qps,throughput_qps,p99_ms,success_ratio\n", 0) ==
        0);
  std::vector<std::string> starts;
  std::size_t at = o.out.find('\n') + 1;
  while (at < o.out.size()) {
    const std::size_t end = o.out.find('\n', at);
    const std::string line = o.out.substr(at, end - at);
    starts.push_back(line.substr(0, line.find(',', line.find(',') + 1)));
    at = end + 1;
  }
  CHECK(starts == std::vector<std::string>{"1,100", "1,200", "2,100", "2,200", "4,100", "4,200"});
  // Each row is the run of its point: the same figures as archsim run with its --set.
  const auto json = run(with({"sweep", file, "--json", "-", "--metric", "components.web.utilization"}, kGrid));
  REQUIRE(json.code == 0);
  const Json table = Json::parse(json.out);
  CHECK(table["rows"].size() == 6);
  CHECK(table["rows"][3]["point"] == 3);
  CHECK(table["rows"][3]["values"]["components.web.workers"] == 2);
  CHECK(table["rows"][3]["values"]["workloads.users.arrival.rate_qps"] == 200);
  const auto single = run({"run", file, "--set", "components.web.workers=2", "--set",
                           "workloads.users.arrival.rate_qps=200", "--json", "-"});
  CHECK(table["rows"][3]["metrics"]["components.web.utilization"] ==
        Json::parse(single.out)["components"]["web"]["utilization"]);
}

TEST_CASE("a sweep with replications gives each metric's mean and interval") {
  TempDir dir("sweep-replications");
  const std::string file = small_file(dir);
  const auto o = run({"sweep", file, "--vary", "components.web.workers=2,4", "--replications", "3", "--metric",
                      "p99_ms", "--jobs", "2"});
  REQUIRE(o.code == 0);
  CHECK(o.out.rfind("components.web.workers,p99_ms,p99_ms_ci95\n", 0) == 0);
  CHECK(count_lines(o.out) == 3);
  const auto one = run({"sweep", file, "--vary", "components.web.workers=2,4", "--replications", "3", "--metric",
                        "p99_ms", "--jobs", "1"});
  CHECK(one.out == o.out);
}

TEST_CASE("ranges include their end when a step lands on it") {
  TempDir dir("sweep-range");
  const std::string file = small_file(dir);
  const auto o = run({"sweep", file, "--vary", "workloads.users.arrival.rate_qps=0.1..0.3:0.1", "--json", "-",
                      "--metric", "offered"});
  REQUIRE(o.code == 0);
  const Json table = Json::parse(o.out);
  CHECK(table["sweep"]["vary"][0]["values"] == Json::parse("[0.1, 0.2, 0.3]"));
}

TEST_CASE("sharded sweeps run through GNU parallel merge to the bytes of the unsharded sweep") {
  TempDir dir("sweep-shards");
  const std::string file = small_file(dir);
  const auto whole = run(with({"sweep", file, "--json", dir.file("whole.json"), "--csv", dir.file("whole.csv")}, kGrid));
  REQUIRE(whole.code == 0);
  REQUIRE_MESSAGE(std::system("command -v parallel > /dev/null") == 0,
                  "GNU parallel is missing: scripts/install-deps.sh installs it (Debian package parallel)");
  std::string command = "parallel --will-cite --halt now,fail=1 '" + std::string(ARCHSIM_BINARY) + "' sweep '" + file +
                        "'";
  for (const auto& arg : kGrid) command += " '" + arg + "'";
  command += " --jobs 1 --shard {}/4 --json '" + dir.file("slice-{}.json") + "' ::: 1 2 3 4";
  REQUIRE(std::system(command.c_str()) == 0);
  const auto merged = run({"merge", dir.file("slice-3.json"), dir.file("slice-1.json"), dir.file("slice-4.json"),
                           dir.file("slice-2.json"), "--json", dir.file("merged.json"), "--csv", dir.file("merged.csv")});
  REQUIRE(merged.code == 0);
  CHECK(read_file(dir.file("merged.json")) == read_file(dir.file("whole.json")));
  CHECK(read_file(dir.file("merged.csv")) == read_file(dir.file("whole.csv")));
  // A slice holds its points only: 6 points in 4 slices, point i in slice i mod 4 + 1.
  const Json slice = Json::parse(read_file(dir.file("slice-2.json")));
  CHECK(slice["shard"] == Json::parse(R"({"index": 2, "count": 4})"));
  CHECK(slice["rows"].size() == 2);
  CHECK(slice["rows"][0]["point"] == 1);
  CHECK(slice["rows"][1]["point"] == 5);
}

TEST_CASE("merge refuses slices of different sweeps, a missing or repeated slice, and other files") {
  TempDir dir("sweep-merge-bad");
  const std::string file = small_file(dir);
  const std::vector<std::string> vary = {"--vary", "components.web.workers=1,2"};
  REQUIRE(run(with({"sweep", file, "--shard", "1/2", "--json", dir.file("a1.json")}, vary)).code == 0);
  REQUIRE(run(with({"sweep", file, "--shard", "2/2", "--json", dir.file("a2.json")}, vary)).code == 0);
  REQUIRE(run({"sweep", file, "--vary", "components.web.workers=1,3", "--shard", "2/2", "--json", dir.file("b2.json")})
              .code == 0);
  auto o = run({"merge", dir.file("a1.json"), dir.file("b2.json")});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "archsim merge: " + dir.file("b2.json") + " is a slice of another sweep than " +
                            dir.file("a1.json")));
  o = run({"merge", dir.file("a1.json")});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "archsim merge: slice 2 of 2 missing; give every slice of the sweep"));
  o = run({"merge", dir.file("a1.json"), dir.file("a1.json")});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "are both slice 1 of 2"));
  const std::string results = dir.file("results.json");
  REQUIRE(run({"run", file, "--quiet", "--json", results}).code == 0);
  o = run({"merge", dir.file("a1.json"), results});
  CHECK(o.code == 2);
  CHECK(contains(o.err, results + ": not a slice of a sweep"));
  o = run({"merge", dir.write("junk.json", "{")});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "is not JSON"));
  o = run({"merge", dir.file("a1.json"), dir.file("a2.json")});
  CHECK(o.code == 0);
}

TEST_CASE("sweep refuses bad input before anything runs") {
  TempDir dir("sweep-bad");
  const std::string file = small_file(dir);
  auto o = run({"sweep", file, "--vary", "components.web.workerz=1,2"});
  CHECK(o.code == 1);
  CHECK(contains(o.err, "archsim sweep: at the point components.web.workerz=1:\n"));
  CHECK(contains(o.err, "unknown key \"workerz\"; did you mean \"workers\"?"));
  o = run({"sweep", file, "--vary", "components.webb.workers=1,2"});
  CHECK(o.code == 1);
  CHECK(contains(o.err, "no item \"webb\""));
  o = run({"sweep", file, "--vary", "components.web.workers=1,,2"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "archsim sweep: --vary components.web.workers: the list \"1,,2\" has an empty value"));
  o = run({"sweep", file, "--vary", "components.web.workers=1..x"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "the range \"1..x\" does not parse"));
  o = run({"sweep", file, "--vary", "components.web.workers=8..1"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "write it from the smaller value up"));
  o = run({"sweep", file, "--vary", "components.web.workers=1..8:0"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "needs a positive STEP"));
  o = run({"sweep", file, "--vary", "components.web.workers"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "expected PATH=LIST or PATH=FROM..TO[:STEP]"));
  o = run({"sweep", file, "--vary", "components.web.workers=1,2", "--vary", "components.web.workers=3"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "given twice"));
  o = run({"sweep", file});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "nothing to sweep"));
  o = run({"sweep", file, "--vary", "components.web.workers=1,2,3", "--shard", "4/3", "--json", dir.file("s.json")});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "--shard: the slice 4 is out of range: K goes from 1 to N (3), got \"4/3\""));
  o = run({"sweep", file, "--vary", "components.web.workers=1,2,3", "--shard", "0/3", "--json", dir.file("s.json")});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "out of range"));
  o = run({"sweep", file, "--vary", "components.web.workers=1,2,3", "--shard", "2/5", "--json", dir.file("s.json")});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "the sweep has 3 points; it cannot be cut into 5 slices"));
  o = run({"sweep", file, "--vary", "components.web.workers=1,2,3", "--shard", "one/3", "--json", dir.file("s.json")});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "expected K/N"));
  o = run({"sweep", file, "--vary", "components.web.workers=1,2,3", "--shard", "1/3"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "give --json FILE for this slice"));
  o = run({"sweep", file, "--vary", "components.web.workers=1,2", "--metric", "p99_mss"});
  CHECK(o.code == 2);
  CHECK(contains(o.err, "--metric \"p99_mss\": no figure \"p99_mss\" in the results; did you mean \"p99_ms\"?"));
  o = run({"sweep", file, "--vary", "components.web.workers=1,2", "--replications", "1"});
  CHECK(o.code == 2);
}

}  // namespace

namespace {

TEST_CASE("the analysis commands have their help, and the program's help lists them") {
  const auto program = run({"--help"});
  for (const char* command : {"sweep FILE", "merge SLICE...", "compare A B", "plan FILE"})
    CHECK(contains(program.out, command));
  const std::vector<std::pair<std::string, std::vector<std::string>>> commands = {
      {"sweep", {"--vary", "--metric", "--replications", "--jobs", "--shard", "--json", "--csv"}},
      {"merge", {"--json", "--csv"}},
      {"compare", {"--metric", "--replications", "--jobs", "--seed", "--json"}},
      {"plan", {"--vary", "--goal", "--largest", "--replications", "--json"}},
      {"run", {"--check", "--replications", "--jobs", "--warmup"}}};
  for (const auto& [command, options] : commands) {
    CAPTURE(command);
    const auto o = run({command, "--help"});
    CHECK(o.code == 0);
    for (const auto& option : options) CHECK(contains(o.out, option));
  }
}

}  // namespace

namespace {

TEST_CASE("merge refuses a slice whose members are missing or of the wrong kind, without crashing") {
  TempDir dir("sweep-merge-shape");
  const std::string file = small_file(dir);
  REQUIRE(run({"sweep", file, "--vary", "components.web.workers=1,2", "--shard", "1/2", "--json", dir.file("a1.json")})
              .code == 0);
  const Json good = Json::parse(read_file(dir.file("a1.json")));
  const std::vector<std::pair<std::string, std::string>> breaks = {
      {"/sweep/points", "\"two\""}, {"/sweep/vary", "{}"},           {"/sweep/metrics/0", "3"},
      {"/shard/count", "-1"},       {"/shard/index", "1.5"},         {"/rows/0/point", "null"},
      {"/rows/0/values", "[]"},     {"/rows/0/metrics", "{}"},       {"/shard/count", "1e18"},
      {"/sweep/replications", "\"many\""}};
  for (const auto& [pointer, value] : breaks) {
    CAPTURE(pointer);
    Json broken = good;
    broken[Json::json_pointer(pointer)] = Json::parse(value);
    const std::string name = dir.write("broken.json", broken.dump());
    const auto o = run({"merge", name});
    CHECK(o.code == 2);
    CHECK(contains(o.err, "archsim merge: " + name));
  }
}

}  // namespace
