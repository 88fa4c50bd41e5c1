#include <iostream>

#include <unistd.h>

#include "cli/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  archsim::cli::Console console;
  console.progress = ::isatty(STDERR_FILENO) == 1;
  console.interrupt = true;
  return archsim::cli::run_command(args, std::cin, std::cout, std::cerr, console);
}
