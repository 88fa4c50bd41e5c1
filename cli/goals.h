// cli/goals.h: goals on the figures of a run, `p99_ms<200`, as --check,
// sweep's --metric and plan's --goal read them (docs/goals.md has the
// grammar). A goal names a figure of the results document by a path, so any
// figure the results hold can be judged, and a new model's figures can be
// judged as soon as it declares them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/format/spec.h"

namespace archsim::cli {

// A figure of the results: the keys (or array indexes) that lead to it from
// the top of the document, as resolved from what the user wrote.
struct Metric {
  std::string written;              // as the user wrote it
  std::vector<std::string> keys;    // e.g. {"summary", "latency_ms", "p99"}
  bool complement = false;          // error_ratio: 1 - success_ratio
  std::string unit;                 // "ms", "s", "qps", "fraction" or "" (a count or other)
  std::string path() const;         // the keys joined by dots
};

enum class Comparison { Less, LessOrEqual, Greater, GreaterOrEqual };

struct Goal {
  std::string written;
  std::string metric;      // as written, resolved later against a document
  Comparison comparison = Comparison::Less;
  std::string comparison_text;
  double number = 0;       // as written
  std::string unit;        // as written after the number, or empty
};

// Reads `metric<number[unit]` (also <=, >, >=; spaces allowed around each
// part). Returns the problem, or empty with `goal` set.
std::string parse_goal(const std::string& text, Goal& goal);

// Finds `written` in `document` (a results document, or the `mean` member of
// replicated results). Returns the problem, with a did-you-mean, or empty
// with `metric` set.
std::string resolve_metric(const spec::Json& document, const std::string& written, Metric& metric);

// The figure's value in `document`; nullopt where it is null (or missing in
// this document: a component that a sweep's point does not have).
std::optional<double> metric_value(const spec::Json& document, const Metric& metric);

// The goal's number in the metric's unit: `200ms` for a figure in seconds is
// 0.2, `5%` for a fraction 0.05. Returns the problem when the unit does not
// fit the figure, or empty.
std::string threshold_in_unit(const Goal& goal, const Metric& metric, double& threshold);

bool meets(double value, Comparison comparison, double threshold);

// A goal judged on a document: its value (a mean, with its interval's
// half-width, for replicated results).
struct Verdict {
  Goal goal;
  Metric metric;
  double threshold = 0;
  std::optional<double> value;
  std::optional<double> half_width;
  bool met = false;
  // Judged on replicated results: the replications judged one by one, those
  // that met the goal, and the seeds of those that did not.
  std::size_t replications = 0;
  std::size_t replications_met = 0;
  std::vector<std::uint64_t> seeds_missed;
};

// "goals: 2 of 3 met" and a line per goal, failed ones first.
std::string format_verdicts(const std::vector<Verdict>& verdicts);

// A figure as the goal lines and tables print it: 6 significant digits.
std::string short_number(double value);

}  // namespace archsim::cli
