#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return archsim::cli::run_command(args, std::cin, std::cout, std::cerr);
}
