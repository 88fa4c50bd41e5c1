// cli/report.h: the readable forms of a results document: the terminal
// report and CSV tables. Both read only the results JSON, so they show
// exactly what --json writes.
#pragma once

#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

#include "models/format/spec.h"
#include "models/simulation/series.h"

namespace archsim::cli {

std::string format_report(const spec::Json& results);

// The width of UTF-8 text on a terminal, in cells: East Asian wide and
// fullwidth characters (Hangul, CJK, kana, fullwidth forms, most emoji) take
// two, combining marks and other zero-width characters none, the rest one.
// A byte that starts no well-formed sequence (and the continuation bytes
// after it) counts as one cell, as a terminal shows one replacement
// character for it.
std::size_t display_width(std::string_view text);

// `text` if it fits in `cells`, else its longest prefix that fits in one cell
// less, followed by "…". The cut falls between characters, never inside one,
// and keeps a character's combining marks with it.
std::string fit_to_width(std::string_view text, std::size_t cells);

// Writes components.csv and operations.csv into `directory` (created if
// missing), and timeseries.csv when the results hold the series' rows (a
// run that streamed them wrote timeseries.csv through CsvSeries). Returns an
// error message, or empty.
std::string write_csv(const spec::Json& results, const std::string& directory);

// Writes the time series to `directory`/timeseries.csv as the run makes it:
// a header of column names, then one line per interval.
class CsvSeries final : public models::SeriesSink {
 public:
  // Creates the directory if missing; ok() tells whether the file opened.
  explicit CsvSeries(const std::string& directory);
  bool ok() const { return static_cast<bool>(file_); }
  const std::string& path() const { return path_; }
  std::ofstream& stream() { return file_; }
  void begin(const std::vector<models::SeriesColumn>& columns) override;
  void row(const std::vector<double>& values) override;

 private:
  std::string path_;
  std::ofstream file_;
  std::vector<models::SeriesColumn> columns_;
};

// Keeps the time series' rows as JSON text in a temporary file as the run
// makes them, so that the results document can be written with them at the
// end without holding them in memory.
class JsonRowsFile final : public models::SeriesSink {
 public:
  JsonRowsFile();
  ~JsonRowsFile() override;
  bool ok() const { return file_ != nullptr; }
  void begin(const std::vector<models::SeriesColumn>& columns) override { columns_ = columns; }
  void row(const std::vector<double>& values) override;
  // Writes `results` (whose timeseries has no rows) with the rows kept here.
  void write_results(const spec::Json& results, std::ostream& out);

 private:
  std::FILE* file_ = nullptr;
  std::vector<models::SeriesColumn> columns_;
  std::size_t rows_ = 0;
};

// Drops the series: a run whose series nobody asked for keeps no rows.
class DiscardSeries final : public models::SeriesSink {
 public:
  void begin(const std::vector<models::SeriesColumn>&) override {}
  void row(const std::vector<double>&) override {}
};

}  // namespace archsim::cli
