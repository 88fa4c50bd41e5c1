// models/simulation/series.h: where the time series goes as a run makes it.
//
// At the end of each reporting interval the run hands one row to a
// SeriesSink: the end-to-end columns, then each component's, in the order
// of series_columns(). A sink that writes the rows out as they come (a CSV
// file, a temporary file that becomes the JSON's rows) keeps the memory of a
// run independent of its length; without one, the run keeps the rows in
// memory (MemorySeries) and the results document holds them.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "models/format/spec.h"
#include "models/runtime/metric_set.h"

namespace archsim::models {

class SeriesSink {
 public:
  virtual ~SeriesSink() = default;
  virtual void begin(const std::vector<SeriesColumn>& columns) = 0;
  virtual void row(const std::vector<double>& values) = 0;
};

// A value of a series as the results document writes it: null for NaN,
// whole numbers as integers, flags as booleans.
spec::Json series_value(double value, SeriesColumn::Kind kind);
// `[{"name": ..., "unit": ...}, ...]`.
spec::Json series_columns_json(const std::vector<SeriesColumn>& columns);

// One column of a results document's time series, by name (`completed`,
// `components.web.utilization`), as an array; null when there is none.
spec::Json series_column(const spec::Json& results, std::string_view name);

class MemorySeries final : public SeriesSink {
 public:
  void begin(const std::vector<SeriesColumn>& columns) override { columns_ = columns; }
  void row(const std::vector<double>& values) override { values_.insert(values_.end(), values.begin(), values.end()); }
  const std::vector<SeriesColumn>& columns() const { return columns_; }
  std::size_t rows() const { return columns_.empty() ? 0 : values_.size() / columns_.size(); }
  // The rows as the results document writes them.
  spec::Json rows_json() const;

 private:
  std::vector<SeriesColumn> columns_;
  std::vector<double> values_;  // row after row
};

// Sends every row to several sinks.
class SeriesTee final : public SeriesSink {
 public:
  void add(SeriesSink* sink) { sinks_.push_back(sink); }
  void begin(const std::vector<SeriesColumn>& columns) override {
    for (auto* s : sinks_) s->begin(columns);
  }
  void row(const std::vector<double>& values) override {
    for (auto* s : sinks_) s->row(values);
  }

 private:
  std::vector<SeriesSink*> sinks_;
};

}  // namespace archsim::models
