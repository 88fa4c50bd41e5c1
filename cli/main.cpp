#include <csignal>
#include <iostream>
#include <string>

#include <unistd.h>

#include "cli/commands.h"
#include "models/simulation/simulation.h"

namespace {

// A broken invariant is a programming error: the check prints what failed
// (file, line, condition) and aborts. This adds where the run was, so the
// failure names the simulated time, the component and the event.
extern "C" void on_abort(int) {
  const std::string where = archsim::models::Simulation::where_running();
  if (!where.empty()) {
    const std::string message = "archsim: a check failed " + where +
                                "; this is a bug in archsim: please report it with the scenario, the seed and the "
                                "command line\n";
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, message.data(), message.size());
  }
  std::signal(SIGABRT, SIG_DFL);
  std::raise(SIGABRT);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGABRT, on_abort);
  std::vector<std::string> args(argv + 1, argv + argc);
  archsim::cli::Console console;
  console.progress = ::isatty(STDERR_FILENO) == 1;
  console.interrupt = true;
  return archsim::cli::run_command(args, std::cin, std::cout, std::cerr, console);
}
