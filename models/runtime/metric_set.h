// models/runtime/metric_set.h: the figures a component reports, declared by
// the component itself.
//
// A component keeps its counters, time-weighted levels and histograms where
// its hot path can update them directly; it declares each figure once, with
// its name, unit and meaning, pointing at that storage. The results writer,
// the time series and the CSV iterate over the declarations, so a new figure
// (a cache's hit rate, a breaker's state) appears everywhere by being
// declared, and nothing else changes.
//
// A figure covers a window: the measured window for the summary, one
// reporting interval for the time series. Counters are cumulative from time
// zero and levels are integrals over time, so a window's figure is a
// difference of two snapshots; maxima come from the level itself (its
// window or interval maximum), histograms cover the measured window only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/format/spec.h"
#include "models/runtime/transmitter.h"
#include "sim/histogram.h"
#include "sim/metrics.h"
#include "sim/time.h"

namespace archsim::models {

// The values a window starts or ends with, one per source, in declaration order.
struct MetricSnapshot {
  sim::Time at{};
  std::vector<__int128> values;
};

// A cumulative count: a std::uint64_t or an __int128 (sums of nanoseconds),
// or the time some transmitters have spent sending, summed, read at the
// snapshot's instant (a network card's, one per replica).
struct CounterSource {
  const std::uint64_t* u64 = nullptr;
  const __int128* i128 = nullptr;
  const std::vector<Transmitter>* busy = nullptr;
  CounterSource(const std::uint64_t* v) : u64(v) {}               // NOLINT: implicit by design
  CounterSource(const __int128* v) : i128(v) {}                   // NOLINT
  CounterSource(const std::vector<Transmitter>* t) : busy(t) {}   // NOLINT
  __int128 value(sim::Time now) const {
    if (u64) return static_cast<__int128>(*u64);
    if (i128) return *i128;
    __int128 sum = 0;
    for (const auto& t : *busy) sum += t.busy_ns(now);
    return sum;
  }
};

// What the time series shows of a level.
enum class LevelSeries { Mean, Max, MeanAndMax, None };

// A series column: its name, unit, and the kind of its values.
struct SeriesColumn {
  enum class Kind { Number, Integer, Boolean };
  std::string name;
  std::string unit;
  Kind kind = Kind::Number;
};

class MetricSet {
 public:
  // The count in the window (`name`: integer).
  void count(std::string name, std::string unit, std::string meaning, CounterSource counter, bool series = true);
  // The count in the window per second.
  void rate(std::string name, std::string unit, std::string meaning, CounterSource counter, bool series = true);
  // A level's time-average and maximum: `name: {"mean", "max"}` in the
  // summary; `name_mean`, `name_max` in the series, as `series` says.
  void level(std::string name, std::string unit, std::string meaning, sim::TimeWeighted* level,
             LevelSeries series = LevelSeries::MeanAndMax);
  // A level's time-average over a capacity (utilization); null where the
  // capacity is 0.
  void share(std::string name, std::string meaning, sim::TimeWeighted* level, std::function<double()> capacity,
             bool series = true);
  // A sum of durations (nanoseconds) in the window over the window's
  // length and a capacity: the time-average number of things in some state,
  // counted as each stay ends. Null where the capacity is 0.
  void time_share(std::string name, std::string meaning, CounterSource sum_ns, std::function<double()> capacity,
                  bool series = true);
  // The ratio of two counts in the window, times `scale`; 0 when the
  // denominator is 0.
  void ratio(std::string name, std::string unit, std::string meaning, CounterSource numerator,
             CounterSource denominator, double scale = 1, bool series = true);
  // A distribution of durations in nanoseconds, shown in milliseconds:
  // count, mean, percentiles and maximum of `histogram` (which covers the
  // measured window), with the exact mean from `sum_ns` / `count`; the
  // series shows the exact mean as `series_name`, if given.
  void distribution(std::string name, std::string meaning, const sim::Histogram* histogram, CounterSource sum_ns,
                    CounterSource count, std::string series_name = "");
  // The figure declared last goes to the time series only, not the summary
  // (per-replica columns, whose summary is an array of their own).
  void series_only() { figures_.back().summary = false; }
  // The figure declared last (a share or a time share) is over the
  // component's capacity, which capacity_level may make a level.
  void of_capacity() { figures_.back().of_capacity = true; }
  // The component's capacity changes in time (a pool that scales): every
  // figure over it is over the level's mean in its window instead (null
  // where that mean is 0).
  void capacity_level(sim::TimeWeighted* capacity);
  // A value for the summary only, computed over the window (configuration
  // figures, per-replica arrays).
  void extra(std::string name, std::function<spec::Json(sim::Time start, sim::Time end)> value);

  // Captures every source's value now (reusing `out`'s memory).
  void snapshot(sim::Time now, MetricSnapshot& out) const;
  // The summary figures of the window from `start` to `end`, into `out`.
  void summary(const MetricSnapshot& start, const MetricSnapshot& end, spec::Json& out) const;
  // The series columns, and one interval's values in that order (NaN for
  // null; levels' maxima are their interval maxima).
  std::vector<SeriesColumn> series_columns() const;
  void series_row(const MetricSnapshot& start, const MetricSnapshot& end, std::vector<double>& row) const;
  // Starts the interval's maxima afresh (after series_row).
  void reset_interval_maxima();
  void reset_window_maxima();

  // One line per figure, for documentation: name, unit, meaning.
  struct Description {
    std::string name, unit, meaning;
  };
  std::vector<Description> describe() const;

 private:
  enum class Kind { Count, Rate, Level, Share, TimeShare, Ratio, Distribution, Extra };
  struct Figure {
    Kind kind = Kind::Count;
    std::string name, unit, meaning;
    std::size_t a = 0, b = 0;  // indexes of sources in the snapshot
    sim::TimeWeighted* level = nullptr;
    const sim::Histogram* histogram = nullptr;
    std::function<double()> capacity;
    std::function<spec::Json(sim::Time, sim::Time)> value;
    double scale = 1;
    LevelSeries level_series = LevelSeries::None;
    bool series = false;
    bool summary = true;
    bool of_capacity = false;
    bool capacity_is_level = false;  // the capacity is the mean of the level at sources_[c]
    std::size_t c = 0;
    std::string series_name;
  };
  static double capacity_of(const Figure& f, const MetricSnapshot& a, const MetricSnapshot& b) {
    return f.capacity_is_level ? sim::window_mean(a.values[f.c], b.values[f.c], a.at, b.at) : f.capacity();
  }
  static Figure figure(Kind kind, std::string name, std::string unit, std::string meaning);
  static double time_share_of(const Figure& f, const MetricSnapshot& a, const MetricSnapshot& b);
  std::size_t add_counter(CounterSource source);
  std::size_t add_level(sim::TimeWeighted* level);

  struct Source {
    CounterSource counter{static_cast<const std::uint64_t*>(nullptr)};
    sim::TimeWeighted* level = nullptr;  // its integral, when set
  };
  std::vector<Source> sources_;
  std::vector<Figure> figures_;
  std::vector<sim::TimeWeighted*> levels_;  // for resetting maxima
};

}  // namespace archsim::models
