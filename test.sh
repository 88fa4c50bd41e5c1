#!/usr/bin/env bash
# Builds archsim and runs every test. With CI=true, or --sanitize, it then
# builds again with AddressSanitizer and UndefinedBehaviorSanitizer and runs
# every test there too.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh

sanitize=false
[[ "${CI:-}" == "true" || "${1:-}" == "--sanitize" ]] && sanitize=true

run_suite() {  # build directory, extra CMake options...
  local dir=$1
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DARCHSIM_WERROR=ON "$@"
  cmake --build "$dir" --parallel "$(nproc)"
  ctest --test-dir "$dir" --output-on-failure --parallel "$(nproc)"
}

run_suite build
if $sanitize; then
  run_suite build-sanitize -DARCHSIM_SANITIZE=ON
fi
