#!/usr/bin/env bash
# Installs the Debian packages archsim needs, if any is missing: the compiler
# and build tools, the four libraries, SimPy for the benchmark's peer, and
# GNU parallel, which the tests use to run a sharded sweep's slices as a
# batch scheduler would (archsim itself never calls it).
# Runs apt-get as root, or through sudo; says what to do where neither works.
set -euo pipefail

packages=(g++ make cmake nlohmann-json3-dev libcxxopts-dev libeigen3-dev doctest-dev python3 python3-simpy3 parallel)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "archsim needs these packages, and this system has no apt-get to install them:" >&2
  echo "  ${missing[*]}" >&2
  echo "Install their equivalents (a C++20 compiler, CMake >= 3.20, nlohmann-json >= 3.10," >&2
  echo "cxxopts, Eigen 3, doctest, Python 3 with SimPy 3, GNU parallel) and run this command again." >&2
  exit 1
fi

if [[ $(id -u) -eq 0 ]]; then
  run=()
elif command -v sudo >/dev/null 2>&1; then
  run=(sudo)
else
  echo "archsim needs these Debian packages: ${missing[*]}" >&2
  echo "Install them as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -q
"${run[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
