// cli/sweep.h: the pieces of archsim sweep, merge, compare and plan that
// do not run anything: the values of a --vary, the points of a grid and
// which shard holds each, and the sweep's table (JSON and CSV) built from,
// and checked against, its description (docs/analysis.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/format/spec.h"

namespace archsim::cli {

// One --vary: a scenario path and the values it takes, each as the text
// given to --set and as the JSON value it sets.
struct Vary {
  std::string path;
  std::vector<std::string> texts;
  std::vector<spec::Json> values;
};

// Reads `PATH=LIST` (values separated by commas: 1,2,4 or lru,lfu) or
// `PATH=FROM..TO[:STEP]` (numbers from FROM to TO, STEP 1 by default, TO
// included when a step lands on it). Returns the problem, or empty.
std::string parse_vary(const std::string& text, Vary& vary);

// The most points a sweep may have.
inline constexpr std::size_t kMaxSweepPoints = 100000;

// The points of the grid of several --vary, the first one outermost: point
// i sets each vary's value of index indexes(i)[v].
std::size_t grid_size(const std::vector<Vary>& varies);
std::vector<std::size_t> grid_indexes(const std::vector<Vary>& varies, std::size_t point);

// --shard K/N: K from 1 to N. Point i belongs to shard (i mod N) + 1, so
// the slices are even and each spreads over the grid.
struct Shard {
  std::size_t index = 1;
  std::size_t count = 1;
};
std::string parse_shard(const std::string& text, std::size_t points, Shard& shard);
bool in_shard(std::size_t point, const Shard& shard);

// The table's CSV: the varied paths, then each metric (with its
// `_ci95` half-width beside it when the sweep has replications), one line
// per row in the order of the rows.
std::string sweep_csv(const spec::Json& table);

// Merges slices (the JSON of sweeps run with --shard) into the table of the
// whole sweep. Returns the problem, or empty with `merged` set.
std::string merge_slices(const std::vector<spec::Json>& slices, const std::vector<std::string>& names,
                         spec::Json& merged);

}  // namespace archsim::cli
