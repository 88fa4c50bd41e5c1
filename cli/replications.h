// cli/replications.h: independent replications of a scenario, run on
// several threads, and their results joined into means with 95 %
// confidence intervals (docs/analysis.md). Also the building block of
// sweep, compare and plan, which judge each point by its replications.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "models/format/spec.h"
#include "models/simulation/scenario.h"
#include "models/simulation/simulation.h"

namespace archsim::cli {

// The seed of replication `index` (from 0): the index-th output of SplitMix64
// started at the scenario's seed, cut to its top 53 bits (so that it is
// exact in JSON, like every seed). Replications of two designs under one seed
// get the same seeds, hence the same arrival streams: common random numbers.
std::uint64_t replication_seed(std::uint64_t seed, std::size_t index);

// The seeds of `count` replications.
std::vector<std::uint64_t> replication_seeds(std::uint64_t seed, std::size_t count);

// One run to make: a validated scenario (shared, read only, by the threads)
// and its options; `keep_series` keeps the time series' rows in the results.
struct RunTask {
  const models::Scenario* scenario = nullptr;
  models::RunOptions options;
  bool keep_series = false;
};

// Runs every task on `jobs` threads (each thread takes the next task not
// yet taken) and returns their results documents in the order of the tasks:
// the same bytes whatever `jobs` is, since a run shares nothing mutable with
// another and each lands in its own place.
// `done`, if given, is told how many tasks have finished each time one does,
// one call at a time (from the thread that finished it): for a progress line.
// `keep_going`, if given, is asked between slices of every run and before
// each task starts, from any thread: once it says no, the runs under way stop
// where they are (their results say "interrupted") and the tasks not started
// are left out (null in the returned list).
std::vector<spec::Json> run_tasks(const std::vector<RunTask>& tasks, unsigned jobs,
                                  const std::function<void(std::size_t done)>& done = {},
                                  const std::function<bool()>& keep_going = {});

// The number of threads of --jobs when not given: the machine's cores.
unsigned default_jobs();

// The figures of several results documents joined, member by member: each
// number becomes its mean (`means`) and the half-width of its 95 %
// confidence interval (`half_widths`, Student t with count - 1 degrees of
// freedom); text, flags and nulls that are the same in every document stay
// as they are (their half-width null); a member that differs in kind or
// text between documents (the bottleneck's component, when it changes from
// one replication to the next) becomes null in both. Needs two documents.
struct Joined {
  spec::Json means;
  spec::Json half_widths;
};
Joined join_figures(const std::vector<const spec::Json*>& documents);

// The sections of a results document that hold figures of the measured
// window, which replicated results join.
const std::vector<std::string>& figure_sections();

// The warm-up chosen by MSER-5 (analysis/statistics.h) on the time series
// of the end-to-end mean latency per interval (column latency_mean_ms),
// averaged over the replications' pilot runs interval by interval.
struct WarmupChoice {
  double warmup_s = 0;
  std::size_t intervals = 0;        // reporting intervals dropped
  std::size_t series_intervals = 0;  // intervals in the series
  // MSER-5 may drop at most half the batches; a choice at that limit says
  // the series had not settled (or is too short to tell): run longer.
  bool at_limit = false;
};
WarmupChoice choose_warmup(const std::vector<spec::Json>& pilot_results, double interval_s);

// The document of replicated results (docs/analysis.md): the run's
// description, `replications` (how many, the seeds, the warm-up and how
// it was chosen), and the joined figures as `mean` and `ci95`.
spec::Json replicated_results(const std::vector<spec::Json>& runs, const std::vector<std::uint64_t>& seeds,
                              std::uint64_t base_seed, const spec::Json& warmup);

// The terminal report of replicated results: the main figures with their
// intervals; the JSON and the CSV have every figure.
std::string format_replicated_report(const spec::Json& replicated);

// replications.csv: one line per figure (its path), its mean and half-width.
std::string replicated_csv(const spec::Json& replicated);

}  // namespace archsim::cli
