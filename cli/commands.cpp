#include "cli/commands.h"

// --set values may contain commas (JSON arrays); never split them.
#define CXXOPTS_VECTOR_DELIMITER '\0'
// cxxopts' own option parser instead of std::regex: lighter, and free of
// GCC 12's false "may be used uninitialized" inside <regex>.
#define CXXOPTS_NO_REGEX true
#include <cxxopts.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include <signal.h>

#include "cli/analyze.h"
#include "cli/estimate.h"
#include "cli/goals.h"
#include "cli/replications.h"
#include "cli/sweep.h"
#include "analysis/statistics.h"
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
    "  sweep FILE        run at every point of a grid (--vary PATH=VALUES) and tabulate figures;\n"
    "                    --shard K/N runs one slice, for a batch scheduler\n"
    "  merge SLICE...    join the slices of a sharded sweep into the whole sweep's output\n"
    "  compare A B       two designs under the same random traffic: paired differences with intervals\n"
    "  plan FILE         the smallest (or largest) value of a parameter that meets every --goal\n"
  "  analyze FILE      run once and put queueing theory beside each station's simulated figures\n"
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
const char* kGoalExpected = "a goal METRIC<NUMBER such as p99_ms<200 (or <=, >, >=)";
const char* kReplicationsExpected =
    "a whole number from 2 to 1000 (a confidence interval needs two runs at least; for one run leave "
    "--replications out)";
const char* kJobsExpected = "a whole number of threads from 1 to 1024";
const char* kWarmupExpected = "auto, or a time such as 10s that is shorter than the run";

// A whole number from `low` to `high` for --option, or Usage.
std::int64_t parse_count(const std::string& option, const std::string& text, std::int64_t low, std::int64_t high,
                         const char* expected) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || stop != end || value < low || value > high)
    throw Usage{"--" + option + ": expected " + expected + ", got \"" + text + "\""};
  return value;
}

// The goals of the --check (or --goal) options, read before anything runs.
std::vector<Goal> parse_goals(const std::vector<std::string>& texts, const std::string& option) {
  std::vector<Goal> goals;
  for (const auto& text : texts) {
    Goal goal;
    const std::string problem = parse_goal(text, goal);
    if (!problem.empty()) throw Usage{"--" + option + " " + quote(text) + ": " + problem};
    goals.push_back(goal);
  }
  return goals;
}

// Judges each goal on `document` (results, or the means of replicated
// results with their half-widths in `half_widths`); a goal on a figure the
// document does not have, or with a unit that does not fit it, is a usage
// problem told with the goal.
std::vector<Verdict> judge_goals(const std::vector<Goal>& goals, const Json& document, const Json* half_widths,
                                 const std::string& option) {
  std::vector<Verdict> verdicts;
  for (const auto& goal : goals) {
    Verdict v;
    v.goal = goal;
    std::string problem = resolve_metric(document, goal.metric, v.metric);
    if (problem.empty()) problem = threshold_in_unit(goal, v.metric, v.threshold);
    if (!problem.empty()) throw Usage{"--" + option + " " + quote(goal.written) + ": " + problem};
    v.value = metric_value(document, v.metric);
    if (half_widths) {
      Metric width = v.metric;
      width.complement = false;  // the interval of 1 - x is that of x
      v.half_width = metric_value(*half_widths, width);
    }
    v.met = v.value && meets(*v.value, goal.comparison, v.threshold);
    verdicts.push_back(v);
  }
  return verdicts;
}

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
       {"quiet", "", "", "Print no report, no progress and no run summary"},
       {"theory", "", "",
        "After the report, queueing theory beside each station, as archsim analyze prints it (keeps the time "
        "series in memory)"},
       {"replications", "R", kReplicationsExpected,
        "Run R independent replications (seeds derived from the scenario's) and report each figure's mean and 95 % "
        "confidence interval"},
       {"jobs", "N", kJobsExpected, "Run replications on N threads (default: every core); the results are the same"},
       {"warmup", "auto", kWarmupExpected,
        "auto: choose the warm-up by MSER-5 on the mean latency per interval, from pilot runs; or a time"},
       {"check", "GOAL", kGoalExpected,
        "Judge a goal on the results, e.g. \"p99_ms<200\" (repeatable; exit code 4 if one fails; docs/goals.md)",
        true}}};
  return command;
}

const char* kVaryExpected = "PATH=LIST or PATH=FROM..TO[:STEP], such as components.web.workers=2,4,8";
const char* kMetricExpected = "a figure of the results such as p99_ms or components.db.utilization";

const Command& sweep_command_line() {
  static const Command command{
      "sweep",
      "Run a scenario at every point of a grid of values and tabulate chosen figures",
      "FILE",
      {{"vary", "PATH=VALUES", kVaryExpected,
        "A scenario path and its values: a list 2,4,8 or a range 1..16[:STEP] (repeatable: a grid, the first "
        "outermost)",
        true},
       {"metric", "METRIC", kMetricExpected,
        "A figure to tabulate, e.g. p99_ms (repeatable; default throughput_qps, p99_ms, success_ratio)", true},
       {"replications", "R", kReplicationsExpected, "R replications per point: each figure's mean and 95 % interval"},
       {"jobs", "N", kJobsExpected, "Run on N threads (default: every core); the output is the same"},
       {"seed", "N", kSeedExpected, "Seed of every random stream (overrides the scenario's)"},
       {"duration", "TIME", kDurationExpected, "Simulated time of each run (overrides duration_s)"},
       {"set", "PATH=VALUE", kSetExpected, "Override a scenario field at every point (repeatable)", true},
       {"shard", "K/N", "K/N, the K-th of N slices, such as 3/8",
        "Run only the K-th of N slices of the points (needs --json; join the slices with archsim merge)"},
       {"json", "FILE", "a file name, or - for standard output", "Write the table as JSON to FILE"},
       {"csv", "FILE", "a file name, or - for standard output",
        "Write the table as CSV to FILE (the default: standard output)"}}};
  return command;
}

const Command& merge_command_line() {
  static const Command command{
      "merge",
      "Join the slices of a sharded sweep into the output of the whole sweep",
      "SLICE...",
      {{"json", "FILE", "a file name, or - for standard output", "Write the whole table as JSON to FILE"},
       {"csv", "FILE", "a file name, or - for standard output",
        "Write the whole table as CSV to FILE (the default: standard output)"}}};
  return command;
}

const Command& compare_command_line() {
  static const Command command{
      "compare",
      "Compare two designs under common random numbers: each figure's paired difference with its 95 % interval",
      "A B",
      {{"metric", "METRIC", kMetricExpected,
        "A figure to compare, e.g. p99_ms (repeatable; default throughput_qps, success_ratio, mean_ms, p50_ms, "
        "p99_ms, p999_ms)",
        true},
       {"replications", "R", kReplicationsExpected, "Replications of each design (default 10), with the same seeds"},
       {"jobs", "N", kJobsExpected, "Run on N threads (default: every core); the output is the same"},
       {"seed", "N", kSeedExpected, "Seed the replications' seeds derive from (default: A's seed)"},
       {"duration", "TIME", kDurationExpected, "Simulated time of each run (overrides both duration_s)"},
       {"set", "PATH=VALUE", kSetExpected, "Override a field of both scenarios (repeatable)", true},
       {"json", "FILE", "a file name, or - for standard output", "Write the comparison as JSON to FILE"}}};
  return command;
}

const Command& plan_command_line() {
  static const Command command{
      "plan",
      "Find the smallest (or largest) value of a parameter that meets every goal, judged with replications",
      "FILE",
      {{"vary", "PATH=VALUES", kVaryExpected,
        "The parameter and its candidate values in increasing order: a list 2,4,8 or a range 1..64[:STEP]"},
       {"goal", "GOAL", kGoalExpected, "A goal every candidate is judged by, e.g. \"p99_ms<100\" (repeatable)", true},
       {"largest", "", "", "Find the largest value that meets the goals (a limit), not the smallest (a size)"},
       {"replications", "R", kReplicationsExpected, "Replications of each candidate (default 10)"},
       {"jobs", "N", kJobsExpected, "Run on N threads (default: every core); the output is the same"},
       {"seed", "N", kSeedExpected, "Seed the replications' seeds derive from (overrides the scenario's)"},
       {"duration", "TIME", kDurationExpected, "Simulated time of each run (overrides duration_s)"},
       {"set", "PATH=VALUE", kSetExpected, "Override a scenario field for every candidate (repeatable)", true},
       {"json", "FILE", "a file name, or - for standard output", "Write the search and its evidence as JSON to FILE"}}};
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

// Set by the SIGINT handler, read between slices of a run, by every thread
// of a command that runs several. A handler may do no more than set a flag
// of this kind: an atomic that needs no lock.
std::atomic<bool> interrupt_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_interrupt(int) { interrupt_requested.store(true, std::memory_order_relaxed); }

// Catches SIGINT for the length of a run. SA_RESETHAND puts the default
// action back as the first one is delivered, so a second Ctrl-C ends the
// process at once; the action found before is restored afterwards. A process
// started with SIGINT ignored (in the background of a script) keeps ignoring it.
class InterruptGuard {
 public:
  explicit InterruptGuard(bool enabled) {
    interrupt_requested.store(false, std::memory_order_relaxed);
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
  bool requested() const { return interrupt_requested.load(std::memory_order_relaxed); }

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

// One line on standard error, redrawn in place, counting the runs done of
// a command that makes many (replications, sweep, compare, plan); only on a
// terminal (Console::progress). It reads no clock: what it prints depends
// on the order runs finish in, which is why it goes to standard error only.
class RunsProgress {
 public:
  RunsProgress(std::ostream& err, bool enabled, std::string label, std::size_t total)
      : err_(err), enabled_(enabled), label_(std::move(label)), total_(total) {}
  // For run_tasks: `done` runs of the batch started after `before` others.
  std::function<void(std::size_t)> batch(std::size_t before) {
    if (!enabled_) return {};
    return [this, before](std::size_t done) {
      const std::string text = "archsim: " + label_ + ": " + std::to_string(before + done) + " of " +
                               std::to_string(total_) + " runs done";
      err_ << "\r" << text << std::flush;
      width_ = std::max(width_, text.size());
    };
  }
  void erase() {
    if (width_ == 0) return;
    err_ << "\r" << std::string(width_, ' ') << "\r" << std::flush;
    width_ = 0;
  }
  ~RunsProgress() { erase(); }
  RunsProgress(const RunsProgress&) = delete;
  RunsProgress& operator=(const RunsProgress&) = delete;

 private:
  std::ostream& err_;
  bool enabled_;
  std::string label_;
  std::size_t total_;
  std::size_t width_ = 0;
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
// repeats the run. Where the results go (--json, --csv, --quiet), the
// threads (--jobs) and the goals judged (--check) are left out, so the same
// run written to two places gives identical bytes.
std::vector<std::string> shaping_arguments(const Parsed& parsed, const std::string& path) {
  std::vector<std::string> arguments = {path};
  for (const char* option : {"seed", "duration", "replications", "warmup"})
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

bool write_output(const std::string& path, const std::string& text, std::ostream& out, std::ostream& err);

// --warmup auto: pilot runs without a warm-up, one per seed, and MSER-5 on
// their mean latency per interval, averaged interval by interval; sets the
// scenario's warmup_s to the choice and returns it as the results record it.
Json choose_warmup_by_mser5(models::Scenario& scenario, const std::vector<std::uint64_t>& seeds,
                            const models::RunOptions& run_options, unsigned jobs) {
  models::Scenario pilot = scenario;
  pilot.config["warmup_s"] = 0;
  std::vector<RunTask> tasks;
  for (const auto seed : seeds) {
    models::RunOptions options = run_options;
    options.seed = seed;
    tasks.push_back({&pilot, options, true});
  }
  const double interval_s = scenario.config["report_interval_s"].get<double>();
  const WarmupChoice choice = choose_warmup(run_tasks(tasks, jobs), interval_s);
  scenario.config["warmup_s"] = choice.warmup_s;
  return {{"method", "mser5"},
          {"figure", "latency_mean_ms"},
          {"warmup_s", choice.warmup_s},
          {"intervals", choice.intervals},
          {"series_intervals", choice.series_intervals},
          {"interval_s", interval_s},
          {"at_limit", choice.at_limit}};
}

// run --replications: the runs on threads, their figures joined, the
// report, JSON and CSV of the means and intervals, and the goals judged on
// the means.
int run_replications(const Parsed& parsed, const std::string& path, const models::Scenario& scenario,
                     const models::RunOptions& run_options, const std::vector<std::uint64_t>& seeds, unsigned jobs,
                     const Json& warmup, const std::vector<Goal>& goals, std::ostream& out, std::ostream& err,
                     const Console& console) {
  const bool quiet = parsed.has("quiet");
  const std::string json_path = parsed.has("json") ? parsed.value("json") : "";
  std::vector<RunTask> tasks;
  for (const auto seed : seeds) {
    models::RunOptions options = run_options;
    options.seed = seed;
    tasks.push_back({&scenario, options, false});
  }
  std::vector<Json> runs;
  bool interrupted = false;
  {
    const InterruptGuard interrupts(console.interrupt);
    RunsProgress progress(err, console.progress && !quiet, "replications", tasks.size());
    runs = run_tasks(tasks, jobs, progress.batch(0), [&interrupts] { return !interrupts.requested(); });
    interrupted = interrupts.requested();
  }
  std::vector<std::uint64_t> used_seeds = seeds;
  if (interrupted) {
    // Ctrl-C: the replications that ran to their end are reported, those cut
    // short or never started are left out.
    std::vector<Json> whole;
    used_seeds.clear();
    for (std::size_t i = 0; i < runs.size(); ++i)
      if (!runs[i].is_null() && runs[i]["run"]["stop_reason"] != "interrupted") {
        whole.push_back(std::move(runs[i]));
        used_seeds.push_back(seeds[i]);
      }
    runs = std::move(whole);
    if (runs.size() < 2) {
      err << "archsim: interrupted with " << runs.size() << " of " << seeds.size()
          << " replications run to their end; an interval needs two: nothing was written\n";
      return kExitStoppedEarly;
    }
  }
  Json results = replicated_results(runs, used_seeds,
                                    run_options.seed.value_or(scenario.config["seed"].get<std::uint64_t>()), warmup);
  if (interrupted) {
    results["replications"]["interrupted"] = true;
    results["replications"]["requested"] = seeds.size();
  }
  results["run"]["arguments"] = shaping_arguments(parsed, path);
  results["run"]["overrides"] = parsed.values("set");
  if (!json_path.empty() && !write_output(json_path, results.dump(2) + "\n", out, err)) return kExitUsage;
  if (parsed.has("csv")) {
    const std::string directory = parsed.value("csv");
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (!write_output((std::filesystem::path(directory) / "replications.csv").string(), replicated_csv(results), out,
                      err))
      return kExitUsage;
  }
  if (!quiet && json_path != "-") out << format_replicated_report(results);
  bool goals_failed = false;
  if (!goals.empty()) {
    auto verdicts = judge_goals(goals, results["mean"], &results["ci95"], "check");
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const auto one = judge_goals(goals, runs[i], nullptr, "check");
      for (std::size_t g = 0; g < verdicts.size(); ++g) {
        ++verdicts[g].replications;
        if (one[g].met) ++verdicts[g].replications_met;
        else verdicts[g].seeds_missed.push_back(used_seeds[i]);
      }
    }
    for (const auto& v : verdicts) goals_failed = goals_failed || !v.met;
    (json_path == "-" ? err : out) << format_verdicts(verdicts);
  }
  if (interrupted)
    err << "archsim: interrupted: " << runs.size() << " of " << seeds.size()
        << " replications ran to their end, and the figures are theirs\n";
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (!runs[i]["run"]["completed"].get<bool>()) {
      err << "archsim: replication " << i + 1 << " (seed " << used_seeds[i] << ") stopped early "
          << runs[i]["run"]["problem"].get<std::string>() << "; its figures cover the time simulated until then\n";
      return kExitStoppedEarly;
    }
  if (interrupted) return kExitStoppedEarly;
  return goals_failed ? kExitGoalsFailed : kExitOk;
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

  const std::vector<Goal> goals = parse_goals(parsed.values("check"), "check");
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
  if (run_options.duration_s && !parsed.has("warmup") &&
      scenario->config["warmup_s"].get<double>() >= *run_options.duration_s) {
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
  const std::uint64_t seed = run_options.seed.value_or(scenario->config["seed"].get<std::uint64_t>());
  const std::size_t replications =
      parsed.has("replications")
          ? static_cast<std::size_t>(parse_count("replications", parsed.value("replications"), 2, 1000,
                                                 kReplicationsExpected))
          : 1;
  const unsigned jobs = parsed.has("jobs")
                            ? static_cast<unsigned>(parse_count("jobs", parsed.value("jobs"), 1, 1024, kJobsExpected))
                            : default_jobs();
  const std::vector<std::uint64_t> seeds =
      parsed.has("replications") ? replication_seeds(seed, replications) : std::vector<std::uint64_t>{seed};
  if (parsed.has("theory") && parsed.has("replications"))
    throw Usage{"--theory compares one run with theory; it does not combine with --replications (run archsim analyze "
                "with a longer --duration instead)"};
  if (parsed.has("jobs") && !parsed.has("replications"))
    throw Usage{"--jobs: runs replications on threads; give --replications R with it"};
  Json warmup = {{"method", "scenario"}, {"warmup_s", scenario->config["warmup_s"]}};
  if (parsed.has("warmup")) {
    const std::string text = parsed.value("warmup");
    const double run_s = run_options.duration_s.value_or(scenario->config["duration_s"].get<double>());
    if (text == "auto") {
      warmup = choose_warmup_by_mser5(*scenario, seeds, run_options, jobs);
    } else {
      const auto d = parse_duration(text);
      if (!d || *d >= run_s) throw Usage{value_problem("warmup", kWarmupExpected, quote(text))};
      scenario->config["warmup_s"] = *d;
      warmup = {{"method", "given"}, {"warmup_s", *d}};
    }
    if (!quiet && text == "auto")
      err << "archsim: warm-up " << spec::format_number(warmup["warmup_s"].get<double>())
          << " s, chosen by MSER-5 on latency_mean_ms (" << warmup["intervals"] << " of " << warmup["series_intervals"]
          << " intervals)"
          << (warmup["at_limit"].get<bool>()
                  ? "; that is half the run, the most MSER-5 may drop: the series may not have settled, so run "
                    "longer or with a shorter report_interval_s"
                  : "")
          << "\n";
  }
  if (parsed.has("replications"))
    return run_replications(parsed, path, *scenario, run_options, seeds, jobs, warmup, goals, out, err, console);
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
  // --theory: the analysis reads the series' intervals after the run.
  models::MemorySeries theory_series;
  if (parsed.has("theory")) series.add(&theory_series);
  if (!csv_series && !json_rows && !parsed.has("theory")) series.add(&discard);

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
  if (parsed.has("theory") && json_path != "-") {
    Json with_rows = results;
    with_rows["timeseries"]["rows"] = theory_series.rows_json();
    out << "\n" << format_analysis(analysis_document(scenario->config, with_rows));
  }
  bool goals_failed = false;
  if (!goals.empty()) {
    const auto verdicts = judge_goals(goals, results, nullptr, "check");
    for (const auto& v : verdicts) goals_failed = goals_failed || !v.met;
    (json_path == "-" ? err : out) << format_verdicts(verdicts);
  }
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
  return goals_failed ? kExitGoalsFailed : kExitOk;
}

// The options compare and plan share with sweep: replications (with a
// default), jobs, seed, duration.
struct RepeatOptions {
  std::size_t replications = 10;
  unsigned jobs = 1;
  models::RunOptions run;
};

RepeatOptions repeat_options(const Parsed& parsed) {
  RepeatOptions o;
  if (parsed.has("replications"))
    o.replications = static_cast<std::size_t>(
        parse_count("replications", parsed.value("replications"), 2, 1000, kReplicationsExpected));
  o.jobs = parsed.has("jobs") ? static_cast<unsigned>(parse_count("jobs", parsed.value("jobs"), 1, 1024, kJobsExpected))
                              : default_jobs();
  if (parsed.has("seed")) o.run.seed = parse_seed(parsed.value("seed"));
  if (parsed.has("duration")) {
    const auto d = parse_duration(parsed.value("duration"));
    if (!d || *d > sim::kMaxTimeSeconds)
      throw Usage{value_problem("duration", kDurationExpected, quote(parsed.value("duration")))};
    o.run.duration_s = *d;
  }
  return o;
}

// Loads a scenario for compare or plan; nullopt after writing its problems.
std::optional<models::Scenario> load_checked(const std::string& text, const std::string& shown,
                                             const std::vector<std::string>& overrides, const std::string& context,
                                             const RepeatOptions& options, std::ostream& err) {
  spec::Errors errors;
  auto scenario = models::load_scenario(text, overrides, errors);
  if (!scenario) {
    if (!context.empty()) err << context << ":\n";
    err << errors.format(shown) << (errors.size() == 1 ? "1 problem" : std::to_string(errors.size()) + " problems")
        << "; nothing was run\n";
    return std::nullopt;
  }
  if (options.run.duration_s && scenario->config["warmup_s"].get<double>() >= *options.run.duration_s)
    throw Usage{"--duration is not longer than the warmup_s of " + shown};
  return scenario;
}

std::vector<RunTask> replication_tasks(const models::Scenario& scenario, const models::RunOptions& run,
                                       const std::vector<std::uint64_t>& seeds) {
  std::vector<RunTask> tasks;
  for (const auto s : seeds) {
    models::RunOptions options = run;
    options.seed = s;
    tasks.push_back({&scenario, options, false});
  }
  return tasks;
}

// A figure's values over replications; nullopt if a run has none.
std::optional<std::vector<double>> figure_values(const std::vector<Json>& runs, const Metric& metric) {
  std::vector<double> values;
  for (const auto& run : runs) {
    const auto value = metric_value(run, metric);
    if (!value) return std::nullopt;
    values.push_back(*value);
  }
  return values;
}

Json interval_json(const std::optional<std::vector<double>>& values) {
  if (!values) return nullptr;
  const auto i = analysis::mean_interval(*values);
  return {{"mean", i.mean}, {"ci95", i.half_width}};
}

std::string interval_text(const Json& interval) {
  if (interval.is_null()) return "-";
  return short_number(interval["mean"].get<double>()) + " ± " + short_number(interval["ci95"].get<double>());
}

// Writes a sweep's table where --json and --csv say (CSV on standard output
// when neither is given); false if a file cannot be written.
bool write_table(const Parsed& parsed, const Json& table, std::ostream& out, std::ostream& err) {
  const std::string json_path = parsed.has("json") ? parsed.value("json") : "";
  const std::string csv_path = parsed.has("csv") ? parsed.value("csv") : (json_path.empty() ? "-" : "");
  if (json_path == "-" && csv_path == "-")
    throw Usage{"--json - and --csv - would both write to standard output; give one of them a file"};
  if (!json_path.empty() && !write_output(json_path, table.dump(2) + "\n", out, err)) return false;
  if (!csv_path.empty() && !write_output(csv_path, sweep_csv(table), out, err)) return false;
  return true;
}

// sweep: every point's scenario is loaded and checked before anything runs;
// the runs (points x replications) go to the threads together; the metrics
// are resolved on the first point's first run, before the others run.
int command_sweep(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err,
                  const Console& console) {
  const Command& command = sweep_command_line();
  const Parsed parsed = parse(command, args);
  if (parsed.has("help")) {
    out << help_of(command);
    return kExitOk;
  }
  const std::string path = scenario_file(parsed);
  std::vector<Vary> varies;
  for (const auto& text : parsed.values("vary")) {
    Vary vary;
    const std::string problem = parse_vary(text, vary);
    if (!problem.empty()) throw Usage{"--vary " + problem};
    for (const auto& other : varies)
      if (other.path == vary.path) throw Usage{"--vary " + vary.path + ": given twice; give each path one --vary"};
    varies.push_back(vary);
  }
  if (varies.empty()) throw Usage{"nothing to sweep: give --vary PATH=VALUES, such as --vary components.web.workers=2,4,8"};
  const std::size_t points = grid_size(varies);
  if (points > kMaxSweepPoints)
    throw Usage{"--vary: the grid has more than " + std::to_string(kMaxSweepPoints) + " points; sweep fewer values"};
  Shard shard;
  if (parsed.has("shard")) {
    const std::string problem = parse_shard(parsed.value("shard"), points, shard);
    if (!problem.empty()) throw Usage{"--shard: " + problem};
    if (!parsed.has("json"))
      throw Usage{"--shard: archsim merge joins the slices from their JSON; give --json FILE for this slice"};
  }
  std::vector<std::string> metric_texts = parsed.values("metric");
  if (metric_texts.empty()) metric_texts = {"throughput_qps", "p99_ms", "success_ratio"};
  const std::size_t replications =
      parsed.has("replications") ? static_cast<std::size_t>(parse_count("replications", parsed.value("replications"), 2,
                                                                         1000, kReplicationsExpected))
                                 : 1;
  const unsigned jobs = parsed.has("jobs")
                            ? static_cast<unsigned>(parse_count("jobs", parsed.value("jobs"), 1, 1024, kJobsExpected))
                            : default_jobs();
  models::RunOptions run_options;
  if (parsed.has("seed")) run_options.seed = parse_seed(parsed.value("seed"));
  if (parsed.has("duration")) {
    const auto d = parse_duration(parsed.value("duration"));
    if (!d || *d > sim::kMaxTimeSeconds)
      throw Usage{value_problem("duration", kDurationExpected, quote(parsed.value("duration")))};
    run_options.duration_s = *d;
  }
  std::string text;
  if (!read_text(path, input, text, err)) return kExitUsage;
  const std::string shown = path == "-" ? "<stdin>" : path;

  // The points of this slice. Each is loaded and checked before anything
  // runs; then they run in batches, each batch's scenarios and results
  // dropped once its rows are made, so that memory does not grow with the
  // number of points.
  std::vector<std::size_t> slice;
  for (std::size_t p = 0; p < points; ++p)
    if (in_shard(p, shard)) slice.push_back(p);
  const auto load_point = [&](std::size_t p, std::string& where) -> std::optional<models::Scenario> {
    std::vector<std::string> overrides = parsed.values("set");
    const auto indexes = grid_indexes(varies, p);
    for (std::size_t v = 0; v < varies.size(); ++v) {
      const std::string assignment = varies[v].path + "=" + varies[v].texts[indexes[v]];
      overrides.push_back(assignment);
      if (!where.empty()) where += ' ';
      where += assignment;
    }
    spec::Errors errors;
    auto scenario = models::load_scenario(text, overrides, errors);
    if (!scenario) {
      err << "archsim sweep: at the point " << where << ":\n" << errors.format(shown)
          << (errors.size() == 1 ? "1 problem" : std::to_string(errors.size()) + " problems") << "; nothing was run\n";
      return std::nullopt;
    }
    if (run_options.duration_s && scenario->config["warmup_s"].get<double>() >= *run_options.duration_s)
      throw Usage{"--duration " + parsed.value("duration") + " is not longer than the scenario's warmup_s at the point " +
                  where};
    return scenario;
  };
  for (const std::size_t p : slice) {
    std::string where;
    if (!load_point(p, where)) return kExitInvalidScenario;
  }

  Json sweep = Json::object();
  sweep["scenario"] = path;
  std::vector<std::string> arguments = {path};
  for (const char* option : {"seed", "duration", "replications"})
    if (parsed.has(option)) {
      arguments.push_back(std::string("--") + option);
      arguments.push_back(parsed.value(option));
    }
  for (const auto& assignment : parsed.values("set")) {
    arguments.push_back("--set");
    arguments.push_back(assignment);
  }
  sweep["arguments"] = arguments;
  sweep["vary"] = Json::array();
  for (const auto& v : varies) sweep["vary"].push_back({{"path", v.path}, {"values", v.values}});
  sweep["metrics"] = metric_texts;
  sweep["replications"] = replications;
  sweep["points"] = points;
  Json table = Json::object();
  table["sweep"] = sweep;
  if (parsed.has("shard")) table["shard"] = {{"index", shard.index}, {"count", shard.count}};
  table["rows"] = Json::array();

  // The first batch is the first point alone: a metric that is not in its
  // results is told before the rest runs.
  RunsProgress progress(err, console.progress, "sweep", slice.size() * replications);
  std::vector<Metric> metrics;
  bool completed = true;
  const std::size_t batch_points = std::max<std::size_t>(1, (4 * static_cast<std::size_t>(jobs) + replications - 1) / replications);
  for (std::size_t first = 0; first < slice.size();) {
    const std::size_t count = first == 0 ? 1 : std::min(batch_points, slice.size() - first);
    std::vector<models::Scenario> scenarios;
    scenarios.reserve(count);
    for (std::size_t i = first; i < first + count; ++i) {
      std::string where;
      scenarios.push_back(std::move(*load_point(slice[i], where)));
    }
    // Each point's seeds derive from its own seed (the scenario's, or
    // --seed): a sweep over `seed` itself gets other runs at each point.
    std::vector<RunTask> tasks;
    for (const auto& scenario : scenarios) {
      const std::uint64_t seed = run_options.seed.value_or(scenario.config["seed"].get<std::uint64_t>());
      const auto seeds = replications > 1 ? replication_seeds(seed, replications) : std::vector<std::uint64_t>{seed};
      for (const auto& t : replication_tasks(scenario, run_options, seeds)) tasks.push_back(t);
    }
    const std::vector<Json> results = run_tasks(tasks, jobs, progress.batch(first * replications));
    if (first == 0)
      for (const auto& written : metric_texts) {
        Metric metric;
        const std::string problem = resolve_metric(results.front(), written, metric);
        if (!problem.empty()) {
          progress.erase();
          throw Usage{"--metric " + quote(written) + ": " + problem};
        }
        metrics.push_back(metric);
      }
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t point = slice[first + i];
      Json row = Json::object();
      row["point"] = point;
      row["values"] = Json::object();
      const auto indexes = grid_indexes(varies, point);
      for (std::size_t v = 0; v < varies.size(); ++v) row["values"][varies[v].path] = varies[v].values[indexes[v]];
      row["metrics"] = Json::object();
      if (replications > 1) row["ci95"] = Json::object();
      const std::vector<Json> runs(results.begin() + static_cast<std::ptrdiff_t>(i * replications),
                                   results.begin() + static_cast<std::ptrdiff_t>((i + 1) * replications));
      for (const auto& run : runs) completed = completed && run["run"]["completed"].get<bool>();
      for (std::size_t m = 0; m < metrics.size(); ++m) {
        const std::string& name = metric_texts[m];
        const auto values = figure_values(runs, metrics[m]);
        if (!values) {
          row["metrics"][name] = nullptr;
          if (replications > 1) row["ci95"][name] = nullptr;
        } else if (replications > 1) {
          const auto interval = analysis::mean_interval(*values);
          row["metrics"][name] = interval.mean;
          row["ci95"][name] = interval.half_width;
        } else {
          row["metrics"][name] = values->front();
        }
      }
      table["rows"].push_back(std::move(row));
    }
    first += count;
  }
  progress.erase();
  if (!write_table(parsed, table, out, err)) return kExitUsage;
  if (!completed) {
    err << "archsim sweep: a run stopped early (a limit of the scenario); its figures cover the time simulated until "
           "then\n";
    return kExitStoppedEarly;
  }
  return kExitOk;
}

int command_merge(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err) {
  const Command& command = merge_command_line();
  const Parsed parsed = parse(command, args);
  if (parsed.has("help")) {
    out << help_of(command);
    return kExitOk;
  }
  if (parsed.arguments.empty()) throw Usage{"missing the SLICE files (the --json of each archsim sweep --shard K/N)"};
  std::vector<Json> slices;
  for (const auto& name : parsed.arguments) {
    std::string text;
    if (!read_text(name, input, text, err)) return kExitUsage;
    Json slice = Json::parse(text, nullptr, false);
    if (slice.is_discarded()) {
      err << "archsim merge: " << name << " is not JSON; give the --json files of the sweep's slices\n";
      return kExitUsage;
    }
    slices.push_back(std::move(slice));
  }
  Json merged;
  const std::string problem = merge_slices(slices, parsed.arguments, merged);
  if (!problem.empty()) {
    err << "archsim merge: " << problem << "\n";
    return kExitUsage;
  }
  return write_table(parsed, merged, out, err) ? kExitOk : kExitUsage;
}

// compare: the same seeds for both designs, so each replication of B sees
// the arrivals of the same replication of A (every component draws from a
// stream of its own name); the difference B - A is taken replication by
// replication and its interval is that of the paired differences.
int command_compare(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err,
                    const Console& console) {
  const Command& command = compare_command_line();
  const Parsed parsed = parse(command, args);
  if (parsed.has("help")) {
    out << help_of(command);
    return kExitOk;
  }
  if (parsed.arguments.size() != 2)
    throw Usage{"expected two scenario files A and B, got " + std::to_string(parsed.arguments.size()) +
                (parsed.arguments.empty() ? "" : ": " + joined(parsed.arguments))};
  const std::string& path_a = parsed.arguments[0];
  const std::string& path_b = parsed.arguments[1];
  if (path_a == "-" && path_b == "-") throw Usage{"- (standard input) is named twice; it can be read only once"};
  const RepeatOptions options = repeat_options(parsed);
  std::vector<std::string> metric_texts = parsed.values("metric");
  if (metric_texts.empty()) metric_texts = {"throughput_qps", "success_ratio", "mean_ms", "p50_ms", "p99_ms", "p999_ms"};
  std::string text_a, text_b;
  if (!read_text(path_a, input, text_a, err) || !read_text(path_b, input, text_b, err)) return kExitUsage;
  const std::string shown_a = path_a == "-" ? "<stdin>" : path_a;
  const std::string shown_b = path_b == "-" ? "<stdin>" : path_b;
  const auto a = load_checked(text_a, shown_a, parsed.values("set"), "", options, err);
  if (!a) return kExitInvalidScenario;
  const auto b = load_checked(text_b, shown_b, parsed.values("set"), "", options, err);
  if (!b) return kExitInvalidScenario;
  const std::uint64_t seed = options.run.seed.value_or(a->config["seed"].get<std::uint64_t>());
  const auto seeds = replication_seeds(seed, options.replications);
  std::vector<RunTask> tasks = replication_tasks(*a, options.run, seeds);
  for (auto& t : replication_tasks(*b, options.run, seeds)) tasks.push_back(t);
  std::vector<Json> runs;
  {
    RunsProgress progress(err, console.progress, "compare", tasks.size());
    runs = run_tasks(tasks, options.jobs, progress.batch(0));
  }
  const std::vector<Json> runs_a(runs.begin(), runs.begin() + static_cast<std::ptrdiff_t>(seeds.size()));
  const std::vector<Json> runs_b(runs.begin() + static_cast<std::ptrdiff_t>(seeds.size()), runs.end());

  Json document = Json::object();
  document["compare"] = {{"a", path_a},
                         {"b", path_b},
                         {"replications", options.replications},
                         {"seed", seed},
                         {"seeds", seeds},
                         {"overrides", parsed.values("set")}};
  document["metrics"] = Json::array();
  std::string table;
  std::vector<std::array<std::string, 5>> lines = {{"metric", "A", "B", "B - A (paired)", ""}};
  for (const auto& written : metric_texts) {
    Metric metric_a, metric_b;
    const std::string problem_a = resolve_metric(runs_a.front(), written, metric_a);
    const std::string problem_b = resolve_metric(runs_b.front(), written, metric_b);
    if (!problem_a.empty() && !problem_b.empty()) throw Usage{"--metric " + quote(written) + ": " + problem_a};
    const auto values_a = problem_a.empty() ? figure_values(runs_a, metric_a) : std::nullopt;
    const auto values_b = problem_b.empty() ? figure_values(runs_b, metric_b) : std::nullopt;
    Json row = {{"metric", written}, {"a", interval_json(values_a)}, {"b", interval_json(values_b)}};
    std::optional<std::vector<double>> differences;
    if (values_a && values_b) {
      differences.emplace();
      for (std::size_t i = 0; i < values_a->size(); ++i) differences->push_back((*values_b)[i] - (*values_a)[i]);
    }
    row["difference"] = interval_json(differences);
    std::string verdict;
    if (differences) {
      const double mean = row["difference"]["mean"].get<double>();
      const double half = row["difference"]["ci95"].get<double>();
      verdict = std::fabs(mean) > half ? (mean > 0 ? "B higher" : "B lower") : "no significant difference";
      row["significant"] = std::fabs(mean) > half;
    } else {
      row["significant"] = nullptr;
    }
    lines.push_back({written, interval_text(row["a"]), interval_text(row["b"]), interval_text(row["difference"]), verdict});
    document["metrics"].push_back(std::move(row));
  }
  const std::string json_path = parsed.has("json") ? parsed.value("json") : "";
  if (!json_path.empty() && !write_output(json_path, document.dump(2) + "\n", out, err)) return kExitUsage;
  if (json_path != "-") {
    out << "A: " << shown_a << "\nB: " << shown_b << "\n" << options.replications
        << " replications of each, with the same seeds (common random numbers, from seed " << seed
        << "); mean ± half-width of the 95 % interval\n\n";
    std::array<std::size_t, 5> width{};
    for (const auto& line : lines)
      for (std::size_t c = 0; c < 5; ++c) width[c] = std::max(width[c], display_width(line[c]));
    for (const auto& line : lines) {
      std::string text = " ";
      for (std::size_t c = 0; c < 5; ++c)
        text += " " + line[c] + (c + 1 < 5 ? std::string(width[c] + 1 - display_width(line[c]), ' ') : "");
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out << text << "\n";
    }
  }
  return kExitOk;
}

// plan: bisection over the candidates, assuming the goals are met from some
// value on (or, with --largest, up to some value). A candidate meets a goal
// only when its whole 95 % interval is on the right side of the bound, so
// the answer is met with confidence, not by the luck of the draws.
int command_plan(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err,
                 const Console& console) {
  const Command& command = plan_command_line();
  const Parsed parsed = parse(command, args);
  if (parsed.has("help")) {
    out << help_of(command);
    return kExitOk;
  }
  const std::string path = scenario_file(parsed);
  if (!parsed.has("vary")) throw Usage{"nothing to search: give --vary PATH=VALUES, such as --vary components.web.workers=1..64"};
  Vary vary;
  if (const std::string problem = parse_vary(parsed.value("vary"), vary); !problem.empty()) throw Usage{"--vary " + problem};
  for (std::size_t i = 1; i < vary.values.size(); ++i)
    if (!vary.values[i].is_number() || !vary.values[i - 1].is_number() ||
        vary.values[i].get<double>() <= vary.values[i - 1].get<double>())
      throw Usage{"--vary " + vary.path + ": plan searches numbers in increasing order, got " + vary.texts[i - 1] +
                  " then " + vary.texts[i]};
  const std::vector<Goal> goals = parse_goals(parsed.values("goal"), "goal");
  if (goals.empty()) throw Usage{"nothing to meet: give --goal, such as --goal \"p99_ms<100\""};
  const RepeatOptions options = repeat_options(parsed);
  const bool largest = parsed.has("largest");
  std::string text;
  if (!read_text(path, input, text, err)) return kExitUsage;
  const std::string shown = path == "-" ? "<stdin>" : path;

  // Every candidate is loaded and checked before anything runs.
  std::vector<models::Scenario> scenarios;
  for (const auto& value : vary.texts) {
    std::vector<std::string> overrides = parsed.values("set");
    overrides.push_back(vary.path + "=" + value);
    auto scenario = load_checked(text, shown, overrides, "archsim plan: at " + vary.path + "=" + value, options, err);
    if (!scenario) return kExitInvalidScenario;
    scenarios.push_back(std::move(*scenario));
  }
  const std::uint64_t seed = options.run.seed.value_or(scenarios.front().config["seed"].get<std::uint64_t>());
  const auto seeds = replication_seeds(seed, options.replications);

  // Judged candidates, by index: whether every goal is met with confidence.
  std::vector<std::optional<bool>> judged(vary.values.size());
  Json evidence = Json::array();
  const auto judge = [&](std::size_t index) {
    if (judged[index]) return *judged[index];
    std::vector<Json> runs;
    {
      RunsProgress progress(err, console.progress, "plan: " + vary.path + "=" + vary.texts[index], seeds.size());
      runs = run_tasks(replication_tasks(scenarios[index], options.run, seeds), options.jobs, progress.batch(0));
    }
    Json entry = {{"value", vary.values[index]}, {"goals", Json::array()}};
    bool all = true;
    for (const auto& goal : goals) {
      Metric metric;
      std::string problem = resolve_metric(runs.front(), goal.metric, metric);
      double threshold = 0;
      if (problem.empty()) problem = threshold_in_unit(goal, metric, threshold);
      if (!problem.empty()) throw Usage{"--goal " + quote(goal.written) + ": " + problem};
      const auto values = figure_values(runs, metric);
      bool met = false;
      Json interval = interval_json(values);
      if (values) {
        const double mean = interval["mean"].get<double>(), half = interval["ci95"].get<double>();
        const bool below = goal.comparison == Comparison::Less || goal.comparison == Comparison::LessOrEqual;
        met = meets(below ? mean + half : mean - half, goal.comparison, threshold);
      }
      all = all && met;
      entry["goals"].push_back({{"goal", goal.written}, {"value", interval}, {"met", met}});
    }
    entry["met"] = all;
    evidence.push_back(std::move(entry));
    judged[index] = all;
    return all;
  };
  // Smallest: the goals hold from the answer on; the search keeps `fail`
  // below the answer and `pass` at or above it. Largest: the mirror image.
  const std::size_t n = vary.values.size();
  std::optional<std::size_t> answer, failing;
  if (!largest) {
    if (judge(n - 1)) {
      std::ptrdiff_t fail = -1, pass = static_cast<std::ptrdiff_t>(n - 1);
      while (pass - fail > 1) {
        const std::ptrdiff_t middle = fail + (pass - fail) / 2;
        if (judge(static_cast<std::size_t>(middle))) pass = middle;
        else fail = middle;
      }
      answer = static_cast<std::size_t>(pass);
      if (fail >= 0) failing = static_cast<std::size_t>(fail);
    } else {
      failing = n - 1;
    }
  } else {
    if (judge(0)) {
      std::size_t pass = 0, fail = n;
      while (fail - pass > 1) {
        const std::size_t middle = pass + (fail - pass) / 2;
        if (judge(middle)) pass = middle;
        else fail = middle;
      }
      answer = pass;
      if (fail < n) failing = fail;
    } else {
      failing = 0;
    }
  }
  Json document = {{"plan",
                    {{"scenario", path},
                     {"vary", {{"path", vary.path}, {"values", vary.values}}},
                     {"goals", parsed.values("goal")},
                     {"direction", largest ? "largest" : "smallest"},
                     {"replications", options.replications},
                     {"seeds", seeds},
                     {"overrides", parsed.values("set")}}},
                   {"answer", answer ? vary.values[*answer] : Json(nullptr)},
                   {"first_failing", failing ? vary.values[*failing] : Json(nullptr)},
                   {"evidence", evidence}};
  const std::string json_path = parsed.has("json") ? parsed.value("json") : "";
  if (!json_path.empty() && !write_output(json_path, document.dump(2) + "\n", out, err)) return kExitUsage;
  if (json_path != "-") {
    out << "plan: the " << (largest ? "largest" : "smallest") << " " << vary.path << " that meets " << joined(parsed.values("goal"))
        << "\n" << options.replications << " replications per candidate from seed " << seed
        << "; a goal is met when its whole 95 % interval is within the bound\n\n";
    std::size_t width = 0;
    for (const auto& entry : evidence) width = std::max(width, entry["value"].dump().size());
    for (const auto& entry : evidence) {
      const std::string value = entry["value"].dump();
      out << "  " << vary.path << "=" << value << std::string(width - value.size(), ' ')
          << (entry["met"].get<bool>() ? "  meets" : "  fails");
      for (const auto& g : entry["goals"])
        out << "  " << g["goal"].get<std::string>() << ": " << interval_text(g["value"])
            << (g["met"].get<bool>() ? "" : " ✗");
      out << "\n";
    }
    out << "\n";
    if (answer) {
      out << "answer: " << vary.path << "=" << vary.values[*answer].dump();
      if (failing)
        out << " (" << vary.values[*failing].dump() << " fails)";
      else
        out << " (the " << (largest ? "largest" : "smallest") << " candidate; none beyond it was tried)";
      out << "\n";
    } else {
      out << "answer: none of the candidates meets every goal; the " << (largest ? "smallest" : "largest") << ", "
          << vary.values[*failing].dump() << ", fails\n";
    }
  }
  return answer ? kExitOk : kExitGoalsFailed;
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

// analyze: one run, and theory beside each station's figures (cli/analyze.h).
int command_analyze(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err) {
  static const Command command{
      "analyze",
      "Run a scenario once and put queueing theory beside each station's simulated figures, with the error, the "
      "noise and why theory does not apply where it does not (docs/analyze.md)",
      "FILE",
      {{"seed", "N", kSeedExpected, "Seed of every random stream (overrides the scenario's)"},
       {"duration", "TIME", kDurationExpected, "Simulated time to run (overrides duration_s)"},
       {"set", "PATH=VALUE", kSetExpected, "Override a scenario field (repeatable)", true},
       {"json", "FILE", "a file name, or - for standard output", "Write the comparison as JSON to FILE"}}};
  const Parsed parsed = parse(command, args);
  if (parsed.has("help")) {
    out << help_of(command);
    return kExitOk;
  }
  const std::string path = scenario_file(parsed);
  models::RunOptions run_options;
  if (parsed.has("seed")) run_options.seed = parse_seed(parsed.value("seed"));
  if (parsed.has("duration")) {
    const std::string text = parsed.value("duration");
    const auto d = parse_duration(text);
    if (!d || *d > sim::kMaxTimeSeconds) throw Usage{value_problem("duration", kDurationExpected, quote(text))};
    run_options.duration_s = *d;
  }
  int code = kExitOk;
  auto scenario = load(path, parsed.values("set"), input, err, code);
  if (!scenario) return code;
  if (run_options.duration_s && scenario->config["warmup_s"].get<double>() >= *run_options.duration_s) {
    err << "archsim: --duration " << parsed.value("duration") << " is not longer than the scenario's warmup_s ("
        << spec::format_number(scenario->config["warmup_s"].get<double>()) << " s)\n";
    return kExitUsage;
  }
  models::Simulation simulation(*scenario, run_options);
  simulation.run();
  const Json results = simulation.results();
  const Json document = analysis_document(scenario->config, results);
  const std::string json_path = parsed.has("json") ? parsed.value("json") : "";
  if (!json_path.empty() && !write_output(json_path, document.dump(2) + "\n", out, err)) return kExitUsage;
  if (json_path != "-") out << format_analysis(document);
  if (!results["run"]["completed"].get<bool>()) {
    err << "archsim: the run stopped early " << results["run"]["problem"].get<std::string>()
        << "; its figures cover the time simulated until then\n";
    return kExitStoppedEarly;
  }
  return kExitOk;
}

}  // namespace

int run_command(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err,
                const Console& console) {
  const std::string command = args.empty() ? "" : args[0];
  const bool known = command == "run" || command == "validate" || command == "describe" || command == "schema" ||
                     command == "estimate" || command == "sweep" || command == "merge" || command == "compare" ||
                     command == "plan" || command == "analyze";
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
    if (command == "sweep") return command_sweep(args, input, out, err, console);
    if (command == "merge") return command_merge(args, input, out, err);
    if (command == "compare") return command_compare(args, input, out, err, console);
    if (command == "plan") return command_plan(args, input, out, err, console);
    if (command == "analyze") return command_analyze(args, input, out, err);
    throw Usage{"unknown command \"" + command + "\"" +
                spec::did_you_mean_suffix(command,
                                          {"run", "validate", "describe", "schema", "estimate", "sweep", "merge", "compare",
                                           "plan", "analyze"})};
  } catch (const Usage& usage) {
    err << "archsim" << (command.empty() || command.rfind("-", 0) == 0 ? "" : " " + command) << ": " << usage.message
        << "\n(see archsim " << (known ? command + " " : "") << "--help)\n";
    return kExitUsage;
  }
}

}  // namespace archsim::cli
