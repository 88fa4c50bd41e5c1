#include "cli/commands.h"

// --set values may contain commas (JSON arrays); never split them.
#define CXXOPTS_VECTOR_DELIMITER '\0'
// cxxopts' own option parser instead of std::regex: lighter, and free of
// GCC 12's false "may be used uninitialized" inside <regex>.
#define CXXOPTS_NO_REGEX true
#include <cxxopts.hpp>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include <signal.h>

#include "cli/estimate.h"
#include "cli/report.h"
#include "models/format/json_text.h"
#include "models/simulation/catalog.h"
#include "models/simulation/estimate_section.h"
#include "models/simulation/faults.h"
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
    "  run FILE          run a scenario and report (FILE may be - for standard input)\n"
    "  validate FILE...  check scenarios and list every problem in each\n"
    "  describe [WHAT]   the parameters of a component type, of workload, distribution,\n"
    "                    faults, estimate or scenario; without WHAT, the list of component types\n"
    "  schema            print the JSON Schema of scenario files\n"
    "  estimate [FILE]   back-of-the-envelope estimate: request rates, storage, bandwidth,\n"
    "                    cache and servers, from flags or an estimate section\n"
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

// An option of a command, declared once: the help, the checks made before
// cxxopts parses, and the messages about it all come from here.
struct Option {
  std::string name;      // without the leading "--"
  std::string value;     // placeholder in the help, e.g. "N"; empty for a flag
  std::string expected;  // what the value must be, as messages say it
  std::string help;
  bool repeatable = false;
};

// A command: its options, and how the help shows its other arguments.
struct Command {
  std::string name;
  std::string summary;
  std::string arguments_help;  // "FILE", "FILE...", "[WHAT]", or empty
  std::vector<Option> options;  // --help (-h) is added to every command
};

std::string quote(const std::string& text) { return "\"" + text + "\""; }

std::string value_problem(const std::string& option, const std::string& expected, const std::string& found) {
  return "--" + option + ": expected " + expected + ", got " + found;
}

// Checks the options in `args` (args[0] is the command) against the
// command's declaration, so that every mistake gets a message of ours saying
// which option, what was expected and what was found; cxxopts then parses
// what is known to be well formed. Throws Usage.
void check_options(const Command& command, const std::vector<std::string>& args) {
  std::vector<std::string> names = {"help"};
  for (const auto& o : command.options) names.push_back(o.name);
  std::vector<std::size_t> given(command.options.size(), 0);
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;                      // everything after it is an argument
    if (arg.size() < 2 || arg[0] != '-') continue;  // an argument, or "-" for standard input
    if (arg == "-h") continue;
    if (arg[1] != '-') throw Usage{"unknown option " + arg};
    const std::size_t equals = arg.find('=');
    const std::string name = arg.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    if (name == "help") {
      if (equals != std::string::npos) throw Usage{value_problem(name, "no value", quote(arg.substr(equals + 1)))};
      continue;
    }
    std::size_t index = 0;
    while (index < command.options.size() && command.options[index].name != name) ++index;
    if (index == command.options.size()) {
      const auto match = spec::did_you_mean(name, names);
      throw Usage{"unknown option --" + name + (match ? "; did you mean --" + *match + "?" : "")};
    }
    const Option& option = command.options[index];
    if (++given[index] == 2 && !option.repeatable)
      throw Usage{"--" + name + ": given more than once; it takes one value"};
    if (option.value.empty()) {
      if (equals != std::string::npos) throw Usage{value_problem(name, "no value", quote(arg.substr(equals + 1)))};
      continue;
    }
    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 == args.size()) {
      throw Usage{value_problem(name, option.expected, "nothing")};
    } else if (args[i + 1].rfind("--", 0) == 0 && args[i + 1].size() > 2) {
      // Most likely a forgotten value, not a value that starts with "--".
      throw Usage{value_problem(name, option.expected, "the option " + args[i + 1])};
    } else {
      value = args[++i];
    }
    if (value.empty()) throw Usage{value_problem(name, option.expected, "\"\"")};
  }
}

struct Parsed {
  cxxopts::ParseResult result;
  std::vector<std::string> arguments;  // those without an option, in order

  bool has(const std::string& option) const { return result.count(option) > 0; }
  // The option's value; check_options made sure there is at most one.
  std::string value(const std::string& option) const { return result[option].as<std::vector<std::string>>().back(); }
  std::vector<std::string> values(const std::string& option) const {
    return has(option) ? result[option].as<std::vector<std::string>>() : std::vector<std::string>{};
  }
};

cxxopts::Options options_of(const Command& command) {
  cxxopts::Options options("archsim " + command.name, command.summary);
  options.custom_help("[OPTIONS]");
  if (!command.arguments_help.empty()) options.positional_help(command.arguments_help);
  auto add = options.add_options();
  for (const auto& o : command.options) {
    if (o.value.empty()) add(o.name, o.help);
    else add(o.name, o.help, cxxopts::value<std::vector<std::string>>(), o.value);
  }
  add("h,help", "Show this help");
  add("arguments", "The arguments without an option", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"arguments"});
  return options;
}

// Parses `args` for `command`; an empty result.arguments when help was asked for
// is for the caller to check with has("help").
Parsed parse(const Command& command, const std::vector<std::string>& args) {
  check_options(command, args);
  cxxopts::Options options = options_of(command);
  std::vector<const char*> argv;
  argv.push_back(options.program().c_str());
  for (std::size_t i = 1; i < args.size(); ++i) argv.push_back(args[i].c_str());
  try {
    Parsed parsed{options.parse(static_cast<int>(argv.size()), argv.data()), {}};
    if (parsed.has("arguments")) parsed.arguments = parsed.result["arguments"].as<std::vector<std::string>>();
    return parsed;
  } catch (const cxxopts::exceptions::exception& e) {
    throw Usage{e.what()};  // not expected after check_options; kept so that nothing escapes
  }
}

std::string help_of(const Command& command) { return options_of(command).help(); }

// "a.json, b.json"
std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

const char* kSeedExpected = "a whole number from 0 to 9007199254740991 (2^53 - 1)";
const char* kDurationExpected = "a positive time such as 60s, 500ms, 2m or 1h, at most a year";
const char* kSetExpected = "an assignment PATH=VALUE such as components.web.workers=16";

const Command& run_command_line() {
  static const Command command{
      "run",
      "Run a scenario and report what happened",
      "FILE",
      {{"seed", "N", kSeedExpected, "Seed of every random stream (overrides the scenario's)"},
       {"duration", "TIME", kDurationExpected, "Simulated time to run, e.g. 60s, 500ms, 2m, 1h (overrides duration_s)"},
       {"set", "PATH=VALUE", kSetExpected, "Override a scenario field, e.g. components.web.workers=16 (repeatable)",
        true},
       {"json", "FILE", "a file name, or - for standard output",
        "Write the full results as JSON to FILE (- for standard output)"},
       {"csv", "DIR", "a directory", "Write timeseries.csv, components.csv and operations.csv into DIR"},
       {"quiet", "", "", "Print no report, no progress and no run summary"}}};
  return command;
}

const Command& validate_command_line() {
  static const Command command{
      "validate",
      "Check scenarios and list every problem in each",
      "FILE...",
      {{"set", "PATH=VALUE", kSetExpected, "Override a scenario field of every FILE before checking (repeatable)",
        true},
       {"print", "", "", "Print the scenario completed with every default (one FILE only)"}}};
  return command;
}

const Command& describe_command_line() {
  static const Command command{"describe",
                               "Describe the parameters of the scenario format",
                               "[WHAT]",
                               {{"markdown", "", "",
                                 "Print as in docs/reference.md: the section about WHAT, or without WHAT the "
                                 "whole reference"}}};
  return command;
}

const Command& schema_command_line() {
  static const Command command{
      "schema", "Print the JSON Schema of scenario files (docs/scenario.schema.json)", "", {}};
  return command;
}

// The flag of a number of the estimate section: its key with hyphens,
// `--daily-active-users` for `daily_active_users`.
std::string estimate_flag(const std::string& key) {
  std::string flag = key;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

// The numbers of the estimate section that are given as flags: every number
// the section declares (models/simulation/estimate_section.cpp), so a new
// one gets its flag, its help and its checks from its declaration.
std::vector<const spec::Field*> estimate_flag_fields() {
  std::vector<const spec::Field*> fields;
  for (const auto& field : models::estimate_spec()->fields)
    if (field.node->kind == spec::Kind::Number) fields.push_back(&field);
  return fields;
}

const Command& estimate_command_line() {
  static const Command command = [] {
    Command c{"estimate",
              "Back-of-the-envelope estimate: average and peak requests per second, storage, bandwidth, cache "
              "memory and servers (docs/estimate.md). FILE is a scenario with an estimate section, or a file "
              "holding only the section; each flag sets one of its numbers, over FILE's",
              "[FILE]",
              {}};
    for (const spec::Field* field : estimate_flag_fields()) {
      std::string help = field->node->doc;
      if (!field->node->unit.empty()) help += " [" + field->node->unit + "]";
      if (!field->effective_default().is_null()) help += " (default " + field->effective_default().dump() + ")";
      if (field->required) help += " (required)";
      c.options.push_back({estimate_flag(field->name), "N", "a number", help});
    }
    c.options.push_back({"steps", "", "", "Print the arithmetic of each figure, step by step, instead of the table"});
    c.options.push_back({"json", "FILE", "a file name, or - for standard output",
                         "Write the inputs, every figure with its unit and the steps as JSON to FILE (- for "
                         "standard output)"});
    c.options.push_back({"scenario", "FILE", "a file name, or - for standard output",
                         "Write a starting scenario sized by the estimate to FILE (- for standard output)"});
    return c;
  }();
  return command;
}

std::uint64_t parse_seed(const std::string& text) {
  constexpr std::uint64_t kMaxSeed = (std::uint64_t{1} << 53) - 1;  // the largest JSON readers keep exactly
  std::uint64_t seed = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, seed);
  if (ec != std::errc{} || stop != end || seed > kMaxSeed) throw Usage{value_problem("seed", kSeedExpected, quote(text))};
  return seed;
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
  } else {
    err << errors.format_warnings(path == "-" ? "<stdin>" : path);
  }
  return scenario;
}

// Set by the SIGINT handler, read between slices of a run. A handler may do
// no more than set a flag of this type.
volatile std::sig_atomic_t interrupt_requested = 0;

extern "C" void on_interrupt(int) { interrupt_requested = 1; }

// Catches SIGINT for the length of a run. SA_RESETHAND puts the default
// action back as the first one is delivered, so a second Ctrl-C ends the
// process at once; the action found before is restored afterwards. A process
// started with SIGINT ignored (in the background of a script) keeps ignoring it.
class InterruptGuard {
 public:
  explicit InterruptGuard(bool enabled) {
    interrupt_requested = 0;
    if (!enabled || ::sigaction(SIGINT, nullptr, &previous_) != 0 || previous_.sa_handler == SIG_IGN) return;
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    installed_ = ::sigaction(SIGINT, &action, nullptr) == 0;
  }
  ~InterruptGuard() {
    if (installed_) ::sigaction(SIGINT, &previous_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  bool requested() const { return interrupt_requested != 0; }

 private:
  struct sigaction previous_ {};
  bool installed_ = false;
};

// One line on standard error, redrawn in place with \r as a run goes: the
// simulated time reached, the share of the run done and the speed. It reads
// the wall clock, which nothing else but the speed note on standard error
// sees; the results are the same with it or without.
class ProgressLine {
 public:
  using Clock = std::chrono::steady_clock;

  ProgressLine(std::ostream& err, bool enabled, std::chrono::milliseconds interval)
      : err_(err), enabled_(enabled), interval_(interval), started_(Clock::now()), drawn_at_(started_) {}

  void update(sim::Time now, sim::Time end, std::uint64_t events) {
    if (!enabled_) return;
    const auto wall = Clock::now();
    if (wall - drawn_at_ < interval_) return;
    drawn_at_ = wall;
    const double seconds = std::chrono::duration<double>(wall - started_).count();
    char line[160];
    std::snprintf(line, sizeof line, "archsim: simulated %.1f s of %.1f s (%.0f%%), %.1f M events/s", now.to_s(),
                  end.to_s(), end.ns > 0 ? 100.0 * static_cast<double>(now.ns) / static_cast<double>(end.ns) : 100.0,
                  seconds > 0 ? static_cast<double>(events) / seconds / 1e6 : 0.0);
    const std::string text = line;
    // Spaces cover what is left of a longer line drawn before.
    err_ << "\r" << text << std::string(width_ > text.size() ? width_ - text.size() : 0, ' ') << std::flush;
    width_ = std::max(width_, text.size());
  }

  // Leaves the cursor at the start of an empty line, as if nothing was drawn.
  void erase() {
    if (width_ == 0) return;
    err_ << "\r" << std::string(width_, ' ') << "\r" << std::flush;
    width_ = 0;
  }

 private:
  std::ostream& err_;
  bool enabled_;
  std::chrono::milliseconds interval_;
  Clock::time_point started_, drawn_at_;
  std::size_t width_ = 0;  // characters on the line now
};

// The one scenario FILE of run.
std::string scenario_file(const Parsed& parsed) {
  if (parsed.arguments.empty()) throw Usage{"missing the scenario FILE"};
  if (parsed.arguments.size() > 1)
    throw Usage{"expected one scenario FILE, got " + std::to_string(parsed.arguments.size()) + ": " +
                joined(parsed.arguments)};
  return parsed.arguments.front();
}

// The arguments of run that shape its results, in a fixed order: the scenario
// FILE as named, --seed, --duration, and each --set in the order given (a
// later one may change what an earlier one set). Recorded in the results, so
// that two results files can be told apart and `archsim run` with them
// repeats the run. Where the results go (--json, --csv, --quiet) is left
// out, so the same run written to two places gives identical bytes.
std::vector<std::string> shaping_arguments(const Parsed& parsed, const std::string& path) {
  std::vector<std::string> arguments = {path};
  for (const char* option : {"seed", "duration"})
    if (parsed.has(option)) {
      arguments.push_back(std::string("--") + option);
      arguments.push_back(parsed.value(option));
    }
  for (const auto& assignment : parsed.values("set")) {
    arguments.push_back("--set");
    arguments.push_back(assignment);
  }
  return arguments;
}

int command_run(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err,
                const Console& console) {
  const Command& command = run_command_line();
  const Parsed parsed = parse(command, args);
  if (parsed.has("help")) {
    out << help_of(command);
    return kExitOk;
  }
  const std::string path = scenario_file(parsed);
  const std::vector<std::string> overrides = parsed.values("set");
  if (parsed.has("csv") && parsed.value("csv") == "-")
    throw Usage{"--csv: expected a directory, got \"-\"; the CSV output is three files (timeseries.csv, "
                "components.csv, operations.csv), so it cannot go to standard output: give a directory such as "
                "--csv out, or use --json - for the results on standard output"};

  models::RunOptions run_options;
  if (parsed.has("seed")) run_options.seed = parse_seed(parsed.value("seed"));
  const std::string duration_text = parsed.has("duration") ? parsed.value("duration") : "";
  if (parsed.has("duration")) {
    const auto d = parse_duration(duration_text);
    if (!d || *d > sim::kMaxTimeSeconds) throw Usage{value_problem("duration", kDurationExpected, quote(duration_text))};
    run_options.duration_s = *d;
  }
  int code = kExitOk;
  auto scenario = load(path, overrides, input, err, code);
  if (!scenario) return code;
  if (run_options.duration_s && scenario->config["warmup_s"].get<double>() >= *run_options.duration_s) {
    err << "archsim: --duration " << duration_text << " is not longer than the scenario's warmup_s ("
        << spec::format_number(scenario->config["warmup_s"].get<double>()) << " s)\n";
    return kExitUsage;
  }
  if (run_options.duration_s && *run_options.duration_s / scenario->config["report_interval_s"].get<double>() > 1e6) {
    err << "archsim: --duration " << duration_text
        << " gives more than 1000000 intervals of report_interval_s; raise report_interval_s with --set\n";
    return kExitUsage;
  }

  const bool quiet = parsed.has("quiet");
  const std::string json_path = parsed.has("json") ? parsed.value("json") : "";
  // The time series goes straight to its outputs as the run makes it, so a
  // long run's memory does not grow with its length.
  models::SeriesTee series;
  DiscardSeries discard;
  std::optional<CsvSeries> csv_series;
  std::optional<JsonRowsFile> json_rows;
  if (parsed.has("csv")) {
    csv_series.emplace(parsed.value("csv"));
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
  if (console.progress || console.interrupt) {
    const InterruptGuard interrupts(console.interrupt);
    ProgressLine line(err, console.progress && !quiet, console.progress_interval);
    simulation.run([&](sim::Time now, sim::Time end) {
      line.update(now, end, simulation.events());
      return !interrupts.requested();
    });
    line.erase();
  } else {
    simulation.run();
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  Json results = simulation.results();
  results["run"]["arguments"] = shaping_arguments(parsed, path);
  results["run"]["overrides"] = overrides;
  // The scenario's estimate goes beside what the run saw, ahead of the time
  // series, which stays the last member (JsonRowsFile writes its rows there).
  if (Json estimate = run_estimate(scenario->config); !estimate.is_null()) {
    Json ordered = Json::object();
    for (auto& [key, value] : results.items()) {
      if (key == "timeseries") ordered["estimate"] = estimate;
      ordered[key] = std::move(value);
    }
    results = std::move(ordered);
  }

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
  if (parsed.has("csv")) {
    const std::string problem = write_csv(results, parsed.value("csv"));
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

// Each FILE is checked alone, with the same --set overrides; the exit code is
// the worst of theirs (2 if a file cannot be read, else 1 if one is invalid).
int command_validate(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err) {
  const Command& command = validate_command_line();
  const Parsed parsed = parse(command, args);
  if (parsed.has("help")) {
    out << help_of(command);
    return kExitOk;
  }
  const std::vector<std::string>& files = parsed.arguments;
  if (files.empty()) throw Usage{"missing the scenario FILE"};
  if (std::count(files.begin(), files.end(), "-") > 1)
    throw Usage{"- (standard input) is named more than once; it can be read only once"};
  if (parsed.has("print") && files.size() > 1)
    throw Usage{"--print: expected one FILE, got " + std::to_string(files.size()) +
                "; the completed scenario is one JSON document, so print one file at a time"};
  const std::vector<std::string> overrides = parsed.values("set");
  int code = kExitOk;
  std::vector<std::string> failed;
  for (const auto& path : files) {
    const std::string shown = path == "-" ? "<stdin>" : path;
    int file_code = kExitOk;
    const auto scenario = load(path, overrides, input, err, file_code);
    if (!scenario) {
      failed.push_back(shown);
      code = std::max(code, file_code);
    } else if (parsed.has("print")) {
      out << scenario->config.dump(2) << "\n";
    } else {
      out << shown << ": valid\n";
    }
  }
  if (files.size() > 1 && !failed.empty())
    err << failed.size() << " of " << files.size() << " files " << (failed.size() == 1 ? "has" : "have")
        << " problems: " << joined(failed) << "\n";
  return code;
}

Usage nothing_to_describe(const std::string& what) {
  std::vector<std::string> names = {"workload", "distribution", "faults", "estimate", "scenario"};
  for (const auto& type : models::component_types()) names.push_back(type.name);
  return Usage{"nothing called \"" + what + "\" to describe" + spec::did_you_mean_suffix(what, names)};
}

// The part of the reference about WHAT, with the headings of docs/reference.md:
// the scenario and each component type are its sections (the whole reference
// is those in a row); workload and distribution, which the scenario's section
// holds deeper down, get a section of their own at the same level.
std::string reference_section(const std::string& what) {
  if (what == "scenario") return spec::markdown_reference(*models::scenario_spec(), "Scenario", 2);
  if (what == "workload") return spec::markdown_reference(*models::workload_spec(), "Workload", 2);
  if (what == "distribution") return spec::markdown_reference(*models::time_distribution_spec(), "Distribution", 2);
  if (what == "faults") return spec::markdown_reference(*models::faults_spec(), "Faults", 2);
  if (what == "estimate") return spec::markdown_reference(*models::estimate_spec(), "Estimate", 2);
  if (const auto* type = models::find_component_type(what))
    return spec::markdown_reference(*type->spec, "Component `" + type->name + "`", 2);
  throw nothing_to_describe(what);
}

int command_describe(const std::vector<std::string>& args, std::ostream& out) {
  const Command& command = describe_command_line();
  const Parsed parsed = parse(command, args);
  if (parsed.has("help")) {
    out << help_of(command);
    return kExitOk;
  }
  if (parsed.arguments.size() > 1)
    throw Usage{"expected at most one WHAT, got " + std::to_string(parsed.arguments.size()) + ": " +
                joined(parsed.arguments)};
  if (parsed.has("markdown")) {
    if (!parsed.arguments.empty()) {
      out << reference_section(parsed.arguments.front());
      return kExitOk;
    }
    out << "# Scenario reference\n\n"
           "Generated by `archsim describe --markdown` from the parameter declarations; do not edit by hand.\n\n"
        << reference_section("scenario");
    for (const auto& type : models::component_types()) out << reference_section(type.name);
    return kExitOk;
  }
  if (parsed.arguments.empty()) {
    out << "Component types (archsim describe TYPE for the parameters):\n";
    for (const auto& type : models::component_types()) out << "  " << type.name << std::string(16 - std::min<std::size_t>(15, type.name.size()), ' ') << type.summary << "\n";
    out << "\nAlso: archsim describe workload | distribution | faults | estimate | scenario\n";
    return kExitOk;
  }
  const std::string what = parsed.arguments.front();
  if (what == "workload") out << spec::markdown_reference(*models::workload_spec(), "Workload", 1);
  else if (what == "distribution") out << spec::markdown_reference(*models::time_distribution_spec(), "Distribution", 1);
  else if (what == "faults") out << spec::markdown_reference(*models::faults_spec(), "Faults", 1);
  else if (what == "estimate") out << spec::markdown_reference(*models::estimate_spec(), "Estimate", 1);
  else if (what == "scenario") out << spec::markdown_reference(*models::scenario_spec(), "Scenario", 1);
  else if (const auto* type = models::find_component_type(what))
    out << spec::markdown_reference(*type->spec, "Component `" + type->name + "`: " + type->summary, 1);
  else throw nothing_to_describe(what);
  return kExitOk;
}

int command_schema(const std::vector<std::string>& args, std::ostream& out) {
  const Command& command = schema_command_line();
  const Parsed parsed = parse(command, args);
  if (parsed.has("help")) {
    out << help_of(command);
    return kExitOk;
  }
  if (!parsed.arguments.empty()) throw Usage{"takes no arguments, got \"" + parsed.arguments.front() + "\""};
  out << spec::json_schema(*models::scenario_spec(), "archsim scenario").dump(2) << "\n";
  return kExitOk;
}

// Writes `text` to `path`, or to `out` for "-"; false if the file cannot be written.
bool write_output(const std::string& path, const std::string& text, std::ostream& out, std::ostream& err) {
  if (path == "-") {
    out << text;
    return true;
  }
  std::ofstream file(path, std::ios::binary);
  file << text;
  if (!file) {
    err << "archsim: cannot write " << path << "\n";
    return false;
  }
  return true;
}

// Writes the problems of an estimate's input, as load() writes a scenario's.
// A problem with a flag's value is told by the flag; without a FILE (`file`
// empty), the messages name the other keys by their flags too.
void write_estimate_problems(const spec::Errors& errors, const std::vector<std::pair<std::string, std::string>>& flags,
                             const std::string& prefix, const std::string& file, std::ostream& err) {
  for (const auto& e : errors.list()) {
    std::string message = e.message;
    std::string path = e.path;
    bool from_flag = false;
    for (const auto& [key, _] : flags)
      if (path == prefix + key) {
        path = "--" + estimate_flag(key);
        from_flag = true;
      }
    if (file.empty()) {
      auto replace_all = [&](const std::string& from, const std::string& to) {
        for (std::size_t at = message.find(from); at != std::string::npos; at = message.find(from, at + to.size()))
          message.replace(at, from.size(), to);
      };
      replace_all("missing required key ", "missing ");
      for (const spec::Field* field : estimate_flag_fields()) {
        replace_all("\"" + field->name + "\"", "--" + estimate_flag(field->name));
        replace_all(field->name, "--" + estimate_flag(field->name));
      }
    }
    spec::Errors one;
    if (e.has_position()) one.add_at(e.line, e.column, message, e.excerpt);
    else one.add(path, message);
    err << one.format(from_flag || file.empty() ? "archsim estimate" : file);
  }
  err << (errors.size() == 1 ? "1 problem" : std::to_string(errors.size()) + " problems")
      << "; nothing was estimated\n";
}

// The estimate's input is a FILE, flags, or both (the flags over the
// FILE's values). A FILE is a scenario when it has an estimate section,
// workloads or components: the whole scenario is then checked, as run would
// check it; else it holds the estimate section alone. Each flag sets its key
// as --set would, so its value is checked by the same declaration, and a
// problem with it is told by the flag's name.
int command_estimate(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err) {
  const Command& command = estimate_command_line();
  const Parsed parsed = parse(command, args);
  if (parsed.has("help")) {
    out << help_of(command);
    return kExitOk;
  }
  if (parsed.arguments.size() > 1)
    throw Usage{"expected at most one FILE, got " + std::to_string(parsed.arguments.size()) + ": " +
                joined(parsed.arguments)};
  const bool has_file = !parsed.arguments.empty();
  std::vector<std::pair<std::string, std::string>> flags;  // (key, value as written)
  for (const spec::Field* field : estimate_flag_fields())
    if (parsed.has(estimate_flag(field->name))) flags.emplace_back(field->name, parsed.value(estimate_flag(field->name)));
  if (!has_file && flags.empty())
    throw Usage{"nothing to estimate: give a FILE with an estimate section, or its figures as flags, e.g. "
                "--daily-active-users 1000000 --requests-per-user-per-day 5"};
  const std::string json_path = parsed.has("json") ? parsed.value("json") : "";
  const std::string scenario_path = parsed.has("scenario") ? parsed.value("scenario") : "";
  if (json_path == "-" && scenario_path == "-")
    throw Usage{"--json - and --scenario - would both write to standard output; give one of them a file"};
  if (parsed.has("steps") && (json_path == "-" || scenario_path == "-"))
    throw Usage{"--steps prints to standard output, where --" + std::string(json_path == "-" ? "json" : "scenario") +
                " - writes; give that one a file"};

  const std::string file = has_file ? parsed.arguments.front() : "";
  const std::string shown = !has_file ? "archsim estimate" : file == "-" ? "<stdin>" : file;
  spec::Errors errors;
  spec::SourceMap source;
  Json document = Json::object();
  if (has_file) {
    std::string text;
    if (!read_text(file, input, text, err)) return kExitUsage;
    auto read = spec::read_json_text(text, errors, &source, {models::kMaxScenarioBytes, models::kMaxNesting});
    if (read && !read->is_object())
      errors.add(spec::Path(), "must be an object: a scenario with an estimate section, or the estimate section alone");
    if (!errors.empty()) {
      err << errors.format(shown) << (errors.size() == 1 ? "1 problem" : std::to_string(errors.size()) + " problems")
          << "; nothing was estimated\n";
      return kExitInvalidScenario;
    }
    document = std::move(*read);
  }
  const bool scenario_form =
      document.contains("estimate") || document.contains("workloads") || document.contains("components");
  const std::string prefix = scenario_form ? "estimate." : "";
  // A section that is not an object takes no flags: the checks below say what it must be.
  const bool takes_flags =
      !scenario_form || !document.contains("estimate") || document["estimate"].is_object();
  for (const auto& [key, value] : flags) {
    if (!takes_flags) break;
    const std::string problem = spec::apply_override(document, prefix + key + "=" + value, &source);
    assert(problem.empty());  // a key of an object that exists, or of the section made here
  }
  if (scenario_form && !document.contains("estimate")) {
    err << shown << ": has no estimate section; add one (docs/estimate.md), or give its figures as flags\n"
        << "1 problem; nothing was estimated\n";
    return kExitInvalidScenario;
  }

  errors.set_source(&source);
  Json section;
  if (scenario_form) {
    if (auto scenario = models::validate_scenario(document, errors)) section = scenario->config["estimate"];
  } else {
    std::vector<spec::ReferenceUse> references;
    section = spec::normalize(document, *models::estimate_spec(), spec::Path(), errors, references);
    if (errors.empty() && section.contains("server_pool"))
      errors.add(spec::Path() / "server_pool",
                 "names a component of a scenario; a file holding only the estimate section has none");
  }
  errors.set_source(nullptr);
  if (!errors.empty()) {
    write_estimate_problems(errors, flags, prefix, has_file ? shown : "", err);
    return kExitInvalidScenario;
  }

  const models::EstimateSection read = models::read_estimate_section(section);
  const analysis::Estimate estimate = analysis::estimate(read.input);
  std::optional<Json> scenario;
  if (!scenario_path.empty()) {
    std::string problem;
    scenario = starting_scenario(estimate, read, section, problem);
    if (!scenario) {
      err << "archsim estimate: " << problem << "\n";
      return kExitInvalidScenario;
    }
    // The scenario is made to be valid; one that is not is a bug here.
    spec::Errors check;
    const bool valid = models::validate_scenario(*scenario, check).has_value();
    if (!valid) err << check.format("the starting scenario");
    assert(valid);
  }
  if (!json_path.empty() && !write_output(json_path, estimate_document(estimate, section).dump(2) + "\n", out, err))
    return kExitUsage;
  if (scenario) {
    if (!write_output(scenario_path, scenario->dump(2) + "\n", out, err)) return kExitUsage;
    if (scenario_path != "-")
      err << "archsim: wrote " << scenario_path << ", a starting scenario sized by the estimate; run it with "
          << "archsim run " << scenario_path << "\n";
  }
  if (json_path != "-" && scenario_path != "-")
    out << (parsed.has("steps") ? format_estimate_steps(estimate) : format_estimate(estimate, read.input));
  return kExitOk;
}

}  // namespace

int run_command(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err,
                const Console& console) {
  const std::string command = args.empty() ? "" : args[0];
  const bool known = command == "run" || command == "validate" || command == "describe" || command == "schema" ||
                     command == "estimate";
  try {
    if (command == "--version" || command == "version") {
      out << "archsim " << ARCHSIM_VERSION << "\n";
      return kExitOk;
    }
    if (command.empty() || command == "--help" || command == "-h" || command == "help") {
      (command.empty() ? err : out) << kUsage;
      return command.empty() ? kExitUsage : kExitOk;
    }
    if (command == "run") return command_run(args, input, out, err, console);
    if (command == "validate") return command_validate(args, input, out, err);
    if (command == "describe") return command_describe(args, out);
    if (command == "schema") return command_schema(args, out);
    if (command == "estimate") return command_estimate(args, input, out, err);
    throw Usage{"unknown command \"" + command + "\"" +
                spec::did_you_mean_suffix(command, {"run", "validate", "describe", "schema", "estimate"})};
  } catch (const Usage& usage) {
    err << "archsim" << (command.empty() || command.rfind("-", 0) == 0 ? "" : " " + command) << ": " << usage.message
        << "\n(see archsim " << (known ? command + " " : "") << "--help)\n";
    return kExitUsage;
  }
}

}  // namespace archsim::cli
