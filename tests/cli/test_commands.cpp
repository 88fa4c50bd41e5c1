// The commands: run (and its outputs), validate, describe, help, version, and
// what a mistyped command or option gets. In-process through run_command,
// except where only the real process can show it (standard input, --version
// of the executable).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "cli/commands.h"
#include "models/simulation/catalog.h"
#include "tests/cli/cli_helpers.h"

namespace {

using archsim::spec::Json;
using namespace archsim::test_cli;
namespace fs = std::filesystem;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// Runs a shell command line; returns its standard output and exit status.
std::pair<std::string, int> shell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST_CASE("run prints the report: totals, latency table, components and the bottleneck line") {
  TempDir dir("commands");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Outcome o = run({"run", file});
  REQUIRE(o.code == 0);
  CHECK(o.out.rfind("archsim 0.1.0 · scenario \"small\" · seed 7\n", 0) == 0);
  CHECK(contains(o.out, "simulated 5.00 s (first 1.00 s of warm-up not counted), "));
  CHECK(contains(o.out, "\nRequests       offered   offered rate   completed   failed   throughput\n"));
  CHECK(contains(o.out, "\n  total   "));
  CHECK(contains(o.out, "\n  read    "));
  CHECK(contains(o.out, "\n  write   "));
  CHECK(contains(o.out, "\nLatency (ms)   mean    p50    p90    p99   p99.9    max\n"));
  CHECK(contains(o.out, "\n  end to end  "));
  CHECK(contains(o.out, "\n  web          service  "));
  CHECK(contains(o.out, "\n  db-primary   service  "));
  CHECK(contains(o.out, "\nBottleneck: "));
  // The totals line shows the same numbers as the JSON results.
  const Json r = Json::parse(run({"run", file, "--json", "-", "--quiet"}).out);
  const auto offered = std::to_string(r["summary"]["offered"].get<int>());
  bool found = false;
  for (const auto& line : split_lines(o.out))
    if (line.rfind("  total ", 0) == 0) found = contains(line, offered) && contains(line, " qps");
  CHECK(found);
  // The seed and the speed go to standard error, never into the results.
  CHECK(o.err.rfind("archsim: seed 7, ", 0) == 0);
  CHECK(contains(o.err, " events in "));
}

TEST_CASE("the bottleneck line names the most utilized component") {
  TempDir dir("commands");
  Json s = small_scenario();
  s["components"][1]["workers"] = 2;  // the database is the narrow part
  const auto file = dir.write("small.json", s.dump());
  const Json r = Json::parse(run({"run", file, "--json", "-"}).out);
  CHECK(r["bottleneck"]["component"] == "db-primary");
  CHECK(contains(run({"run", file}).out, "\nBottleneck: db-primary at utilization "));
}

TEST_CASE("run --seed and --duration override the scenario's, as the JSON results show") {
  TempDir dir("commands");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Json plain = Json::parse(run({"run", file, "--json", "-"}).out);
  CHECK(plain["seed"] == 7);
  CHECK(plain["duration_s"] == 5);
  CHECK(plain["run"]["simulated_s"] == 5.0);

  const Json r = Json::parse(run({"run", file, "--json", "-", "--seed", "12345", "--duration", "3s"}).out);
  CHECK(r["seed"] == 12345);
  CHECK(r["duration_s"] == 3.0);
  CHECK(r["run"]["simulated_s"] == 3.0);
  CHECK(r["measured_s"] == 2.0);  // the scenario's 1 s of warm-up still applies

  // Units: 2500ms is 2.5 s, 0.05m is 3 s.
  CHECK(Json::parse(run({"run", file, "--json", "-", "--duration", "2500ms"}).out)["duration_s"] == 2.5);
  CHECK(Json::parse(run({"run", file, "--json", "-", "--duration", "0.05m"}).out)["duration_s"] == 3.0);
}

TEST_CASE("run --duration must be a positive time longer than the warm-up") {
  TempDir dir("commands");
  const auto file = dir.write("small.json", small_scenario().dump());
  for (const char* bad : {"abc", "0", "-5s", "10 parsecs", "2y"}) {
    CAPTURE(bad);
    const Outcome o = run({"run", file, "--duration", bad});
    CHECK(o.code == archsim::cli::kExitUsage);
    CHECK(o.out.empty());
    CHECK(o.err == "archsim run: --duration: expected a positive time such as 60s, 500ms, 2m or 1h, at most a year, "
                   "got \"" + std::string(bad) + "\"\n(see archsim run --help)\n");
  }
  const Outcome o = run({"run", file, "--duration", "1s"});
  CHECK(o.code == archsim::cli::kExitUsage);
  CHECK(o.out.empty());
  CHECK(o.err == "archsim: --duration 1s is not longer than the scenario's warmup_s (1 s)\n");
}

TEST_CASE("run --json FILE writes the results file and still prints the report") {
  TempDir dir("commands");
  const auto file = dir.write("small.json", small_scenario().dump());
  const auto json_path = dir.file("results.json");
  const Outcome o = run({"run", file, "--json", json_path});
  REQUIRE(o.code == 0);
  CHECK(contains(o.out, "Bottleneck: "));
  const Json r = Json::parse(read_file(json_path));
  CHECK(r["schema_version"] == 2);
  CHECK(r["scenario"] == "small");
  CHECK(r["run"]["completed"] == true);
  CHECK(r.contains("summary"));
  CHECK(r.contains("components"));
  CHECK(r.contains("timeseries"));
  // The file holds exactly what --json - prints.
  CHECK(read_file(json_path) == run({"run", file, "--json", "-"}).out);
}

TEST_CASE("run --json - writes only the JSON to standard output") {
  TempDir dir("commands");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Outcome o = run({"run", file, "--json", "-"});
  REQUIRE(o.code == 0);
  const Json r = Json::parse(o.out);  // throws if anything else were mixed in
  CHECK(r["summary"]["completed"].get<std::uint64_t>() > 0);
  CHECK(o.out.back() == '\n');
}

TEST_CASE("run --json to a place that cannot be written is a usage problem") {
  TempDir dir("commands");
  const auto file = dir.write("small.json", small_scenario().dump());
  const auto target = dir.file("no-such-dir") + "/results.json";
  const Outcome o = run({"run", file, "--json", target, "--quiet"});
  CHECK(o.code == archsim::cli::kExitUsage);
  CHECK(o.err == "archsim: cannot write " + target + "\n");
}

TEST_CASE("run --csv DIR writes the three tables with a header and one row per interval, component, operation") {
  TempDir dir("commands");
  const auto file = dir.write("small.json", small_scenario().dump());
  const auto csv = dir.file("csv/out");  // created if missing
  const Outcome o = run({"run", file, "--csv", csv, "--quiet"});
  REQUIRE(o.code == 0);
  CHECK(o.out.empty());
  const Json r = Json::parse(run({"run", file, "--json", "-"}).out);

  const auto series = split_lines(read_file(fs::path(csv) / "timeseries.csv"));
  REQUIRE(!series.empty());
  CHECK(series[0].rfind("t_s,measured,offered,completed,failed,failed.timeout,failed.queue_full,throughput_qps", 0) == 0);
  CHECK(contains(series[0], ",operations.read.completed,"));
  CHECK(contains(series[0], ",components.web.throughput_qps"));
  CHECK(contains(series[0], ",components.db-primary.utilization"));
  // The same columns and rows as the JSON's series.
  std::string header;
  for (const auto& c : r["timeseries"]["columns"]) {
    if (!header.empty()) header.push_back(',');
    header.append(c["name"].get_ref<const std::string&>());
  }
  CHECK(series[0] == header);
  CHECK(series.size() == 1 + r["timeseries"]["rows"].size());
  CHECK(series.size() == 1 + 5);  // 5 s in intervals of 1 s
  CHECK(series[1].rfind("1.0,", 0) == 0);
  CHECK(series[5].rfind("5.0,", 0) == 0);

  const auto components = split_lines(read_file(fs::path(csv) / "components.csv"));
  REQUIRE(components.size() == 1 + 2);
  CHECK(components[0].rfind("component,type,arrivals,completed,rejected,failed,throughput_qps,utilization,", 0) == 0);
  CHECK(components[1].rfind("web,service,", 0) == 0);
  CHECK(components[2].rfind("db-primary,service,", 0) == 0);

  const auto operations = split_lines(read_file(fs::path(csv) / "operations.csv"));
  REQUIRE(operations.size() == 1 + 1 + 2);  // the summary, then read and write
  CHECK(operations[0].rfind("operation,offered,completed,failed_total,", 0) == 0);
  CHECK(operations[1].rfind("(all)," + std::to_string(r["summary"]["offered"].get<int>()) + ",", 0) == 0);
  CHECK(operations[2].rfind("read,", 0) == 0);
  CHECK(operations[3].rfind("write,", 0) == 0);

  // Every row has as many cells as its header.
  for (const auto* table : {&series, &components, &operations}) {
    const auto commas = [](const std::string& line) { return std::count(line.begin(), line.end(), ','); };
    for (const auto& line : *table) CHECK(commas(line) == commas((*table)[0]));
  }
}

TEST_CASE("run --quiet prints no report and no run summary") {
  TempDir dir("commands");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Outcome o = run({"run", file, "--quiet"});
  CHECK(o.code == 0);
  CHECK(o.out.empty());
  CHECK(o.err.empty());
}

TEST_CASE("run - reads the scenario from standard input") {
  const std::string text = small_scenario().dump();
  const Outcome from_stdin = run({"run", "-", "--json", "-"}, text);
  REQUIRE(from_stdin.code == 0);
  TempDir dir("commands");
  const Outcome from_file = run({"run", dir.write("small.json", text), "--json", "-"});
  // The same results, but for the scenario's name as given: - and the file's path.
  const Json stdin_results = Json::parse(from_stdin.out), file_results = Json::parse(from_file.out);
  CHECK(stdin_results["run"]["arguments"] == Json::array({"-"}));
  CHECK(file_results["run"]["arguments"] == Json::array({dir.file("small.json")}));
  CHECK(without_arguments(stdin_results).dump() == without_arguments(file_results).dump());
  // Problems in standard input are reported as <stdin>.
  const Outcome bad = run({"validate", "-"}, "{");
  CHECK(bad.code == archsim::cli::kExitInvalidScenario);
  CHECK(bad.err == "<stdin>:1:2: expected a key in double quotes or '}', got end of input\n{\n ^\n1 problem; nothing was run\n");
}

TEST_CASE("the archsim executable reads a scenario piped to standard input") {
  TempDir dir("commands");
  const auto file = dir.write("small.json", small_scenario().dump());
  const auto [out, code] = shell(quoted(ARCHSIM_BINARY) + " run - --json - --quiet < " + quoted(file));
  CHECK(code == 0);
  CHECK(without_arguments(Json::parse(out)) == without_arguments(Json::parse(run({"run", file, "--json", "-", "--quiet"}).out)));
  const auto [valid, valid_code] = shell(quoted(ARCHSIM_BINARY) + " validate - < " + quoted(file));
  CHECK(valid_code == 0);
  CHECK(valid == "<stdin>: valid\n");
}

TEST_CASE("the archsim executable prints its version and exits 0") {
  const auto [out, code] = shell(quoted(ARCHSIM_BINARY) + " --version");
  CHECK(code == 0);
  CHECK(out == "archsim " ARCHSIM_VERSION "\n");
  // And it exits 1 on an invalid scenario, as the in-process call returns.
  const auto [ignored, bad_code] = shell("echo '{}' | " + quoted(ARCHSIM_BINARY) + " validate - 2>/dev/null");
  CHECK(bad_code == archsim::cli::kExitInvalidScenario);
}

TEST_CASE("validate prints valid and exits 0; with --print, the scenario completed with every default") {
  TempDir dir("commands");
  const auto file = dir.write("balanced.json", balanced_scenario().dump());
  const Outcome o = run({"validate", file});
  CHECK(o.code == 0);
  CHECK(o.out == file + ": valid\n");
  CHECK(o.err.empty());

  const Outcome p = run({"validate", file, "--print"});
  REQUIRE(p.code == 0);
  const Json s = Json::parse(p.out);
  CHECK(s["seed"] == 1);
  CHECK(s["warmup_s"] == 0);
  CHECK(s["report_interval_s"] == 1);
  CHECK(s["limits"]["max_in_flight"] == 1000000);
  CHECK(s["components"][0]["latency"] == Json{{"type", "constant"}, {"value_ms", 0}});
  CHECK(s["components"][1]["queue_capacity"] == 100000);
  CHECK(s["workloads"][0]["operations"] == Json::parse(R"([{"name":"request","weight":1,"access":"read"}])"));
  // The completed scenario is itself valid and completes to itself.
  const auto again = dir.write("completed.json", p.out);
  CHECK(run({"validate", again, "--print"}).out == p.out);
}

TEST_CASE("describe lists the component types; describe TYPE, workload, distribution, faults, scenario give the tables") {
  const Outcome list = run({"describe"});
  CHECK(list.code == 0);
  CHECK(list.out.rfind("Component types (archsim describe TYPE for the parameters):\n", 0) == 0);
  for (const auto& type : archsim::models::component_types()) CHECK(contains(list.out, "\n  " + type.name + " "));
  CHECK(contains(list.out, "Also: archsim describe workload | distribution | faults | estimate | scenario\n"));

  const Outcome service = run({"describe", "service"});
  CHECK(service.code == 0);
  CHECK(service.out.rfind("# Component `service`: ", 0) == 0);
  CHECK(contains(service.out, "| `workers` | integer ≥ 1, ≤ 100000 |  | `1` | "));
  CHECK(contains(service.out, "| `queue_capacity` | "));

  const Outcome lb = run({"describe", "load_balancer"});
  CHECK(lb.code == 0);
  CHECK(lb.out.rfind("# Component `load_balancer`: ", 0) == 0);
  CHECK(contains(lb.out, "| `policy` | one of `round_robin`, `weighted_round_robin`, "));
  CHECK(contains(lb.out, "| `backend` | name of a component with replicas |  | required | "));

  const Outcome workload = run({"describe", "workload"});
  CHECK(workload.code == 0);
  CHECK(workload.out.rfind("# Workload\n", 0) == 0);
  CHECK(contains(workload.out, "| `target` | "));
  CHECK(contains(workload.out, "`\"type\": \"closed\"`"));

  const Outcome distribution = run({"describe", "distribution"});
  CHECK(distribution.code == 0);
  CHECK(distribution.out.rfind("# *distribution*\n", 0) == 0);
  for (const char* type : {"constant", "uniform", "exponential", "normal", "lognormal", "pareto", "weibull", "empirical"})
    CHECK(contains(distribution.out, std::string("`\"type\": \"") + type + "\"`"));

  const Outcome faults = run({"describe", "faults"});
  CHECK(faults.code == 0);
  CHECK(faults.out.rfind("# Faults\n", 0) == 0);
  for (const auto& kind : archsim::models::fault_kinds())
    CHECK(contains(faults.out, "`\"action\": \"" + kind.name + "\"`"));
  CHECK(contains(faults.out, "| `failed_ratio_max` | "));

  const Outcome scenario = run({"describe", "scenario"});
  CHECK(scenario.code == 0);
  CHECK(scenario.out.rfind("# Scenario\n", 0) == 0);
  CHECK(contains(scenario.out, "| `duration_s` | "));
}

TEST_CASE("describe WHAT --markdown prints only that section of the reference; the sections make the whole") {
  const std::string whole = run({"describe", "--markdown"}).out;
  const Outcome service = run({"describe", "service", "--markdown"});
  CHECK(service.code == 0);
  CHECK(service.out.rfind("## Component `service`\n\nA pool of replicas, ", 0) == 0);
  CHECK(service.out.find("## Component `load_balancer`") == std::string::npos);
  CHECK(service.out.find("## Scenario") == std::string::npos);
  CHECK(contains(whole, service.out));
  CHECK(service.out.size() < whole.size());

  // The reference is its heading, the scenario's section and each type's, in a row.
  std::string sections = "# Scenario reference\n\nGenerated by `archsim describe --markdown` from the parameter "
                         "declarations; do not edit by hand.\n\n" +
                         run({"describe", "--markdown", "scenario"}).out;
  for (const auto& type : archsim::models::component_types()) sections += run({"describe", type.name, "--markdown"}).out;
  CHECK(sections == whole);

  for (const char* what : {"workload", "distribution"}) {
    CAPTURE(what);
    const Outcome o = run({"describe", what, "--markdown"});
    CHECK(o.code == 0);
    CHECK(o.out.rfind("## ", 0) == 0);
  }
  const Outcome unknown = run({"describe", "servce", "--markdown"});
  CHECK(unknown.code == archsim::cli::kExitUsage);
  CHECK(unknown.out.empty());
  CHECK(unknown.err == "archsim describe: nothing called \"servce\" to describe; did you mean \"service\"?\n"
                       "(see archsim describe --help)\n");
}

TEST_CASE("describe of an unknown name suggests the closest one and exits 2") {
  const Outcome o = run({"describe", "servce"});
  CHECK(o.code == archsim::cli::kExitUsage);
  CHECK(o.out.empty());
  CHECK(o.err == "archsim describe: nothing called \"servce\" to describe; did you mean \"service\"?\n"
                 "(see archsim describe --help)\n");
  const Outcome w = run({"describe", "workloads"});
  CHECK(w.code == archsim::cli::kExitUsage);
  CHECK(contains(w.err, "nothing called \"workloads\" to describe; did you mean \"workload\"?"));
}

TEST_CASE("--help works for the program and for each subcommand, and lists the options") {
  for (const char* help : {"--help", "-h", "help"}) {
    CAPTURE(help);
    const Outcome o = run({help});
    CHECK(o.code == 0);
    CHECK(o.out.rfind("archsim 0.1.0 - deterministic simulation of web architectures\n", 0) == 0);
    for (const char* command : {"run FILE", "validate FILE", "describe [WHAT]", "schema"}) CHECK(contains(o.out, command));
  }
  const Outcome run_help = run({"run", "--help"});
  CHECK(run_help.code == 0);
  CHECK(run_help.err.empty());
  CHECK(contains(run_help.out, "\n  archsim run [OPTIONS] FILE\n"));  // FILE named once
  for (const char* option : {"--seed", "--duration", "--set", "--json", "--csv", "--quiet", "--help"})
    CHECK(contains(run_help.out, option));

  const Outcome validate_help = run({"validate", "-h"});
  CHECK(validate_help.code == 0);
  CHECK(contains(validate_help.out, "\n  archsim validate [OPTIONS] FILE...\n"));
  for (const char* option : {"--set", "--print", "--help"}) CHECK(contains(validate_help.out, option));

  const Outcome describe_help = run({"describe", "--help"});
  CHECK(describe_help.code == 0);
  CHECK(contains(describe_help.out, "\n  archsim describe [OPTIONS] [WHAT]\n"));
  CHECK(contains(describe_help.out, "--markdown"));
}

TEST_CASE("no command at all prints the usage to standard error and exits 2") {
  const Outcome o = run({});
  CHECK(o.code == archsim::cli::kExitUsage);
  CHECK(o.out.empty());
  CHECK(o.err.rfind("archsim 0.1.0 - deterministic simulation of web architectures\n", 0) == 0);
}

TEST_CASE("--version prints the version") {
  for (const char* version : {"--version", "version"}) {
    const Outcome o = run({version});
    CHECK(o.code == 0);
    CHECK(o.out == "archsim " ARCHSIM_VERSION "\n");
  }
}

TEST_CASE("an unknown command suggests the closest one and exits 2") {
  const Outcome o = run({"rnu", "x.json"});
  CHECK(o.code == archsim::cli::kExitUsage);
  CHECK(o.out.empty());
  CHECK(o.err == "archsim rnu: unknown command \"rnu\"; did you mean \"run\"?\n(see archsim --help)\n");
  const Outcome v = run({"valdate"});
  CHECK(v.err == "archsim valdate: unknown command \"valdate\"; did you mean \"validate\"?\n(see archsim --help)\n");
  const Outcome far = run({"simulate"});
  CHECK(far.code == archsim::cli::kExitUsage);
  CHECK(far.err == "archsim simulate: unknown command \"simulate\"\n(see archsim --help)\n");
}

TEST_CASE("an unknown option is a usage problem (exit 2) that points to the command's help") {
  TempDir dir("commands");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Outcome o = run({"run", file, "--bogus"});
  CHECK(o.code == archsim::cli::kExitUsage);
  CHECK(o.out.empty());
  CHECK(contains(o.err, "bogus"));
  CHECK(o.err.rfind("archsim run: ", 0) == 0);
  CHECK(contains(o.err, "\n(see archsim run --help)\n"));

  const Outcome v = run({"validate", file, "--seed", "3"});
  CHECK(v.code == archsim::cli::kExitUsage);
  CHECK(v.err.rfind("archsim validate: ", 0) == 0);

  const Outcome d = run({"describe", "--verbose"});
  CHECK(d.code == archsim::cli::kExitUsage);
  CHECK(d.err.rfind("archsim describe: ", 0) == 0);
}

TEST_CASE("run and validate without a FILE are usage problems") {
  for (const char* command : {"run", "validate"}) {
    CAPTURE(command);
    const Outcome o = run({command});
    CHECK(o.code == archsim::cli::kExitUsage);
    CHECK(o.err == std::string("archsim ") + command + ": missing the scenario FILE\n(see archsim " + command +
                       " --help)\n");
  }
}

TEST_CASE("run --seed above 2^53 - 1, the largest seed JSON readers keep exactly, is a usage problem") {
  TempDir dir("commands");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Outcome o = run({"run", file, "--seed", "9007199254740992"});
  CHECK(o.code == archsim::cli::kExitUsage);
  CHECK(o.out.empty());
  CHECK(o.err == "archsim run: --seed: expected a whole number from 0 to 9007199254740991 (2^53 - 1), "
                 "got \"9007199254740992\"\n(see archsim run --help)\n");
  const Outcome top = run({"run", file, "--seed", "9007199254740991", "--json", "-"});
  REQUIRE(top.code == 0);
  CHECK(Json::parse(top.out)["seed"] == 9007199254740991ull);
}

TEST_CASE("run --seed that is not a number is a usage problem") {
  TempDir dir("commands");
  const auto file = dir.write("small.json", small_scenario().dump());
  const Outcome o = run({"run", file, "--seed", "lots"});
  CHECK(o.code == archsim::cli::kExitUsage);
  CHECK(o.err.rfind("archsim run: ", 0) == 0);
  CHECK(contains(o.err, "lots"));
}

TEST_CASE("schema has its own help and takes no arguments") {
  const auto help = run({"schema", "--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("JSON Schema") != std::string::npos);
  const auto extra = run({"schema", "extra"});
  CHECK(extra.code == archsim::cli::kExitUsage);
  CHECK(extra.err.find("takes no arguments") != std::string::npos);
}
