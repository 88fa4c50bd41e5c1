// cli/commands.h: the archsim command line, callable in-process for tests.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace archsim::cli {

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalidScenario = 1;
inline constexpr int kExitUsage = 2;       // bad options, unreadable or unwritable files
inline constexpr int kExitStoppedEarly = 3;  // a limit stopped the run; results are partial

// Runs `archsim ARGS...`; `input` stands for standard input (scenario "-").
int run_command(const std::vector<std::string>& args, std::istream& input, std::ostream& out, std::ostream& err);

}  // namespace archsim::cli
