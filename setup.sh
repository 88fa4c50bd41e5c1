#!/usr/bin/env bash
# Installs what is missing, builds archsim, and runs the default scenario.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build --parallel "$(nproc)" --target archsim archsim_bench
./build/archsim run scenarios/load-balanced-web-tier.json
