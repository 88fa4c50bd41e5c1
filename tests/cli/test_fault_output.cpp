// The fault timeline as archsim run writes it: the causes its actions
// produce have their columns in the CSV and JSON time series from the first
// row, each failure in the interval it happened in, and the report lists the
// actions with what failed while each was in force and the recovery after.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;
namespace fs = std::filesystem;

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find(separator, start)) != std::string::npos; start = end + 1)
    parts.push_back(text.substr(start, end - start));
  if (start < text.size()) parts.push_back(text.substr(start));
  return parts;
}

// Requests every 10 ms (k = 1..1499 in 15 s) through a round-robin load
// balancer to 2 replicas of 2 workers computing 30 ms: even k go to replica
// 1, which holds at most two at once. It crashes at 10 s and recovers at
// 12 s: it holds k = 998 then, which fails at once, and refuses the even k
// from 1000 to 1198. So the interval ending at 11 s has 51 crashed, the one
// ending at 12 s 50, the others none.
const char* kCrashAtTen = R"({
  "name": "crash-at-ten",
  "duration_s": 15,
  "workloads": [{ "name": "clients", "target": "lb", "arrival": { "type": "constant", "rate_qps": 100 } }],
  "components": [
    { "type": "load_balancer", "name": "lb", "backend": "web" },
    { "type": "service", "name": "web", "replicas": 2, "workers": 2,
      "service_time": { "type": "constant", "value_ms": 30 } }
  ],
  "faults": { "timeline": [ { "at_s": 10, "until_s": 12, "action": "crash", "target": "web[1]" } ] }
})";

std::uint64_t expected_crashed(double t_s) { return t_s == 11.0 ? 51 : t_s == 12.0 ? 50 : 0; }

}  // namespace

TEST_CASE("a crash at 10 s shows its crashed failures in the CSV and JSON series rows of its intervals") {
  TempDir dir("fault-output");
  const auto file = dir.write("crash.json", kCrashAtTen);
  const auto csv = dir.file("csv");
  const auto json = dir.file("results.json");
  const Outcome o = run({"run", file, "--csv", csv, "--json", json, "--quiet"});
  REQUIRE(o.code == 0);

  const auto lines = split(read_file(fs::path(csv) / "timeseries.csv"), '\n');
  REQUIRE(lines.size() == 1 + 15);
  const auto header = split(lines[0], ',');
  std::size_t crashed = 0;
  while (crashed < header.size() && header[crashed] != "failed.crashed") ++crashed;
  REQUIRE(crashed < header.size());
  for (std::size_t row = 1; row < lines.size(); ++row) {
    const auto cells = split(lines[row], ',');
    CAPTURE(lines[row]);
    CHECK(std::stoull(cells[crashed]) == expected_crashed(std::stod(cells[0])));
  }

  const Json r = Json::parse(read_file(json));
  const Json& columns = r["timeseries"]["columns"];
  REQUIRE(columns[crashed]["name"] == "failed.crashed");
  const Json& rows = r["timeseries"]["rows"];
  REQUIRE(rows.size() == 15);
  for (const auto& row : rows) {
    CAPTURE(row.dump());
    CHECK(row[crashed].get<std::uint64_t>() == expected_crashed(row[0].get<double>()));
  }
  // The results' fault entry counts the same 101.
  CHECK(r["faults"]["timeline"][0]["failed"]["crashed"] == 101);
  CHECK(r["summary"]["failed"]["crashed"] == 101);
}

TEST_CASE("the report lists each fault with its times, what failed while it was in force, and the recovery after") {
  TempDir dir("fault-output");
  Json s = Json::parse(kCrashAtTen);
  s["faults"]["timeline"].push_back(Json::parse(
      R"({ "at_s": 13, "action": "slow_link", "from": "lb", "to": "web", "both_ways": false, "added_ms": 1 })"));
  s["faults"]["recovery"] = {{"stable_s", 2}};
  const auto file = dir.write("crash.json", s.dump());
  const Outcome o = run({"run", file});
  REQUIRE(o.code == 0);
  const std::string& report = o.out;
  CHECK(contains(report, "\nFaults "));
  // The crash: 10 s to 12 s, 200 sent while it was in force, 101 failed;
  // nothing fails after 12 s, so the clients recovered at once (confirmed
  // by 14 s, stable_s 2 after). The slowed link lasts to the end of the run.
  std::string crash_line, slow_line;
  for (const auto& line : split(report, '\n')) {
    if (line.rfind("  crash web[1] ", 0) == 0) crash_line = line;
    if (line.rfind("  slow_link lb → web ", 0) == 0) slow_line = line;
  }
  CAPTURE(report);
  REQUIRE(!crash_line.empty());
  REQUIRE(!slow_line.empty());
  CHECK(contains(crash_line, " 10.0 s "));
  CHECK(contains(crash_line, " 12.0 s "));
  CHECK(contains(crash_line, " 200 "));
  CHECK(contains(crash_line, " 101 "));
  CHECK(contains(crash_line, " crashed 101 "));
  CHECK(crash_line.substr(crash_line.size() - 4) == " 0 s");
  CHECK(contains(slow_line, " 13.0 s "));
  CHECK(contains(slow_line, " run end "));
  CHECK(slow_line.substr(slow_line.size() - 2) == " -");
  CHECK(contains(report, "  recovered: at most 1% of the requests ending failed, for 2 s on end\n"));
  // A scenario without faults has no such table.
  const Outcome plain = run({"run", dir.write("plain.json", small_scenario().dump())});
  CHECK_FALSE(contains(plain.out, "\nFaults "));
}
