#include "cli/commands.h"

// --set values may contain commas (JSON arrays); never split them.
#define CXXOPTS_VECTOR_DELIMITER '\0'
// cxxopts' own option parser instead of std::regex: lighter, and free of
// GCC 12's false "may be used uninitialized" inside <regex>.
#define CXXOPTS_NO_REGEX true
#include <cxxopts.hpp>

#include <chrono>
#include <filesystem>
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include "cli/report.h"
#include "models/simulation/catalog.h"
#include "models/simulation/scenario.h"
#include "models/simulation/simulation.h"
#include "models/types/traffic/workload.h"

namespace archsim::cli {

using spec::Json;

namespace {

const char* kUsage =
    "archsim " ARCHSIM_VERSION " - deterministic simulation of web architectures\n"
    "\n"
    "usage: archsim COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  run FILE        run a scenario and report (FILE may be - for standard input)\n"
    "  validate FILE   check a scenario and list every problem in it\n"
    "  describe [WHAT] the parameters of a component type, of workload, distribution,\n"
    "                  or scenario; without WHAT, the list of component types\n"
    "  schema          print the JSON Schema of scenario files\n"
    "\n"
    "options: --help (also after a command), --version\n";

struct Usage {
  std::string message;
};

// Reads a duration: a number of seconds, or a number with a unit: ns, us, ms, s, m, h.
std::optional<double> parse_duration(const std::string& text) {
  std::size_t used = 0;
  double value;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  double scale;
  if (unit.empty() || unit == "s") scale = 1;
  else if (unit == "ms") scale = 1e-3;
  else if (unit == "us") scale = 1e-6;
  else if (unit == "ns") scale = 1e-9;
  else if (unit == "m" || unit == "min") scale = 60;
  else if (unit == "h") scale = 3600;
  else return std::nullopt;
  const double seconds = value * scale;
  if (!std::isfinite(seconds) || seconds <= 0) return std::nullopt;
  return seconds;
}

// Reads at most one byte more than a scenario may hold, so an endless or huge
// input is refused (by load_scenario) without being read whole.
void read_bounded(std::istream& in, std::string& text) {
  text.clear();
  char buffer[1 << 16];
  while (in && text.size() <= models::kMaxScenarioBytes) {
    in.read(buffer, sizeof buffer);
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  if (text.size() > models::kMaxScenarioBytes + 1) text.resize(models::kMaxScenarioBytes + 1);
}

bool read_text(const std::string& path, std::istream& input, std::string& text, std::ostream& err) {
  if (path == "-") {
    read_bounded(input, text);
    return true;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    err << "archsim: cannot read " << path << ": it is a directory\n";
    return false;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    err << "archsim: cannot read " << path << "\n";
    return false;
  }
  read_bounded(file, text);
  return true;
}

cxxopts::ParseResult parse(cxxopts::Options& options, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  argv.push_back(options.program().c_str());
  for (std::size_t i = 1; i < args.size(); ++i) argv.push_back(args[i].c_str());
  try {
    return options.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const cxxopts::exceptions::exception& e) {
    throw Usage{e.what()};
  }
}

// The scenario FILE and its --set overrides, as every command taking a file reads them.
struct ScenarioArgs {
  std::string path;
  std::vector<std::string> overrides;
};

ScenarioArgs scenario_args(const cxxopts::ParseResult& result) {
  if (!result.count("file")) throw Usage{"missing the scenario FILE"};
  return {result["file"].as<std::string>(),
          result.count("set") ? result["set"].as<std::vector<std::string>>() : std::vector<std::string>{}};
}

// Loads, overrides and validates; prints the errors and returns nullopt on failure.
std::optional<models::Scenario> load(const std::string& path, const std::vector<std::string>& overrides,
                                     std::istream& input, std::ostream& err, int& code) {
  std::string text;
  if (!read_text(path, input, text, err)) {
    code = kExitUsage;
    return std::nullopt;
  }
  spec::Errors errors;
  auto scenario = models::load_scenario(text, overrides, errors);
  if (!scenario) {
    err << errors.format(path == "-" ? "<stdin>" : path);
    err << (errors.size() == 1 ? "1 problem" : std::to_string(errors.size()) + " problems") << "; nothing was run\n";
    code = kExitInvalidScenario;
  }
  return scenario;
}

int command_run(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err) {
  cxxopts::Options options("archsim run", "Run a scenario and report what happened");
  options.positional_help("FILE").custom_help("[OPTIONS]");
  options.add_options()("seed", "Seed of every random stream (overrides the scenario's)", cxxopts::value<std::uint64_t>())(
      "duration", "Simulated time to run, e.g. 60s, 500ms, 2m, 1h (overrides duration_s)", cxxopts::value<std::string>())(
      "set", "Override a scenario field, e.g. components.web.workers=16 (repeatable)",
      cxxopts::value<std::vector<std::string>>())("json", "Write the full results as JSON to FILE (- for standard output)",
                                                  cxxopts::value<std::string>())(
      "csv", "Write timeseries.csv, components.csv and operations.csv into DIR", cxxopts::value<std::string>())(
      "quiet", "Print no report")("h,help", "Show this help")("file", "Scenario file", cxxopts::value<std::string>());
  options.parse_positional({"file"});
  const auto result = parse(options, args);
  if (result.count("help")) {
    out << options.help();
    return kExitOk;
  }
  const auto [path, overrides] = scenario_args(result);

  models::RunOptions run_options;
  if (result.count("seed")) {
    run_options.seed = result["seed"].as<std::uint64_t>();
    if (*run_options.seed > (std::uint64_t{1} << 53) - 1) throw Usage{"--seed: at most 9007199254740991 (2^53 - 1)"};
  }
  if (result.count("duration")) {
    const auto d = parse_duration(result["duration"].as<std::string>());
    if (!d || *d > sim::kMaxTimeSeconds) throw Usage{"--duration: expected a positive time such as 60s, 500ms, 2m or 1h, at most a year"};
    run_options.duration_s = *d;
  }
  int code = kExitOk;
  auto scenario = load(path, overrides, input, err, code);
  if (!scenario) return code;
  if (run_options.duration_s && scenario->config["warmup_s"].get<double>() >= *run_options.duration_s) {
    err << "archsim: --duration " << result["duration"].as<std::string>() << " is not longer than the scenario's warmup_s ("
        << spec::format_number(scenario->config["warmup_s"].get<double>()) << " s)\n";
    return kExitUsage;
  }
  if (run_options.duration_s && *run_options.duration_s / scenario->config["report_interval_s"].get<double>() > 1e6) {
    err << "archsim: --duration " << result["duration"].as<std::string>()
        << " gives more than 1000000 intervals of report_interval_s; raise report_interval_s with --set\n";
    return kExitUsage;
  }

  const bool quiet = result.count("quiet") > 0;
  const std::string json_path = result.count("json") ? result["json"].as<std::string>() : "";
  // The time series goes straight to its outputs as the run makes it, so a
  // long run's memory does not grow with its length.
  models::SeriesTee series;
  DiscardSeries discard;
  std::optional<CsvSeries> csv_series;
  std::optional<JsonRowsFile> json_rows;
  if (result.count("csv")) {
    csv_series.emplace(result["csv"].as<std::string>());
    if (!csv_series->ok()) {
      err << "archsim: cannot write " << csv_series->path() << "\n";
      return kExitUsage;
    }
    series.add(&*csv_series);
  }
  if (!json_path.empty()) {
    json_rows.emplace();
    if (!json_rows->ok()) {
      err << "archsim: cannot create a temporary file for the time series\n";
      return kExitUsage;
    }
    series.add(&*json_rows);
  }
  if (!csv_series && !json_rows) series.add(&discard);

  const auto started = std::chrono::steady_clock::now();
  models::Simulation simulation(*scenario, run_options);
  simulation.stream_series_to(&series);
  simulation.run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const Json results = simulation.results();

  if (!json_path.empty()) {
    if (json_path == "-") {
      json_rows->write_results(results, out);
    } else {
      std::ofstream file(json_path, std::ios::binary);
      json_rows->write_results(results, file);
      if (!file) {
        err << "archsim: cannot write " << json_path << "\n";
        return kExitUsage;
      }
    }
  }
  if (result.count("csv")) {
    const std::string problem = write_csv(results, result["csv"].as<std::string>());
    if (!problem.empty()) {
      err << "archsim: " << problem << "\n";
      return kExitUsage;
    }
  }
  if (!quiet && json_path != "-") out << format_report(results);
  if (!quiet) {
    // Wall-clock figures go to standard error only: results stay deterministic.
    std::ostringstream note;
    note.precision(3);
    note << "archsim: seed " << simulation.seed() << ", " << simulation.events() << " events in " << wall << " s wall ("
         << (wall > 0 ? static_cast<double>(simulation.events()) / wall / 1e6 : 0) << " M events/s)\n";
    err << note.str();
  }
  if (!simulation.stop_problem().empty()) {
    err << "archsim: the run stopped early " << simulation.stop_problem()
        << "; the results cover the time simulated until then\n";
    return kExitStoppedEarly;
  }
  return kExitOk;
}

int command_validate(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err) {
  cxxopts::Options options("archsim validate", "Check a scenario and list every problem in it");
  options.positional_help("FILE").custom_help("[OPTIONS]");
  options.add_options()("set", "Override a scenario field before checking (repeatable)",
                        cxxopts::value<std::vector<std::string>>())(
      "print", "Print the scenario completed with every default")("h,help", "Show this help")(
      "file", "Scenario file", cxxopts::value<std::string>());
  options.parse_positional({"file"});
  const auto result = parse(options, args);
  if (result.count("help")) {
    out << options.help();
    return kExitOk;
  }
  const auto [path, overrides] = scenario_args(result);
  int code = kExitOk;
  auto scenario = load(path, overrides, input, err, code);
  if (!scenario) return code;
  if (result.count("print")) out << scenario->config.dump(2) << "\n";
  else out << (path == "-" ? "<stdin>" : path) << ": valid\n";
  return kExitOk;
}

int command_describe(const std::vector<std::string>& args, std::ostream& out) {
  cxxopts::Options options("archsim describe", "Describe the parameters of the scenario format");
  options.positional_help("[WHAT]").custom_help("[OPTIONS]");
  options.add_options()("markdown", "Print the whole reference as Markdown (docs/reference.md)")(
      "h,help", "Show this help")("what", "A component type, workload, distribution or scenario",
                                  cxxopts::value<std::string>());
  options.parse_positional({"what"});
  const auto result = parse(options, args);
  if (result.count("help")) {
    out << options.help();
    return kExitOk;
  }
  if (result.count("markdown")) {
    out << "# Scenario reference\n\n"
           "Generated by `archsim describe --markdown` from the parameter declarations; do not edit by hand.\n\n"
        << spec::markdown_reference(*models::scenario_spec(), "Scenario", 2);
    for (const auto& type : models::component_types())
      out << spec::markdown_reference(*type.spec, "Component `" + type.name + "`", 2);
    return kExitOk;
  }
  if (!result.count("what")) {
    out << "Component types (archsim describe TYPE for the parameters):\n";
    for (const auto& type : models::component_types()) out << "  " << type.name << std::string(16 - std::min<std::size_t>(15, type.name.size()), ' ') << type.summary << "\n";
    out << "\nAlso: archsim describe workload | distribution | scenario\n";
    return kExitOk;
  }
  const std::string what = result["what"].as<std::string>();
  if (what == "workload") out << spec::markdown_reference(*models::workload_spec(), "Workload", 1);
  else if (what == "distribution") out << spec::markdown_reference(*models::time_distribution_spec(), "Distribution", 1);
  else if (what == "scenario") out << spec::markdown_reference(*models::scenario_spec(), "Scenario", 1);
  else if (const auto* type = models::find_component_type(what))
    out << spec::markdown_reference(*type->spec, "Component `" + type->name + "`: " + type->summary, 1);
  else {
    std::vector<std::string> names = {"workload", "distribution", "scenario"};
    for (const auto& type : models::component_types()) names.push_back(type.name);
    throw Usage{"nothing called \"" + what + "\" to describe" + spec::did_you_mean_suffix(what, names)};
  }
  return kExitOk;
}

}  // namespace

int run_command(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err) {
  const std::string command = args.empty() ? "" : args[0];
  try {
    if (command == "--version" || command == "version") {
      out << "archsim " << ARCHSIM_VERSION << "\n";
      return kExitOk;
    }
    if (command.empty() || command == "--help" || command == "-h" || command == "help") {
      (command.empty() ? err : out) << kUsage;
      return command.empty() ? kExitUsage : kExitOk;
    }
    if (command == "run") return command_run(args, input, out, err);
    if (command == "validate") return command_validate(args, input, out, err);
    if (command == "describe") return command_describe(args, out);
    if (command == "schema") {
      cxxopts::Options options("archsim schema", "Print the JSON Schema of scenario files (docs/scenario.schema.json)");
      options.add_options()("h,help", "Show this help");
      const auto result = parse(options, args);
      if (result.count("help")) {
        out << options.help();
        return kExitOk;
      }
      if (!result.unmatched().empty()) throw Usage{"takes no arguments, got \"" + result.unmatched().front() + "\""};
      out << spec::json_schema(*models::scenario_spec(), "archsim scenario").dump(2) << "\n";
      return kExitOk;
    }
    throw Usage{"unknown command \"" + command + "\"" +
                spec::did_you_mean_suffix(command, {"run", "validate", "describe", "schema"})};
  } catch (const Usage& usage) {
    err << "archsim" << (command.empty() || command.rfind("-", 0) == 0 ? "" : " " + command) << ": " << usage.message
        << "\n(see archsim " << (command == "run" || command == "validate" || command == "describe" || command == "schema" ? command + " " : "")
        << "--help)\n";
    return kExitUsage;
  }
}

}  // namespace archsim::cli
