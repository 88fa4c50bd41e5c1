// cli/commands.h: the archsim command line, callable in-process for tests.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

namespace archsim::cli {

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalidScenario = 1;
inline constexpr int kExitUsage = 2;       // bad options, unreadable or unwritable files
inline constexpr int kExitStoppedEarly = 3;  // a limit stopped the run; results are partial
inline constexpr int kExitGoalsFailed = 4;   // the run went to its end and a --check goal was not met

// What run_command may do beyond its streams, for the process around it:
// main turns these on, tests leave them off unless they test them.
struct Console {
  // Redraw a progress line on `err` during a run (main: when standard error
  // is a terminal), at most once per `progress_interval`.
  bool progress = false;
  std::chrono::milliseconds progress_interval{250};
  // The first Ctrl-C (SIGINT) during a run stops it like a limit, with the
  // results written; a second one ends the process at once.
  bool interrupt = false;
};

// Runs `archsim ARGS...`; `input` stands for standard input (scenario "-").
int run_command(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err,
                const Console& console = {});

}  // namespace archsim::cli
