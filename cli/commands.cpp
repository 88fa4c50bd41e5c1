#include "cli/commands.h"

// --set values may contain commas (JSON arrays); never split them.
#define CXXOPTS_VECTOR_DELIMITER '\0'
// cxxopts' own option parser instead of std::regex: lighter, and free of
// GCC 12's false "may be used uninitialized" inside <regex>.
#define CXXOPTS_NO_REGEX true
#include <cxxopts.hpp>

#include <algorithm>
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

#include "cli/report.h"
#include "models/simulation/catalog.h"
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
    "                    faults or scenario; without WHAT, the list of component types\n"
    "  schema            print the JSON Schema of scenario files\n"
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
  std::vector<std::string> names = {"workload", "distribution", "faults", "scenario"};
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
    out << "\nAlso: archsim describe workload | distribution | faults | scenario\n";
    return kExitOk;
  }
  const std::string what = parsed.arguments.front();
  if (what == "workload") out << spec::markdown_reference(*models::workload_spec(), "Workload", 1);
  else if (what == "distribution") out << spec::markdown_reference(*models::time_distribution_spec(), "Distribution", 1);
  else if (what == "faults") out << spec::markdown_reference(*models::faults_spec(), "Faults", 1);
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

}  // namespace

int run_command(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err,
                const Console& console) {
  const std::string command = args.empty() ? "" : args[0];
  const bool known = command == "run" || command == "validate" || command == "describe" || command == "schema";
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
    throw Usage{"unknown command \"" + command + "\"" +
                spec::did_you_mean_suffix(command, {"run", "validate", "describe", "schema"})};
  } catch (const Usage& usage) {
    err << "archsim" << (command.empty() || command.rfind("-", 0) == 0 ? "" : " " + command) << ": " << usage.message
        << "\n(see archsim " << (known ? command + " " : "") << "--help)\n";
    return kExitUsage;
  }
}

}  // namespace archsim::cli
